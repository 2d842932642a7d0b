/**
 * Whether this instance takes a webhook right now, decided in one place.
 *
 * Ingest asks before it reads a body (Ingestor.refusal), the HTTP server's edge
 * asks before Fastify sees the request, and /health and /health/ready ask why the
 * instance is not fit for traffic: all of them through these two functions, so
 * that a new reason to refuse (a disk that filled, a store that went away) is
 * added once and every answer agrees.
 */

/** What ingest's decision reads; every field is known without a store call. */
export interface AdmissionState {
  stopping: boolean;
  /** The last store sample succeeded. */
  storeUp: boolean;
  /** The store refuses new jobs because its disk is full. */
  diskFull: boolean;
  /** The backlog is at or over its limit (QUEUE_SIZE). */
  backlogFull: boolean;
  /** Writes in flight from this instance, and their bound (INGEST_MAX_INFLIGHT). */
  inflight: number;
  maxInflight: number;
}

/** Why the instance should get no traffic at all, whatever the load. */
export type Unavailability = 'shutting_down' | 'store_unreachable' | 'disk_full';

/** Why ingest refuses a webhook now; each is a code in the error catalogue too. */
export type IngestRefusal = 'shutting_down' | 'store_unavailable' | 'queue_full' | 'overloaded';

/** The refusals that shed load: the instance is healthy, only busy. */
export const LOAD_REFUSALS: ReadonlySet<IngestRefusal> = new Set(['queue_full', 'overloaded']);

/** Why the instance is unfit for any traffic, if it is (the probes' question). */
export function unavailability(
  s: Pick<AdmissionState, 'stopping' | 'storeUp' | 'diskFull'>,
): Unavailability | undefined {
  if (s.stopping) return 'shutting_down';
  if (!s.storeUp) return 'store_unreachable';
  if (s.diskFull) return 'disk_full';
  return undefined;
}

/**
 * Why ingest refuses a webhook now, if it does: unavailable first (a sender
 * should go elsewhere), then load (a sender should come back soon).
 */
export function ingestRefusal(s: AdmissionState): IngestRefusal | undefined {
  const down = unavailability(s);
  if (down === 'shutting_down') return 'shutting_down';
  if (down !== undefined) return 'store_unavailable';
  if (s.backlogFull) return 'queue_full';
  if (s.inflight >= s.maxInflight) return 'overloaded';
  return undefined;
}

/** A webhook ingest refused; `reason` says why, as ingestRefusal decided. */
export class IngestRefusedError extends Error {
  constructor(
    readonly reason: IngestRefusal,
    options?: { cause?: unknown },
  ) {
    super(`Ingest refused the webhook: ${reason}.`, options);
    this.name = 'IngestRefusedError';
  }
}
