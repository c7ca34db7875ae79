// History kept by Comanda itself: captures (capture.ts) and what reads them (read.ts).
export { captureHistory, delta, HistoryRecorder, HISTORY_LOCK_KEY, HISTORY_TABLES, prune, type CaptureResult, type HistoryOptions } from './capture.js';
export {
  checkStatusCounts, checkTimeline, historyCost, historyStatementSeries, historyTopStatements, historyWindow, sizeSeries, spaceGrowth,
  type HistoryCost, type HistoryOrder, type HistoryStatement, type SizeGrowth,
} from './read.js';
