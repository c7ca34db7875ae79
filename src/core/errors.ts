// The error catalogue: every error Comanda reports has a stable UPPER_SNAKE code, an HTTP status
// and a sentence. docs/errors.md documents each code (test/errors.test.ts checks that it does).
// Callers branch on codes and SQLSTATEs, never on message text.

export const errorCatalogue = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid.' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON.' },
  MALFORMED_URL: { status: 400, title: 'The request URL is not valid (a bad percent-encoding or a NUL character).' },
  UNAUTHENTICATED: { status: 401, title: 'A valid bearer token is required.' },
  TOKEN_INVALID: { status: 401, title: 'This link or token is not valid.' },
  INVALID_CREDENTIALS: { status: 401, title: 'The sign-in name or the password is wrong.' },
  PAIRING_CODE_INVALID: { status: 401, title: 'This pairing code is not valid (wrong, used or expired).' },
  FORBIDDEN: { status: 403, title: 'This token may not do that.' },
  CSRF_FAILED: { status: 403, title: "The request lacks the page's CSRF token or comes from another site." },
  NOT_FOUND: { status: 404, title: 'No such resource.' },
  INVALID_QR_CODE: { status: 404, title: 'This QR code is not valid (any more); ask the staff for help.' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route.' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'That method is not allowed here.' },
  CONFLICT: { status: 409, title: 'The request conflicts with the current state of the data.' },
  ITEM_UNAVAILABLE: { status: 409, title: 'A menu item in the request is not available.' },
  OUT_OF_STOCK: { status: 409, title: 'There is not enough stock for a menu item in the request.' },
  INVALID_TRANSITION: { status: 409, title: 'That status change is not allowed from the current status.' },
  REQUEST_IN_PROGRESS: { status: 409, title: 'A request with this Idempotency-Key is still being processed.' },
  TABLE_ALREADY_RESERVED: { status: 409, title: 'No table is free at that time; see the alternatives.' },
  UNDO_UNAVAILABLE: { status: 409, title: 'That bump can no longer be undone (older than 10 s, already undone, or changed since).' },
  TOKEN_USED: { status: 409, title: 'This link was already used.' },
  ACTION_REFUSED: { status: 409, title: 'The safe action refuses to run on that target; the detail says why and what to do instead.' },
  TOKEN_EXPIRED: { status: 410, title: 'This link has expired.' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large.' },
  URI_TOO_LONG: { status: 414, title: 'A part of the request URL is too long.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json.' },
  CONSTRAINT_VIOLATION: { status: 422, title: 'The data breaks a rule of the database.' },
  REFERENCE_NOT_FOUND: { status: 422, title: 'The request refers to something that does not exist.' },
  UNKNOWN_MENU_ITEM: { status: 422, title: "A menu item in the request is not on this restaurant's menu." },
  ORDER_TOO_LARGE: { status: 422, title: 'The order total is over the limit an order may have.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'This Idempotency-Key was used for a different request.' },
  SLOT_UNAVAILABLE: { status: 422, title: 'That time cannot be booked (closed, outside the hours, off the slot grid, or past).' },
  PARTY_TOO_LARGE: { status: 422, title: 'No table or combination of tables seats a party that large.' },
  RATE_LIMITED: { status: 429, title: 'Too many requests; retry after the time given.' },
  TOO_MANY_HOLDS: { status: 429, title: 'Too many bookings are waiting to be confirmed; confirm one from its e-mail first.' },
  SIGN_IN_LOCKED: { status: 429, title: 'Too many failed sign-ins for this name; retry after the time given.' },
  INTERNAL_ERROR: { status: 500, title: 'Something went wrong on our side.' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'The database cannot be reached right now; retry shortly.' },
  DATABASE_BUSY: { status: 503, title: 'The data is busy (a lock or a conflict); retry shortly.' },
  DATABASE_TIMEOUT: { status: 503, title: 'The database took too long to answer; retry shortly.' },
  NOT_READY: { status: 503, title: 'The service is not ready.' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export const errorCodes = Object.keys(errorCatalogue) as ErrorCode[];

export interface AppErrorOptions {
  /** Extra machine-readable members for the problem document (never secrets or SQL). */
  extra?: Record<string, unknown>;
  /** Seconds a client should wait before retrying (503, 429). */
  retryAfter?: number;
  cause?: unknown;
}

/** An error with a catalogue code; its message is the `detail` shown to the client. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extra: Record<string, unknown> | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, detail?: string, options: AppErrorOptions = {}) {
    super(detail ?? errorCatalogue[code].title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.extra = options.extra;
    this.retryAfter = options.retryAfter;
  }
}

/** The shape of a PostgreSQL error as node-postgres reports it. */
interface PgErrorLike {
  code?: unknown;
  constraint?: unknown;
}

/** Comanda's CM00x errors carry what they concern as a JSON array in DETAIL. */
function jsonDetail(err: object): unknown[] | undefined {
  const detail = (err as { detail?: unknown }).detail;
  if (typeof detail !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(detail);
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function itemsOf(err: object): { items: unknown[] } | undefined {
  const items = jsonDetail(err);
  return items ? { items } : undefined;
}

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH']);

/**
 * The one place where SQLSTATEs become catalogue codes. Returns undefined for errors that are
 * not database errors (they become INTERNAL_ERROR where they are rendered).
 */
/** The SQLSTATE of a database error (or of the cause of an AppError mapped from one); undefined otherwise. */
export function sqlstateOf(err: unknown): string | undefined {
  const source = err instanceof AppError ? err.cause : err;
  const code = source && typeof source === 'object' && 'code' in source ? source.code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** SQLSTATE 42501 insufficient_privilege: "permission denied for …". */
export const INSUFFICIENT_PRIVILEGE = '42501';

export function fromDatabaseError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, constraint } = err as PgErrorLike;
  const constraintName = typeof constraint === 'string' ? constraint : undefined;
  const extra = constraintName ? { constraint: constraintName } : undefined;
  if (typeof code !== 'string') return undefined;
  if (CONNECTION_ERRNOS.has(code)) {
    return new AppError('DATABASE_UNAVAILABLE', undefined, { retryAfter: 2, cause: err });
  }
  if (!/^[0-9A-Z]{5}$/.test(code)) return undefined;
  switch (code) {
    case '23P01': // exclusion_violation
      if (constraintName === 'reservation_tables_no_overlap') {
        return new AppError('TABLE_ALREADY_RESERVED', undefined, { extra: { ...extra, alternatives: [] }, cause: err });
      }
      return new AppError('CONFLICT', undefined, { extra, cause: err });
    case '23505': // unique_violation
      return new AppError('CONFLICT', undefined, { extra, cause: err });
    case '23503': // foreign_key_violation
      return new AppError('REFERENCE_NOT_FOUND', undefined, { extra, cause: err });
    case '23514': // check_violation
    case '23502': // not_null_violation
    case '23001': // restrict_violation
      return new AppError('CONSTRAINT_VIOLATION', undefined, { extra, cause: err });
    case '55P03': // lock_not_available (lock_timeout)
    case '40001': // serialization_failure
    case '40P01': // deadlock_detected
      return new AppError('DATABASE_BUSY', undefined, { retryAfter: 1, cause: err });
    case '57014': // query_canceled (statement_timeout)
      return new AppError('DATABASE_TIMEOUT', undefined, { retryAfter: 2, cause: err });
    case 'CM001': // Comanda: menu item not available (validate_menu_item_availability, place_order)
      return new AppError('ITEM_UNAVAILABLE', undefined, { extra: itemsOf(err), cause: err });
    case 'CM002': // Comanda: not enough stock (place_order, decrease_menu_item_stock)
      return new AppError('OUT_OF_STOCK', undefined, { extra: itemsOf(err), cause: err });
    case 'CM003': // Comanda: not on this restaurant's menu (place_order, decrease_menu_item_stock)
      return new AppError('UNKNOWN_MENU_ITEM', undefined, { extra: itemsOf(err), cause: err });
    case 'CM004': // Comanda: no table free at that time (assign_tables); DETAIL: alternative times
      return new AppError('TABLE_ALREADY_RESERVED', undefined, { extra: { alternatives: jsonDetail(err) ?? [] }, cause: err });
    case 'CM005': // Comanda: not a bookable time (assign_tables)
      return new AppError('SLOT_UNAVAILABLE', undefined, { cause: err });
    case 'CM006': // Comanda: nothing seats the party (assign_tables)
      return new AppError('PARTY_TOO_LARGE', undefined, { cause: err });
    case 'CM007': // Comanda: an order total of 10,000 or more (place_order, before the orders CHECK)
      return new AppError('ORDER_TOO_LARGE', 'The order total must be under 10,000; split it into several orders.', { cause: err });
  }
  const sqlClass = code.slice(0, 2);
  if (sqlClass === '22') {
    // data_exception: a value the database cannot accept (bad format, out of range).
    return new AppError('VALIDATION_FAILED', 'A value in the request is out of range or badly formed.', { cause: err });
  }
  if (sqlClass === '08' || sqlClass === '53' || code === '57P01' || code === '57P02' || code === '57P03' || code === '25006') {
    // connection_exception, insufficient_resources (too many connections), shutdown/starting up,
    // read_only_sql_transaction (a write reached a server that is, or just became, a standby).
    return new AppError('DATABASE_UNAVAILABLE', undefined, { retryAfter: 2, cause: err });
  }
  return undefined;
}
