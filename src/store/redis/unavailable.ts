/**
 * Redis failures as the store interface reports them: a command that failed
 * because Redis could not be reached (connection closed or refused, command
 * timed out, socket not writable) or answered "not now" (loading, busy,
 * read-only, out of memory) becomes a StoreUnavailableError, which the HTTP
 * layer answers with 503 `store_unavailable`. Errors that mean a bug (a Lua
 * error, a wrong type, a TypeError in our own code) stay what they are.
 */
import { ReplyError } from 'ioredis';
import type { DestinationStates } from '../destinations.js';
import type { EventLog, ThroughputHistory } from '../event-log.js';
import { type DeadLetters, StoreUnavailableError } from '../store.js';

/** Replies that say the server cannot serve now, not that the command was wrong. */
const TRANSIENT_REPLY =
  /^(?:LOADING|BUSY|READONLY|MASTERDOWN|OOM|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MISCONF)\b/;

/** Errors thrown by our own code, never by a connection. */
const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError];

/** True when `err` says Redis is out of reach or cannot serve now. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  if (err instanceof ReplyError) return TRANSIENT_REPLY.test(err.message);
  // ioredis rejects a command it could not complete with a plain Error ("Connection
  // is closed.", "Command timed out", "Stream isn't writeable…") or a
  // MaxRetriesPerRequestError; a connect failure carries a system error code.
  return !PROGRAMMING_ERRORS.some((type) => err instanceof type);
}

/**
 * True when Redis refused a command for want of memory: at `maxmemory` under
 * `noeviction`, every command flagged `denyoom` is refused, even one that would
 * create nothing.
 */
export function isOutOfMemory(err: unknown): boolean {
  return err instanceof ReplyError && /^OOM\b/.test((err as Error).message);
}

/** `err` as the store reports it: a StoreUnavailableError when Redis is out of reach. */
export function storeError(err: unknown, what: string): unknown {
  if (err instanceof StoreUnavailableError || !isUnavailable(err)) return err;
  return new StoreUnavailableError(`${what} failed: ${(err as Error).message}`, { cause: err });
}

/**
 * Wraps the methods of `inner` so that a Redis failure surfaces as a
 * StoreUnavailableError naming `area` and the operation.
 */
function guardedBy(inner: object, area: string) {
  return <A extends unknown[], R>(what: string, op: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await op.apply(inner, args);
      } catch (err) {
        throw storeError(err, `${area} ${what}`);
      }
    };
}

/** The dead letters of `inner`, failing with StoreUnavailableError while Redis is out of reach. */
export function deadLettersReportingOutages(inner: DeadLetters): DeadLetters {
  const guarded = guardedBy(inner, 'dead-letter');
  return {
    isId: (text) => inner.isId(text),
    list: guarded('list', inner.list),
    get: guarded('read', inner.get),
    newestId: guarded('read', inner.newestId),
    replay: guarded('replay', inner.replay),
    remove: guarded('removal', inner.remove),
    trim: guarded('trim', inner.trim),
  };
}

/** The destination states of `inner`, failing with StoreUnavailableError while Redis is out of reach. */
export function destinationStatesReportingOutages(inner: DestinationStates): DestinationStates {
  const guarded = guardedBy(inner, 'destination');
  return {
    status: guarded('status', inner.status),
    gate: guarded('gate', inner.gate),
    recordSuccess: guarded('outcome', inner.recordSuccess),
    recordFailure: guarded('outcome', inner.recordFailure),
    setPaused: guarded('pause', inner.setPaused),
    takeRate: guarded('rate limit', inner.takeRate),
  };
}

/** The event log of `inner`, failing with StoreUnavailableError while Redis is out of reach. */
export function eventLogReportingOutages(inner: EventLog): EventLog {
  const guarded = guardedBy(inner, 'event log');
  return {
    enabled: inner.enabled,
    isCursor: (text) => inner.isCursor(text),
    list: guarded('search', inner.list),
    get: guarded('read', inner.get),
    trim: guarded('trim', inner.trim),
    size: guarded('size', inner.size),
  };
}

/** The history of `inner`, failing with StoreUnavailableError while Redis is out of reach. */
export function historyReportingOutages(inner: ThroughputHistory): ThroughputHistory {
  const guarded = guardedBy(inner, 'history');
  return {
    read: guarded('read', inner.read),
    addRejected: guarded('update', inner.addRejected),
  };
}
