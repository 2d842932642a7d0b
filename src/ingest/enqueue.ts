/**
 * Producing jobs from code (`service.enqueue(type, payload)`): the same ingest as
 * POST /webhooks, by the same rules, so a job made in code is deduplicated,
 * routed, bounded by QUEUE_SIZE and durable before the promise resolves, exactly
 * like one that came over HTTP.
 */
import { eventTypeOf, idempotencyKeyOf } from './event.js';
import type { AcceptResult, Ingestor } from './ingestor.js';

export interface EnqueueOptions {
  /** The source it is filed under (routes and handlers may be per source). Default `default`. */
  source?: string;
  /** Deduplicates as the Idempotency-Key header does; else the payload's `id`, as over HTTP. */
  idempotencyKey?: string;
  /** Headers to keep with the job, as a handler's `job.headers` shows them. */
  headers?: Record<string, string>;
}

const SOURCE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * Resolves once the job is durable, with its id (and `duplicate` when the key
 * was seen within IDEMPOTENCY_TTL). Rejects as ingest would refuse the
 * request: an InvalidInputError (`reason` `event_type`, `idempotency_key`) or
 * an IngestRefusedError (`queue_full`, `store_unavailable`, `shutting_down`,
 * `overloaded`), and a TypeError for a payload that is not a JSON object.
 */
export async function enqueueJob(
  ingestor: Ingestor,
  type: string,
  payload: Record<string, unknown>,
  opts: EnqueueOptions = {},
): Promise<AcceptResult> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new TypeError('a job payload must be a JSON object');
  }
  const source = opts.source ?? 'default';
  if (!SOURCE.test(source)) throw new TypeError(`"${source}" is not a source name`);
  // JSON.stringify throws on a cycle or a BigInt: a payload that cannot be stored.
  const rawBody = JSON.stringify(payload);
  const eventType = eventTypeOf(type, payload);
  return ingestor.accept({
    source,
    eventType,
    rawBody,
    idempotencyKey: idempotencyKeyOf(opts.idempotencyKey, payload, rawBody),
    payload,
    contentType: 'application/json',
    ...(opts.headers ? { headers: { ...opts.headers } } : {}),
  });
}
