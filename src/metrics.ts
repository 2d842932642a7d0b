/**
 * Prometheus metrics, on a registry of our own (so several services can live in
 * one process, as in tests).
 *
 * Label values are bounded: `event_type` is one of the types with a registered
 * handler, or `other`; `code` is an error-catalogue code. No client input can
 * create a series.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { ERRORS, type ErrorCode } from './errors.js';
import { RejectionTally } from './events/upkeep.js';

export type ReceivedOutcome = 'accepted' | 'duplicate' | 'rejected';

export class Metrics {
  readonly registry = new Registry();
  private readonly knownTypes: ReadonlySet<string>;

  readonly received = new Counter({
    name: 'webhooks_received_total',
    help: 'Webhooks received, by outcome (accepted, duplicate, rejected).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'webhooks_rejected_total',
    help: 'Webhooks rejected, by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly completed = new Counter({
    name: 'webhook_jobs_completed_total',
    help: 'Jobs whose handler succeeded.',
    labelNames: ['event_type'] as const,
    registers: [this.registry],
  });
  readonly failed = new Counter({
    name: 'webhook_jobs_failed_total',
    help: 'Failed attempts (thrown, rejected or timed out), whether retried or not.',
    labelNames: ['event_type'] as const,
    registers: [this.registry],
  });
  readonly retried = new Counter({
    name: 'webhook_jobs_retried_total',
    help: 'Failed attempts scheduled for a retry.',
    labelNames: ['event_type'] as const,
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'webhook_jobs_dead_lettered_total',
    help: 'Jobs moved to the dead-letter queue.',
    labelNames: ['event_type'] as const,
    registers: [this.registry],
  });
  readonly reclaimed = new Counter({
    name: 'webhook_jobs_reclaimed_total',
    help: 'Jobs taken back from a consumer that stopped (requeued or dead-lettered).',
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'webhook_job_duration_seconds',
    help: 'Handler run time per attempt.',
    labelNames: ['event_type'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly backlog = new Gauge({
    name: 'webhook_queue_backlog',
    help: "Jobs not yet finished: waiting + in progress + scheduled for retry (last sample, plus this instance's accepts since). Compared with QUEUE_SIZE.",
    registers: [this.registry],
  });
  readonly backlogLimit = new Gauge({
    name: 'webhook_queue_backlog_limit',
    help: 'QUEUE_SIZE: at this backlog, POST /webhooks answers 503 queue_full.',
    registers: [this.registry],
  });
  readonly queueJobs = new Gauge({
    name: 'webhook_queue_jobs',
    help: 'Jobs by state (last sample).',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly dlqSize = new Gauge({
    name: 'webhook_dlq_size',
    help: 'Entries in the dead-letter queue (last sample).',
    registers: [this.registry],
  });
  readonly storeUp = new Gauge({
    name: 'webhook_store_up',
    help: '1 when the last store sample succeeded, else 0.',
    registers: [this.registry],
  });
  readonly storeMemoryUsed = new Gauge({
    name: 'webhook_redis_used_memory_bytes',
    help: 'Redis used_memory (last sample; Redis store only). At maxmemory, ingest answers 503 store_unavailable.',
    registers: [this.registry],
  });
  readonly storeMemoryMax = new Gauge({
    name: 'webhook_redis_maxmemory_bytes',
    help: 'Redis maxmemory (last sample; Redis store only); 0 = no limit.',
    registers: [this.registry],
  });
  readonly diskFull = new Gauge({
    name: 'webhook_store_disk_full',
    help: '1 while the embedded store refuses new webhooks because its disk is full (its workers go on draining), else 0.',
    registers: [this.registry],
  });
  /** Registered once a store reports a disk of its own (the embedded store). */
  readonly diskFreeBytes = new Gauge({
    name: 'webhook_store_disk_free_bytes',
    help: "Free space of the filesystem that holds the embedded store's database, in bytes (last check).",
    registers: [],
  });
  readonly workers = new Gauge({
    name: 'webhook_workers',
    help: 'Configured concurrent jobs for this instance (WORKER_COUNT).',
    registers: [this.registry],
  });
  readonly workersBusy = new Gauge({
    name: 'webhook_workers_busy',
    help: 'Jobs running on this instance now.',
    registers: [this.registry],
  });
  readonly abandoned = new Gauge({
    name: 'webhook_handlers_abandoned',
    help: 'Handlers that timed out but have not returned yet (they ignore their AbortSignal).',
    registers: [this.registry],
  });
  /** Refusals at the edge by status class, for the shared per-minute history. */
  readonly rejections = new RejectionTally();

  readonly signatureFailures = new Counter({
    name: 'webhook_signature_failures_total',
    help: 'Requests to a configured source whose signature did not verify, by source.',
    // Only configured source names reach this label: an unknown source is a 404 first.
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly ingestInflight = new Gauge({
    name: 'webhook_ingest_inflight',
    help: 'Ingest writes this instance is waiting on.',
    registers: [this.registry],
  });
  readonly ingestInflightLimit = new Gauge({
    name: 'webhook_ingest_inflight_limit',
    help: 'INGEST_MAX_INFLIGHT: with this many writes outstanding, POST /webhooks answers 503 overloaded.',
    registers: [this.registry],
  });

  readonly dlqDropped = new Counter({
    name: 'webhook_dlq_dropped_total',
    help: 'Dead letters dropped by a cap, by reason (max_len: DLQ_MAX_LEN, retention: DLQ_RETENTION).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor(knownEventTypes: Iterable<string>, opts: { processMetrics?: boolean } = {}) {
    this.knownTypes = new Set(knownEventTypes);
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The `event_type` label value for a type: itself if known, else `other`. */
  typeLabel(type: string): string {
    return this.knownTypes.has(type) ? type : 'other';
  }

  /** Publishes a store's disk figures; does nothing for a store without a disk of its own. */
  noteDisk(disk: { full: boolean; freeBytes: number } | undefined): void {
    if (!disk) return;
    if (!this.registry.getSingleMetric('webhook_store_disk_free_bytes')) {
      this.registry.registerMetric(this.diskFreeBytes);
    }
    this.diskFull.set(disk.full ? 1 : 0);
    this.diskFreeBytes.set(disk.freeBytes);
  }

  countRejected(code: ErrorCode): void {
    this.received.inc({ outcome: 'rejected' });
    this.rejected.inc({ code });
    this.rejections.count(ERRORS[code].status);
  }
}
