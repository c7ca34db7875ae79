// `comanda tune`: the reference settings (docs/design.md#tuning) for a machine, each with its reason.
import type { Command } from 'commander';
import {
  describeMachine,
  floorMb,
  formatSize,
  recommend,
  toAlterSystem,
  toConf,
  TuneInputError,
  validateMachine,
  type Machine,
} from '../../core/tuning/index.js';
import { localMachine, parseCpus, parseRam, parseStorage } from '../../core/tuning/machine.js';
import { CliError } from '../connect.js';
import { printJson, printTable } from '../output.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';

const FORMATS = ['table', 'json', 'conf', 'sql'] as const;
type Format = (typeof FORMATS)[number];

interface TuneOptions {
  ram?: string;
  cpus?: string;
  storage: string;
  connections: string;
  format?: string;
  json?: boolean;
}

function machineOf(options: TuneOptions): { machine: Machine; local: boolean } {
  const here = localMachine();
  const connections = /^\s*\d+\s*$/.test(options.connections) ? Number(options.connections) : NaN;
  if (Number.isNaN(connections)) throw new TuneInputError('--connections must be a whole number, e.g. --connections 200');
  const machine = validateMachine({
    ramBytes: options.ram === undefined ? here.ramBytes : parseRam(options.ram),
    cpus: options.cpus === undefined ? here.cpus : parseCpus(options.cpus),
    storage: parseStorage(options.storage),
    connections,
  });
  return { machine, local: options.ram === undefined || options.cpus === undefined };
}

export function tuneCommand(program: Command): void {
  program
    .command('tune')
    .description("recommended PostgreSQL settings for a machine, each with its reason")
    .option('--ram <size>', "the database server's RAM, e.g. 32GB (default: this machine's)")
    .option('--cpus <n>', "the database server's CPUs (default: this machine's)")
    .option('--storage <kind>', 'ssd or hdd', 'ssd')
    .option('--connections <n>', 'max_connections to allow', '100')
    .option('--format <format>', 'table, json, conf (postgresql.conf lines) or sql (ALTER SYSTEM statements)')
    .option('--json', 'same as --format json')
    .action((options: TuneOptions) => {
      const format = (options.json ? 'json' : (options.format ?? 'table')) as Format;
      if (!FORMATS.includes(format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}`, COMMAND_EXIT_CODES.usage);
      let machine: Machine;
      let local: boolean;
      try {
        ({ machine, local } = machineOf(options));
      } catch (err) {
        if (err instanceof TuneInputError) throw new CliError(err.message, COMMAND_EXIT_CODES.usage);
        throw err;
      }
      const settings = recommend(machine);
      if (format === 'json') {
        printJson({ machine: { ...machine, ram: formatSize(floorMb(machine.ramBytes)) }, settings });
      } else if (format === 'conf') {
        process.stdout.write(toConf(machine, settings) + '\n');
      } else if (format === 'sql') {
        process.stdout.write(toAlterSystem(machine, settings) + '\n');
      } else {
        process.stdout.write(`Settings for ${describeMachine(machine)}${local ? ' (RAM/CPUs of this machine where not given)' : ''}\n\n`);
        printTable(
          settings.map((s) => ({ ...s, restart: s.restart ? 'yes' : '' })),
          ['name', 'value', 'restart', 'reason'],
        );
        process.stdout.write('\n`--format conf` prints postgresql.conf lines, `--format sql` ALTER SYSTEM statements.\n');
      }
    });
}
