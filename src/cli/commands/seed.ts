import type { Command } from 'commander';
import { DEMO_RESTAURANT_ID, seedDemo } from '../../core/seed.js';
import { withDatabase } from '../connect.js';

export function seedCommand(program: Command): void {
  program
    .command('seed')
    .description('data for trying Comanda out')
    .command('demo')
    .description(`create the demo restaurant ${DEMO_RESTAURANT_ID} where missing (never overwrites)`)
    .action(async () => {
      const created = await withDatabase((db) => seedDemo(db));
      process.stdout.write(created ? `created ${DEMO_RESTAURANT_ID}\n` : `${DEMO_RESTAURANT_ID} already exists; nothing changed\n`);
    });
}
