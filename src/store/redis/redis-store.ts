/**
 * The Redis Streams store.
 *
 * Layout (all keys share the `{QUEUE_NAME}` hash tag, see keys.ts):
 * - the job stream, read by one consumer group; each instance is one consumer;
 * - a sorted set + hash of jobs waiting for a retry;
 * - a dead-letter stream;
 * - one string key per idempotency key, with a TTL.
 *
 * Every state change that touches more than one key is a Lua script. A completed
 * job is acknowledged and deleted in one step, so the stream holds exactly the
 * undelivered and the in-progress jobs: no trimming policy can drop one of those.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../../config/config.js';
import {
  type DeadLetterEntry,
  type Dedupe,
  type Delivery,
  type EnqueueResult,
  type JobRecord,
  type QueueStats,
  type ReclaimResult,
  type Store,
  StoreUnavailableError,
} from '../store.js';
import {
  blockingConnection,
  commandConnection,
  connect,
  withConnectionCause,
} from './connection.js';
import { fieldMap, parseDeadLetter, RedisDeadLetters } from './dead-letters.js';
import { EnqueueBatcher } from './enqueue-batcher.js';
import { type QueueKeys, queueKeys } from './keys.js';
import { QueueScripts, UNPIPELINED_SCRIPTS } from './scripts.js';
import { checkServer, factsFromInfo, parseInfo } from './server-checks.js';

export interface RedisStoreOptions {
  redis: RedisConfig;
  queueName: string;
  /** This instance's consumer name; unique per process. */
  consumer: string;
  log: Logger;
}

/** Longest a blocking read may wait; bounds how long shutdown or a reconnect waits for it. */
const MAX_BLOCK_MS = 2_000;
/** Most webhooks in one enqueue script run (about 2 ms of Redis time). */
const MAX_ENQUEUE_BATCH = 100;
/** Pending entries scanned per XAUTOCLAIM call, and calls per reclaim pass. */
const RECLAIM_COUNT = 100;
const RECLAIM_MAX_CALLS = 50;
/** Consumers idle this long with nothing pending are removed from the group, checked this often. */
const CONSUMER_PRUNE_IDLE_MS = 3_600_000;
const CONSUMER_PRUNE_EVERY_MS = 60_000;

type StreamEntry = [id: string, fields: string[] | null];
type ReadReply = [stream: string, entries: StreamEntry[]][] | null;

