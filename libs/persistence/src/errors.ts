import { DomainError, describeError, isNetworkErrorCode } from '@framewire/contracts';

/**
 * Database failures that mean "try again later" rather than "this request is
 * wrong": the server is unreachable, restarting, shedding connections, or the
 * connection dropped under us. They surface as DATABASE_UNAVAILABLE (retryable),
 * so a JetStream handler naks with backoff instead of terming the message.
 */

/** SQLSTATEs outside class 08 (connection exception) that are transient. */
const TRANSIENT_SQLSTATES: ReadonlySet<string> = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '57P05', // idle_session_timeout
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
]);

/** node-postgres and pg-pool report lost connections with plain Errors. */
const TRANSIENT_MESSAGES: readonly RegExp[] = [
  /connection terminated/i,
  /connection ended unexpectedly/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error and is not queryable/i,
  /terminating connection due to administrator command/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

function* causes(err: unknown, depth = 0): Generator<unknown> {
  if (err === null || err === undefined || depth > 5) return;
  yield err;
  if (typeof err !== 'object') return;
  const e = err as { driverError?: unknown; cause?: unknown; errors?: unknown };
  if (e.driverError !== undefined && e.driverError !== err) yield* causes(e.driverError, depth + 1);
  if (e.cause !== undefined && e.cause !== err) yield* causes(e.cause, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* causes(inner, depth + 1);
}

/** True when `err` (or what it wraps: TypeORM's driverError, cause, AggregateError) is a lost or refused connection. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (const e of causes(err)) {
    if (typeof e !== 'object' || e === null) continue;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (isNetworkErrorCode(code) || TRANSIENT_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
    }
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && TRANSIENT_MESSAGES.some((re) => re.test(message))) return true;
  }
  return false;
}

/** SQLSTATE of a pg error, looking through TypeORM's QueryFailedError. */
export function sqlState(err: unknown): string | undefined {
  for (const e of causes(err)) {
    const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** Turns transient database failures into DomainError('DATABASE_UNAVAILABLE'); anything else is returned as is. */
export function toDatabaseError(err: unknown): unknown {
  if (err instanceof DomainError) return err;
  if (isDatabaseUnavailable(err)) {
    return new DomainError('DATABASE_UNAVAILABLE', `database unavailable: ${describeError(err)}`, { cause: err });
  }
  return err;
}

/** Runs `fn`, rethrowing transient database failures as DATABASE_UNAVAILABLE. */
export async function withDatabaseErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toDatabaseError(err);
  }
}
