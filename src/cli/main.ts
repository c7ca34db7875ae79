#!/usr/bin/env node
// `comanda`: the command-line shell over the library core.
import { CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { AppError } from '../core/errors.js';
import { MigrationError } from '../core/migrations/runner.js';
import { LookupError } from '../core/restaurants.js';
import { CliError } from './connect.js';
import { exitCodeOf } from './exit-codes.js';
import { buildProgram } from './program.js';

const program = buildProgram();

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    process.exit(exitCodeOf(err));
  }
  const known = err instanceof CliError || err instanceof ConfigError || err instanceof MigrationError || err instanceof AppError || err instanceof LookupError;
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`comanda: ${known ? message : `unexpected error: ${message}`}\n`);
  process.exit(exitCodeOf(err));
}
