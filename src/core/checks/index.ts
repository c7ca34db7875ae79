// Every check the doctor runs, and the ones it leaves out (whole-table scans, run on demand).
import type { Check } from './check.js';
import { healthChecks } from './health.js';
import { blocking, duplicateIndexes, invalidIndexes, unusedIndexes } from './indexes-locks.js';
import { replicationChecks } from './replication.js';
import { constraintAudit, emailQueue, integrity, integrityFull, qrScans, reservationConflicts, sequences, stockLedger, stockLedgerFull } from './schema-aware.js';
import { tableChecks } from './tables.js';
import { settings } from './settings.js';
import { sizeChecks } from './sizes.js';
import { analyzeAge, vacuumAge } from './maintenance-age.js';
import { serverStateChecks } from './server-state.js';
import { databaseStatsChecks } from './database-stats.js';
import { pgbouncerPools } from './pgbouncer.js';

export const allChecks: Check[] = [
  ...healthChecks,
  blocking,
  invalidIndexes,
  duplicateIndexes,
  unusedIndexes,
  ...tableChecks,
  ...replicationChecks,
  sequences,
  constraintAudit,
  integrity,
  stockLedger,
  reservationConflicts,
  emailQueue,
  qrScans,
  settings,
  ...sizeChecks,
  vacuumAge,
  analyzeAge,
  ...serverStateChecks,
  ...databaseStatsChecks,
  pgbouncerPools,
];

/** Checks outside the doctor's time budget, by the name `comanda check NAME --full` runs. */
export const fullChecks: Record<string, Check> = { integrity: integrityFull, 'stock-ledger': stockLedgerFull };
