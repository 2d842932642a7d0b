/**
 * An instance of an older version, as Redis sees it. Older versions differed in
 * one key only: their job stream was `{QUEUE_NAME}`. Everything else (the scripts,
 * the entry fields, the retry set, the DLQ, the idempotency keys) is the same, so
 * running today's scripts with that stream key writes exactly what they wrote.
 * (Older versions kept no event log: the scripts run with it off.)
 */
import type { Redis } from 'ioredis';
import { dedupeKey } from '../../src/ingest/event.js';
import { noRecord } from '../../src/store/redis/event-records.js';
import { type QueueKeys, queueKeys } from '../../src/store/redis/keys.js';
import { type OutcomeLog, QueueScripts } from '../../src/store/redis/scripts.js';
import type { JobRecord } from '../../src/store/store.js';

export interface OlderDelivery {
  handle: string;
  job: JobRecord;
}

export class OlderInstance {
  /** The keys as the older version named them. */
  readonly keys: QueueKeys;
  private readonly scripts: QueueScripts;

  constructor(
    private readonly redis: Redis,
    queue: string,
    readonly consumer = 'older-instance',
  ) {
    const keys = queueKeys(queue);
    this.keys = { ...keys, stream: keys.legacyStream };
    this.scripts = new QueueScripts(redis);
  }

  /** No event log; the scripts count their minute's history all the same. */
  private get log(): OutcomeLog {
    return {
      keys: this.keys.events,
      history: `${this.keys.historyPrefix}${Math.floor(Date.now() / 60_000) * 60_000}`,
      on: false,
      target: 'handlers',
    };
  }

  /** What its start-up did: create the stream and the group. */
  async init(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.keys.stream, this.keys.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  /** Accepts a webhook (deduplicated on `idempotencyKey` from the default source, when given). */
  async enqueue(job: JobRecord, idempotencyKey?: string): Promise<void> {
    const key = idempotencyKey === undefined ? '-' : dedupeKey('default', idempotencyKey);
    await this.scripts.enqueue(
      [
        {
          idemKey: this.keys.idempotencyPrefix + key,
          dedupe: idempotencyKey !== undefined,
          ttlMs: 600_000,
          id: job.id,
          targets: [{ stream: this.keys.stream, job: JSON.stringify(job) }],
          record: noRecord({}),
        },
      ],
      { keys: this.keys.events, history: this.log.history, maxEvents: 0, retentionMs: 0 },
    );
  }

  /** Reads up to `n` new jobs, as its workers did; an empty read still shows it alive. */
  async claim(n: number): Promise<OlderDelivery[]> {
    const reply = (await this.redis.xreadgroup(
      'GROUP',
      this.keys.group,
      this.consumer,
      'COUNT',
      n,
      'STREAMS',
      this.keys.stream,
      '>',
    )) as [string, [string, string[]][]][] | null;
    return (reply?.[0]?.[1] ?? []).map(([handle, fields]) => ({
      handle,
      job: JSON.parse(fields[fields.indexOf('job') + 1] as string) as JobRecord,
    }));
  }

  /** Completes jobs; returns how many were still its own. */
  complete(deliveries: readonly OlderDelivery[]): Promise<number> {
    return this.scripts.ack(
      this.keys.stream,
      this.keys.group,
      deliveries.map((d) => ({ handle: d.handle, jobId: d.job.id, attempt: '' })),
      this.log,
    );
  }

  /** Schedules a failed attempt's retry after `delayMs`; 1 when it was still its own. */
  retry(d: OlderDelivery, delayMs: number, attempts: number, error: string): Promise<number> {
    return this.scripts.retry(
      this.keys,
      this.keys.group,
      d.handle,
      d.job.id,
      delayMs,
      attempts,
      error,
      '',
      this.log,
    );
  }

  /** Dead-letters a job it holds; 1 when it was still its own. */
  deadLetter(d: OlderDelivery, attempts: number, error: string): Promise<number> {
    return this.scripts.deadLetter(
      this.keys.stream,
      this.keys.dlq,
      this.keys.group,
      d.handle,
      attempts,
      error,
      '',
      this.log,
    );
  }

  /** Moves due retries (from the retry set both layouts share) into its stream. */
  promoteDue(): Promise<number> {
    return this.scripts.promote(this.keys, 100);
  }

  /**
   * Stands in for an hour without it: its consumer leaves the group, as the older
   * version's own pruning removed a consumer idle for that long with nothing pending.
   */
  async goneAnHour(): Promise<void> {
    await this.redis.xgroup('DELCONSUMER', this.keys.stream, this.keys.group, this.consumer);
  }

  /** Replays dead letters into its stream, as its admin routes did. */
  replay(dlqIds: readonly string[]): Promise<number> {
    return this.scripts.dlqReplay(
      this.keys.stream,
      this.keys.dlq,
      this.keys.lanePrefix,
      { summary: this.keys.events.summary, on: false },
      dlqIds,
    );
  }
}
