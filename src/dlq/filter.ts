/**
 * The DLQ filter as operators write it (query string or JSON body): event type,
 * source, and a failure-time range in RFC 3339. Anything else, or a typo in a
 * parameter's name, is refused rather than ignored: an ignored filter would
 * widen a replay or a purge to every entry.
 */
import type { DeadLetterFilter, DeadLetters } from '../store/store.js';

export interface RawFilter {
  type?: unknown;
  source?: unknown;
  destination?: unknown;
  failed_after?: unknown;
  failed_before?: unknown;
}

/** What an operator's query got wrong: a filter or paging parameter, or a cursor. */
export type FilterFault = 'filter' | 'cursor';

/**
 * A filter, paging parameter or cursor that this service cannot use; `detail`,
 * when given, names the parameter and what it must be.
 */
export class FilterError extends Error {
  constructor(
    readonly reason: FilterFault,
    readonly detail?: string,
  ) {
    super(
      detail ??
        (reason === 'cursor' ? 'The cursor is not one this service returned.' : 'Invalid filter.'),
    );
    this.name = 'FilterError';
  }
}

export const FILTER_PARAMS = [
  'type',
  'source',
  'destination',
  'failed_after',
  'failed_before',
] as const;

export const EVENT_TYPE = /^[A-Za-z0-9._:/-]{1,128}$/;
/** A source's or a destination's name. */
export const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export function invalid(what: string): never {
  throw new FilterError('filter', `Invalid filter: ${what}.`);
}

/** An RFC 3339 time parameter, in ms since the epoch; undefined when absent. */
export function time(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && RFC3339.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms))
    invalid(`${name} must be an RFC 3339 time such as 2026-01-31T12:00:00Z`);
  return ms;
}

/** Refuses parameters that are not in `allowed`. */
export function onlyKnown(params: object, allowed: readonly string[]): void {
  const unknown = Object.keys(params).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    invalid(`unknown parameter ${unknown.map((k) => JSON.stringify(k)).join(', ')}`);
}

export function parseFilter(raw: RawFilter): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  if (raw.type !== undefined) {
    if (typeof raw.type !== 'string' || !EVENT_TYPE.test(raw.type))
      invalid('type is not an event type');
    filter.type = raw.type;
  }
  if (raw.source !== undefined) {
    if (typeof raw.source !== 'string' || !NAME.test(raw.source))
      invalid('source is not a source name');
    filter.source = raw.source;
  }
  if (raw.destination !== undefined) {
    if (typeof raw.destination !== 'string' || !NAME.test(raw.destination))
      invalid('destination is not a destination name');
    filter.destination = raw.destination;
  }
  const from = time('failed_after', raw.failed_after);
  const to = time('failed_before', raw.failed_before);
  if (from !== undefined) filter.failedFrom = from;
  if (to !== undefined) filter.failedTo = to;
  if (from !== undefined && to !== undefined && from >= to) {
    invalid('failed_after must be before failed_before');
  }
  return filter;
}

/** A cursor or bound given back by a client: an entry id of this store, or undefined. */
export function parseCursor(dlq: DeadLetters, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !dlq.isId(value)) throw new FilterError('cursor');
  return value;
}