export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly location: string;
  readonly keys: QueueKeys;
  private readonly cmd: Redis;
  private readonly scripts: QueueScripts;
  private readonly enqueues: EnqueueBatcher;
  private reader: Redis | undefined;
  private readerClientId: number | undefined;
  /** Entries this consumer holds; excluded when re-reading our own pending list. */
  private readonly held = new Set<string>();
  /** The last read filled every slot asked for: more jobs are probably waiting. */
  private backlogged = false;
  /** After a reconnect, a lost XREADGROUP reply may have left entries in our PEL. */
  private recoverOwnPending = true;
  private closed = false;
  private lastPrune = 0;
  /** Enqueues sent and not yet answered; close waits for them (each has a command timeout). */
  private readonly enqueuing = new Set<Promise<unknown>>();
  readonly deadLetters: RedisDeadLetters;

  constructor(private readonly opts: RedisStoreOptions) {
    this.keys = queueKeys(opts.queueName);
    this.location = `${opts.redis.display} stream ${this.keys.stream}`;
    this.cmd = commandConnection(opts.redis, `webhook-processor:${opts.consumer}`, {
      unpipelined: UNPIPELINED_SCRIPTS,
    });
    this.cmd.on('error', (err) => opts.log.debug({ err: err.message }, 'redis connection error'));
    // Claims also read on this connection (see claim): a reply lost with it may
    // have left entries in our pending list.
    this.cmd.on('ready', () => {
      this.recoverOwnPending = true;
    });
    this.scripts = new QueueScripts(this.cmd);
    this.enqueues = new EnqueueBatcher(
      (items) => this.scripts.enqueue(this.keys.stream, items),
      MAX_ENQUEUE_BATCH,
    );
    this.deadLetters = new RedisDeadLetters(this.cmd, this.scripts, this.keys);
  }

  /** The command connection, for components that share it (rate limits, admin). */
  get client(): Redis {
    return this.cmd;
  }

  async init(): Promise<void> {
    await withConnectionCause(this.cmd, () => this.checkAndPrepare());
  }

  private async checkAndPrepare(): Promise<void> {
    await connect(this.cmd);
    const info = parseInfo((await this.cmd.info()) as string);
    let save: string | undefined;
    try {
      const reply = (await this.cmd.config('GET', 'save')) as string[];
      save = reply[1];
    } catch {
      save = undefined; // CONFIG is often disabled on managed Redis; judge by INFO alone.
    }
    for (const w of checkServer(factsFromInfo(info, save))) this.opts.log.warn(w);
    await this.ensureGroup();
  }

  private async ensureGroup(): Promise<void> {
    try {
      await this.cmd.xgroup('CREATE', this.keys.stream, this.keys.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  async enqueue(job: JobRecord, dedupe: Dedupe | undefined): Promise<EnqueueResult> {
    if (this.closed) throw new StoreUnavailableError('the queue store is closed');
    const sent = this.enqueues.add({
      idemKey: this.keys.idempotencyPrefix + (dedupe ? dedupe.key : '-'),
      dedupe: dedupe !== undefined,
      ttlMs: dedupe?.ttlMs ?? 0,
      id: job.id,
      job: JSON.stringify(job),
    });
    this.enqueuing.add(sent);
    try {
      return await sent;
    } catch (err) {
      throw new StoreUnavailableError(`enqueue failed: ${(err as Error).message}`, { cause: err });
    } finally {
      this.enqueuing.delete(sent);
    }
  }

  private async readerConnection(): Promise<Redis> {
    if (!this.reader) {
      const reader = blockingConnection(
        this.opts.redis,
        `webhook-processor:${this.opts.consumer}:reader`,
        MAX_BLOCK_MS,
      );
      reader.on('error', (err) =>
        this.opts.log.debug({ err: err.message }, 'redis reader connection error'),
      );
      reader.on('ready', () => {
        this.recoverOwnPending = true;
        this.readerClientId = undefined;
      });
      this.reader = reader;
    }
    await connect(this.reader);
    if (this.readerClientId === undefined) {
      this.readerClientId = (await this.reader.client('ID')) as number;
    }
    return this.reader;
  }

  async claim(max: number, blockMs: number): Promise<Delivery[]> {
    if (this.closed || max <= 0) return [];
    const reader = await this.readerConnection();
    try {
      if (this.recoverOwnPending) {
        const recovered = await this.readOwnPending(reader, max);
        if (recovered.length > 0) return recovered;
        this.recoverOwnPending = false;
      }
      // While jobs are waiting (the last read filled every free slot), read them on
      // the command connection: auto-pipelining sends the read in one write with the
      // acknowledgements issued in the same tick, one round trip for both. Otherwise
      // the queue is (nearly) empty and a blocking read on the reader connection is
      // the one round trip that will find the next job.
      if (this.backlogged) {
        const reply = await this.readNew(this.cmd, max, undefined);
        const ready = this.toDeliveries(reply);
        this.backlogged = (reply?.[0]?.[1]?.length ?? 0) >= max;
        if (ready.length > 0) return ready;
      }
      const block = Math.max(1, Math.min(blockMs, MAX_BLOCK_MS));
      const reply = await this.readNew(reader, max, block);
      this.backlogged = (reply?.[0]?.[1]?.length ?? 0) >= max;
      return this.toDeliveries(reply);
    } catch (err) {
      this.recoverOwnPending = true;
      if (String((err as Error).message).includes('NOGROUP')) {
        // The stream was deleted under us (FLUSHDB, an operator): recreate and carry on.
        await this.ensureGroup();
        return [];
      }
      throw err;
    }
  }

  /** XREADGROUP of new entries; `blockMs` undefined = do not wait. */
  private readNew(conn: Redis, max: number, blockMs: number | undefined): Promise<ReadReply> {
    const { group, stream } = this.keys;
    const consumer = this.opts.consumer;
    return (
      blockMs === undefined
        ? conn.xreadgroup('GROUP', group, consumer, 'COUNT', max, 'STREAMS', stream, '>')
        : conn.xreadgroup(
            'GROUP',
            group,
            consumer,
            'COUNT',
            max,
            'BLOCK',
            blockMs,
            'STREAMS',
            stream,
            '>',
          )
    ) as Promise<ReadReply>;
  }

  /** Entries in our own PEL that we do not hold: replies lost to a dropped connection. */
  private async readOwnPending(reader: Redis, max: number): Promise<Delivery[]> {
    let after = '0';
    for (;;) {
      const reply = (await reader.xreadgroup(
        'GROUP',
        this.keys.group,
        this.opts.consumer,
        'COUNT',
        Math.max(max, 100),
        'STREAMS',
        this.keys.stream,
        after,
      )) as ReadReply;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) return [];
      const fresh = entries.filter(([id]) => !this.held.has(id));
      if (fresh.length > 0) {
        this.opts.log.info(
          { count: fresh.length },
          'recovered entries left in our pending list by a lost reply',
        );
        return this.toDeliveries([[this.keys.stream, fresh.slice(0, max)]]);
      }
      after = (entries[entries.length - 1] as StreamEntry)[0];
    }
  }

  private toDeliveries(reply: ReadReply): Delivery[] {
    const entries = reply?.[0]?.[1] ?? [];
    const out: Delivery[] = [];
    for (const [handle, fields] of entries) {
      if (!fields) {
        // Deleted while pending (Redis 6.2 reply shape): its data is gone.
        this.opts.log.error(
          { entry: handle },
          'stream entry deleted while pending; acknowledging it',
        );
        void this.scripts.ack(this.keys.stream, this.keys.group, [handle]).catch(() => undefined);
        continue;
      }
      const delivery = parseDelivery(handle, fields);
      if (!delivery) {
        this.opts.log.error(
          { entry: handle },
          'malformed stream entry; moving it to the dead-letter queue',
        );
        void this.scripts
          .deadLetter(
            this.keys.stream,
            this.keys.dlq,
            this.keys.group,
            handle,
            0,
            'malformed stream entry',
          )
          .catch(() => undefined);
        continue;
      }
      this.held.add(handle);
      out.push(delivery);
    }
    return out;
  }

  async interruptClaim(): Promise<void> {
    if (this.readerClientId === undefined || this.cmd.status !== 'ready') return;
    try {
      await this.cmd.client('UNBLOCK', this.readerClientId);
    } catch {
      // The read ends by itself within MAX_BLOCK_MS.
    }
  }

  async complete(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    const ids = deliveries.map((d) => d.handle);
    let acked: number;
    try {
      acked = await this.scripts.ack(this.keys.stream, this.keys.group, ids);
    } finally {
      // Even on failure: the entries stay in our PEL, and re-reading it after a
      // reconnect runs them again (at-least-once) rather than waiting for reclaim.
      this.forget(ids);
    }
    if (acked < ids.length) {
      // No longer pending: taken back by a reclaim (Redis was out of reach for
      // longer than RECLAIM_IDLE), so the job runs again; or already acknowledged
      // (an earlier write that timed out but was applied, or a re-read run).
      this.opts.log.warn(
        { jobs: ids.length - acked },
        'completed jobs were no longer pending: reclaimed meanwhile (they run again) or already completed',
      );
    }
  }

  private forget(handles: readonly string[]): void {
    for (const h of handles) this.held.delete(h);
  }

  async retryLater(d: Delivery, delayMs: number, error: string): Promise<boolean> {
    try {
      const ok = await this.scripts.retry(
        this.keys,
        this.keys.group,
        d.handle,
        d.job.id,
        Math.max(0, Math.round(delayMs)),
        d.attempt,
        error,
      );
      return ok === 1;
    } finally {
      this.forget([d.handle]);
    }
  }

  async deadLetter(d: Delivery, attempts: number, error: string): Promise<boolean> {
    try {
      const ok = await this.scripts.deadLetter(
        this.keys.stream,
        this.keys.dlq,
        this.keys.group,
        d.handle,
        attempts,
        error,
      );
      return ok === 1;
    } finally {
      this.forget([d.handle]);
    }
  }

  async release(deliveries: readonly Delivery[]): Promise<number> {
    if (deliveries.length === 0) return 0;
    const ids = deliveries.map((d) => d.handle);
    try {
      return await this.scripts.release(this.keys.stream, this.keys.group, ids);
    } finally {
      this.forget(ids);
    }
  }

  async promoteDue(max: number): Promise<number> {
    return this.scripts.promote(this.keys, max);
  }

  async reclaimStale(idleMs: number, maxAttempts: number): Promise<ReclaimResult> {
    const result: ReclaimResult = { requeued: 0, deadLettered: 0, missing: [] };
    let cursor = '0-0';
    for (let i = 0; i < RECLAIM_MAX_CALLS; i++) {
      const [next, requeued, dead, deleted] = await this.scripts.reclaim(
        this.keys.stream,
        this.keys.dlq,
        this.keys.group,
        this.opts.consumer,
        idleMs,
        RECLAIM_COUNT,
        cursor,
        maxAttempts,
        `worker lost: no outcome within ${idleMs}ms (the consumer holding it stopped or stalled)`,
      );
      result.requeued += requeued;
      result.deadLettered += dead;
      result.missing.push(...deleted);
      cursor = next;
      if (cursor === '0-0') break;
    }
    if (Date.now() - this.lastPrune > CONSUMER_PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await this.pruneConsumers(CONSUMER_PRUNE_IDLE_MS);
    }
    return result;
  }

  /** Removes consumers idle longer than `idleMs` with nothing pending. Returns how many. */
  async pruneConsumers(idleMs: number): Promise<number> {
    return this.scripts.pruneConsumers(
      this.keys.stream,
      this.keys.group,
      idleMs,
      this.opts.consumer,
    );
  }

  async stats(): Promise<QueueStats> {
    const [length, pending, scheduled, dead] = await Promise.all([
      this.cmd.xlen(this.keys.stream),
      this.cmd.xpending(this.keys.stream, this.keys.group) as Promise<[number, ...unknown[]]>,
      this.cmd.zcard(this.keys.delayed),
      this.cmd.xlen(this.keys.dlq),
    ]);
    const inProgress = Number(pending[0]) || 0;
    // Completed entries are deleted with their ack, so the stream is waiting + in progress.
    return { waiting: Math.max(0, length - inProgress), inProgress, scheduled, dead };
  }

  async peekDead(limit: number): Promise<DeadLetterEntry[]> {
    const entries = (await this.cmd.xrange(
      this.keys.dlq,
      '-',
      '+',
      'COUNT',
      limit,
    )) as StreamEntry[];
    const out: DeadLetterEntry[] = [];
    for (const [dlqId, fields] of entries) {
      const entry = fields ? parseDeadLetter(dlqId, fields) : undefined;
      if (entry) out.push(entry);
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    // Let enqueues already sent get their answer: quitting first would fail them
    // (auto-pipelined commands may not have been written yet).
    await Promise.allSettled([...this.enqueuing]);
    await Promise.all([quit(this.cmd), this.reader ? quit(this.reader) : undefined]);
  }
}

async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'end' || redis.status === 'wait') {
    redis.disconnect();
    return;
  }
  try {
    await Promise.race([redis.quit(), new Promise((r) => setTimeout(r, 1_000).unref())]);
  } catch {
    // Already gone.
  }
  redis.disconnect();
}

function parseDelivery(handle: string, fields: string[]): Delivery | undefined {
  const f = fieldMap(fields);
  const job = f.get('job');
  if (job === undefined) return undefined;
  let record: JobRecord;
  try {
    record = JSON.parse(job) as JobRecord;
  } catch {
    return undefined;
  }
  return {
    handle,
    job: record,
    attempt: (Number(f.get('attempt')) || 0) + 1,
    previousError: f.get('err') || undefined,
  };
}
