/**
 * Ingest: turns a validated request into a durable job, or refuses it quickly.
 *
 * `refusal` is checked before the body is read, so shedding load costs neither
 * the body nor a store call. `accept` makes exactly one store call (the atomic
 * dedupe-and-enqueue script) and resolves only after the store confirmed it.
 */
import { randomUUID } from 'node:crypto';
import type { Metrics } from '../metrics.js';
import {
  type EnqueueTargets,
  HANDLERS_ONLY,
  type JobRecord,
  type Store,
  StoreUnavailableError,
} from '../store/store.js';
import type { BacklogMonitor } from './backlog.js';
import { dedupeKey } from './event.js';
import { type IngestRefusal, IngestRefusedError, ingestRefusal, LOAD_REFUSALS } from './refusal.js';

export interface IngestOptions {
  idempotencyTtlMs: number;
  /** Local bound on writes in flight from this instance. */
  maxInflight: number;
  /** Where an event goes (its routes); default: the in-process handlers alone. */
  route?: (source: string, eventType: string, payload: unknown) => EnqueueTargets;
}

export interface AcceptRequest {
  source: string;
  eventType: string;
  /** The body as received. */
  rawBody: string;
  idempotencyKey: string | undefined;
  /** The request headers to keep with the job, already redacted (see headers.ts). */
  headers?: Record<string, string>;
  /** The parsed body, for routing. */
  payload?: unknown;
  /** The request's Content-Type, forwarded with the body to destinations. */
  contentType?: string;
}

export interface AcceptResult {
  id: string;
  duplicate: boolean;
}

export class Ingestor {
  private inflight = 0;
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly backlog: BacklogMonitor,
    private readonly metrics: Metrics,
    private readonly opts: IngestOptions,
  ) {
    metrics.ingestInflightLimit.set(opts.maxInflight);
  }

  /** From now on every request is refused with shutting_down. */
  stop(): void {
    this.stopping = true;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  get inflightWrites(): number {
    return this.inflight;
  }

  /** INGEST_MAX_INFLIGHT. */
  get maxInflightWrites(): number {
    return this.opts.maxInflight;
  }

  /** Why this instance cannot take a webhook right now, if it cannot. Costs no store call. */
  refusal(): IngestRefusal | undefined {
    return ingestRefusal({
      stopping: this.stopping,
      storeUp: this.backlog.storeUp,
      diskFull: this.backlog.diskFull,
      backlogFull: this.backlog.full,
      inflight: this.inflight,
      maxInflight: this.opts.maxInflight,
    });
  }

  /** True while this instance refuses webhooks for load (backlog full, or too many writes). */
  get shedding(): boolean {
    const code = this.refusal();
    return code !== undefined && LOAD_REFUSALS.has(code);
  }

  /** Throws IngestRefusedError with the refusal, if any. */
  admit(): void {
    const reason = this.refusal();
    if (reason !== undefined) throw new IngestRefusedError(reason);
  }

  /**
   * Makes the request a durable job. Throws IngestRefusedError when ingest
   * refuses it, `store_unavailable` included when the store write itself fails.
   */
  async accept(req: AcceptRequest): Promise<AcceptResult> {
    this.admit();
    const job: JobRecord = {
      id: randomUUID(),
      type: req.eventType,
      source: req.source,
      payload: req.rawBody,
      receivedAt: Date.now(),
      ...(req.idempotencyKey !== undefined ? { idempotencyKey: req.idempotencyKey } : {}),
      ...(req.headers !== undefined ? { headers: req.headers } : {}),
      ...(req.contentType !== undefined ? { contentType: req.contentType } : {}),
    };
    const targets = this.opts.route?.(req.source, req.eventType, req.payload) ?? HANDLERS_ONLY;
    const dedupe =
      req.idempotencyKey === undefined
        ? undefined
        : { key: dedupeKey(req.source, req.idempotencyKey), ttlMs: this.opts.idempotencyTtlMs };
    this.inflight++;
    this.metrics.ingestInflight.set(this.inflight);
    try {
      const seq = this.backlog.issue();
      const result = await this.store.enqueue(job, dedupe, targets);
      const copies = (targets.handlers ? 1 : 0) + targets.destinations.length;
      if (!result.duplicate) this.backlog.noteAccepted(seq, copies);
      return result;
    } catch (err) {
      if (err instanceof StoreUnavailableError)
        throw new IngestRefusedError('store_unavailable', { cause: err });
      throw err;
    } finally {
      this.inflight--;
      this.metrics.ingestInflight.set(this.inflight);
    }
  }
}
