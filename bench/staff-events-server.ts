// The Comanda instance bench:staff-events measures, in a process of its own (as in production):
// DATABASE_URL (also LISTENed on), COMANDA_SECRET, PORT; BENCH_SHARED=0 turns the kitchen
// screens' shared snapshot off (each re-read queries). Prints "listening" when ready, and its CPU time (ms) when stopped.
import { Database } from '../src/core/db/database.js';
import { loadMigrations } from '../src/core/migrations/runner.js';
import { build, defaultOrderingSettings } from '../src/http/app.js';

const url = process.env.DATABASE_URL!;
const port = Number(process.env.PORT);
const db = new Database({ connectionString: url, poolSize: 20, applicationName: 'comanda-bench-staff-events' });
const app = await build({
  db,
  secret: process.env.COMANDA_SECRET!,
  publicUrl: `http://127.0.0.1:${port}`,
  directUrl: url,
  expectedMigrations: (await loadMigrations()).map((m) => m.version),
  logLevel: 'warn',
  ordering: defaultOrderingSettings,
  kitchenSharedSnapshots: process.env.BENCH_SHARED !== '0',
});
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write('listening\n');
const stop = () => {
  const cpu = process.cpuUsage();
  process.stdout.write(`cpu ${Math.round((cpu.user + cpu.system) / 1000)}\n`);
  void app.close().then(() => db.close()).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGUSR2', () => {
  const cpu = process.cpuUsage();
  process.stdout.write(`cpu ${Math.round((cpu.user + cpu.system) / 1000)}\n`);
});
process.on('SIGINT', stop);
