/**
 * The service's health, its destinations, signature failures and the
 * dead-letter queue: GET /health and routes under /admin.
 */
import { ADMIN, call, ROOT } from './client.js';

export interface Health {
  status: 'healthy' | 'unhealthy';
  reason?: string;
  queue_size: number;
  pending: number;
  scheduled: number;
  dlq_size: number;
  workers: number;
  workers_busy: number;
  backlog: number;
  backlog_limit: number;
  ingest_inflight: number;
  ingest_inflight_limit: number;
  store: string;
}

export const getHealth = () => call<Health>('GET', `${ROOT}health`, { accept: [503] });

/** Any guarded call proves a token; this one needs no store. */
export const checkToken = (token: string) => call<unknown>('GET', `${ADMIN}config`, { token });

export interface Destination {
  name: string;
  url: string;
  state: 'closed' | 'open' | 'paused';
  waiting: number;
  in_flight: number;
  scheduled: number;
  open_until: string | null;
  last_error: string | null;
  last_error_at: string | null;
  success_rate_5m: number | null;
  attempts_5m: number;
  /** Attempt duration percentiles on the instance that answered, since it started. */
  p50_ms?: number | null;
  p99_ms?: number | null;
}

export const listDestinations = async () =>
  (await call<{ destinations: Destination[] }>('GET', `${ADMIN}destinations`)).destinations;

export const setPaused = (name: string, paused: boolean) =>
  call<Destination>(
    'POST',
    `${ADMIN}destinations/${encodeURIComponent(name)}/${paused ? 'pause' : 'resume'}`,
  );

/** Each configured source and the requests it refused for a bad signature (this instance). */
export const getSignatureFailures = async () =>
  (
    await call<{ sources: { source: string; failures: number }[] }>(
      'GET',
      `${ADMIN}stats/signatures`,
    )
  ).sources;

/** The DLQ filter, as the API names its parameters (times in RFC 3339). */
export interface DeadLetterFilter {
  type?: string;
  source?: string;
  destination?: string;
  failed_after?: string;
  failed_before?: string;
}

export interface DeadLetter {
  id: string;
  job_id: string;
  event_type: string;
  source: string;
  destination: string | null;
  attempts: number;
  last_error: string;
  first_seen: string;
  failed_at: string;
}

export interface DeadLetterEntry extends DeadLetter {
  idempotency_key: string | null;
  headers: Record<string, string>;
  payload: unknown;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export const listDeadLetters = (filter: DeadLetterFilter, cursor?: string, limit = 50) =>
  call<Page<DeadLetter>>('GET', `${ADMIN}dlq`, { query: { ...filter, cursor, limit } });

export const getDeadLetter = (id: string) =>
  call<DeadLetterEntry>('GET', `${ADMIN}dlq/${encodeURIComponent(id)}`);

export const replayDeadLetter = (id: string) =>
  call<{ id: string; job_id: string; status: 'queued' }>(
    'POST',
    `${ADMIN}dlq/${encodeURIComponent(id)}/replay`,
  );

export const deleteDeadLetter = (id: string) =>
  call<undefined>('DELETE', `${ADMIN}dlq/${encodeURIComponent(id)}`);

/** Where a bulk run stands: pass `up_to` and `cursor` back to carry on. */
export interface BulkStep {
  count: number;
  done: boolean;
  up_to: string | null;
  cursor: string | null;
}

export interface BulkPosition {
  up_to: string | null;
  cursor: string | null;
}

/** One batch of a bulk replay (up to `max` entries) of the entries matching `filter`. */
export async function bulkReplay(filter: DeadLetterFilter, at: BulkPosition, max: number) {
  const r = await call<{ replayed: number } & Omit<BulkStep, 'count'>>(
    'POST',
    `${ADMIN}dlq/replay`,
    { body: { ...filter, ...at, max } },
  );
  return { ...r, count: r.replayed } as BulkStep;
}

/** One batch of a bulk delete, for good. */
export async function bulkPurge(filter: DeadLetterFilter, at: BulkPosition, max: number) {
  const r = await call<{ purged: number } & Omit<BulkStep, 'count'>>('DELETE', `${ADMIN}dlq`, {
    query: { ...filter, ...at, max, confirm: true },
  });
  return { ...r, count: r.purged } as BulkStep;
}
