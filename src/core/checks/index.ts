// Every check the doctor runs.
import type { Check } from './check.js';
import { healthChecks } from './health.js';
import { blocking, duplicateIndexes, invalidIndexes, unusedIndexes } from './indexes-locks.js';
import { constraintAudit, sequences, stockLedger } from './schema-aware.js';

export const allChecks: Check[] = [...healthChecks, blocking, invalidIndexes, duplicateIndexes, unusedIndexes, sequences, constraintAudit, stockLedger];
