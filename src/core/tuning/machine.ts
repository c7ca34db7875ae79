// Which machine to tune for: what the operator says (flags, or COMANDA_TUNE_* for the doctor), or
// the machine this process runs on — right only when the database runs here too.
import os from 'node:os';
import { recommend, toConf, TuneInputError, type Storage } from './index.js';
import { parseSize } from './units.js';

export interface MachineHint {
  ramBytes?: number;
  cpus?: number;
  storage?: Storage;
}

/** RAM and CPUs of this machine, within a container's memory limit when there is one. */
export function localMachine(): { ramBytes: number; cpus: number } {
  const limit = process.constrainedMemory?.() ?? 0;
  const total = os.totalmem();
  return { ramBytes: limit > 0 && limit < total ? limit : total, cpus: os.availableParallelism() };
}

export function parseRam(text: string, what = '--ram'): number {
  const bytes = parseSize(text);
  if (bytes === undefined) throw new TuneInputError(`${what} must be a size with a unit, e.g. 32GB, 4GB or 512MB`);
  return bytes;
}

export function parseCpus(text: string, what = '--cpus'): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) throw new TuneInputError(`${what} must be a whole number of CPUs, at least 1, e.g. 8`);
  return Number(text);
}

export function parseStorage(text: string, what = '--storage'): Storage {
  const value = text.trim().toLowerCase();
  if (value !== 'ssd' && value !== 'hdd') throw new TuneInputError(`${what} must be ssd or hdd`);
  return value;
}

/**
 * The database server's machine as configured by COMANDA_TUNE_RAM, COMANDA_TUNE_CPUS and
 * COMANDA_TUNE_STORAGE (validated at start by src/config.ts); unset ones are left out.
 */
export function machineFromEnv(env: NodeJS.ProcessEnv = process.env): MachineHint {
  const hint: MachineHint = {};
  if (env.COMANDA_TUNE_RAM) hint.ramBytes = parseRam(env.COMANDA_TUNE_RAM, 'COMANDA_TUNE_RAM');
  if (env.COMANDA_TUNE_CPUS) hint.cpus = parseCpus(env.COMANDA_TUNE_CPUS, 'COMANDA_TUNE_CPUS');
  if (env.COMANDA_TUNE_STORAGE) hint.storage = parseStorage(env.COMANDA_TUNE_STORAGE, 'COMANDA_TUNE_STORAGE');
  return hint;
}

/**
 * postgresql.conf lines with `comanda tune`'s advice for this machine (COMANDA_TUNE_* where set)
 * and PostgreSQL's default 100 connections: what a new embedded cluster starts with.
 */
export function thisMachineConf(env: NodeJS.ProcessEnv = process.env): string {
  const here = localMachine();
  const hint = machineFromEnv(env);
  const machine = { ramBytes: hint.ramBytes ?? here.ramBytes, cpus: hint.cpus ?? here.cpus, storage: hint.storage ?? ('ssd' as const), connections: 100 };
  return toConf(machine, recommend(machine));
}
