// Every check the doctor runs, and the ones it leaves out (whole-table scans, run on demand).
// One module per area: a check named `x` lives in the module of its area (docs/checks.md lists them).
import type { Check } from './check.js';
import { emailQueue, qrScans } from './application.js';
import { duplicateIndexes, indexSize, invalidIndexes, missingIndexes, unusedIndexes } from './indexes.js';
import { constraintAudit, disabledTriggers, integrity, integrityFull, reservationConflicts, sequences, stockLedger, stockLedgerFull } from './integrity.js';
import { archiving, checkpointAge, recoveryConflicts, replicationLag, replicationSlots } from './replication.js';
import {
  applicationConnections, blocking, connections, deadlocks, idleInTransaction, locks, longQueries, oldestTransaction, pgbouncerPools, preparedTransactions,
} from './sessions.js';
import { settings } from './settings.js';
import { cacheHitRatio, statStatements, tempFiles } from './statements.js';
import { analyzeAge, bloat, databaseSize, deadTuples, tableMaintenance, tableSize, vacuumAge, wraparound } from './tables.js';

export const allChecks: Check[] = [
  connections,
  applicationConnections,
  longQueries,
  idleInTransaction,
  cacheHitRatio,
  deadTuples,
  wraparound,
  statStatements,
  blocking,
  invalidIndexes,
  duplicateIndexes,
  unusedIndexes,
  bloat,
  tableMaintenance,
  missingIndexes,
  replicationLag,
  replicationSlots,
  archiving,
  sequences,
  constraintAudit,
  integrity,
  stockLedger,
  reservationConflicts,
  emailQueue,
  qrScans,
  settings,
  databaseSize,
  tableSize,
  indexSize,
  vacuumAge,
  analyzeAge,
  checkpointAge,
  oldestTransaction,
  preparedTransactions,
  locks,
  disabledTriggers,
  deadlocks,
  tempFiles,
  recoveryConflicts,
  pgbouncerPools,
];

/** Checks outside the doctor's time budget, by the name `comanda check NAME --full` runs. */
export const fullChecks: Record<string, Check> = { integrity: integrityFull, 'stock-ledger': stockLedgerFull };
