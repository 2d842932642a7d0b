/**
 * The consumer side of the Redis store: reading jobs for this instance.
 *
 * Blocking reads use a connection of their own, without a command timeout
 * (ioredis would abort a legitimate BLOCK), capped at MAX_BLOCK_MS so shutdown
 * and reconnects never wait long; CLIENT UNBLOCK ends one at once. While jobs
 * are backed up, reads go on the command connection instead, where they share a
 * round trip with the acknowledgements. After any reconnect, the next read first
 * re-reads this consumer's own pending list: a reply lost with a connection
 * leaves its entries there, and they would otherwise wait for a reclaim.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../../config/config.js';
import { type Delivery, parseJobRecord, StoreUnavailableError } from '../store.js';
import { blockingConnection, connect } from './connection.js';
import { fieldMap } from './dead-letters.js';
import type { QueueKeys } from './keys.js';
import type { OutcomeLog, QueueScripts } from './scripts.js';
import { isOutOfMemory } from './unavailable.js';

/** Longest a blocking read may wait; bounds how long shutdown or a reconnect waits for it. */
const MAX_BLOCK_MS = 2_000;
/** Entries per XPENDING page when listing our own pending list. */
const PENDING_PAGE = 1_000;

export type StreamEntry = [id: string, fields: string[]];
type ReadReply = [stream: string, entries: StreamEntry[]][] | null;

export interface StreamConsumerOptions {
  redis: RedisConfig;
  /** The command connection (shared with the store). */
  cmd: Redis;
  scripts: QueueScripts;
  keys: QueueKeys;
  consumer: string;
  log: Logger;
  /** Recreates the consumer group (the stream was deleted under us). */
  ensureGroup: () => Promise<void>;
  /** Where a dead letter of a malformed entry is recorded (the history counts it). */
  outcomes: () => OutcomeLog;
}

export class StreamConsumer {
  private reader: Redis | undefined;
  private readerClientId: number | undefined;
  /**
   * Entries this consumer holds (handle → when it took them); excluded when
   * re-reading our own pending list. An entry whose outcome could not be written
   * stays here until the reclaim moves it out of our PEL (see pruneHeld).
   */
  private readonly held = new Map<string, number>();
  /** The last read filled every slot asked for: more jobs are probably waiting. */
  private backlogged = false;
  /** After a reconnect, a lost XREADGROUP reply may have left entries in our PEL. */
  private recoverOwnPending = true;
  private readonly keys: QueueKeys;
  private readonly opts: StreamConsumerOptions;

  constructor(opts: StreamConsumerOptions) {
    this.opts = opts;
    this.keys = opts.keys;
    // Claims also read on the command connection (see claim): a reply lost with it
    // may have left entries in our pending list.
    opts.cmd.on('ready', () => {
      this.recoverOwnPending = true;
    });
  }

  /** The entries are no longer ours to hold (finished, moved, or handed back). */
  forget(handles: readonly string[]): void {
    for (const h of handles) this.held.delete(h);
  }

  async close(): Promise<void> {
    if (this.reader) await quit(this.reader);
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
    if (max <= 0) return [];
    if (this.opts.cmd.status !== 'ready') {
      // Jobs read now could not be acknowledged: they would run, then run again
      // after the reclaim. The pool retries the claim with a backoff.
      throw new StoreUnavailableError('the Redis command connection is not ready');
    }
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
        const reply = await this.readNew(this.opts.cmd, max, undefined);
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
        await this.opts.ensureGroup();
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

  /**
   * Entries in our own PEL that we do not hold: replies lost to a dropped
   * connection. The PEL is listed with XPENDING, which leaves every entry's idle
   * time alone: an entry held after a failed write must keep ageing towards the
   * reclaim (re-reading it with XREADGROUP would reset its idle time each time).
   * Only the entries we take are claimed again (XCLAIM to ourselves), which
   * resets their idle time as a fresh delivery does.
   */
  private async readOwnPending(conn: Redis, max: number): Promise<Delivery[]> {
    const asOf = Date.now();
    // First: it answers NOGROUP when the stream or group is gone (see claim).
    const mine = await this.ownPendingIds(conn);
    await this.joinGroup(conn);
    this.pruneHeld(asOf, new Set(mine));
    const unheld = mine.filter((id) => !this.held.has(id)).slice(0, max);
    if (unheld.length === 0) return [];
    const claimed = (await conn.xclaim(
      this.keys.stream,
      this.keys.group,
      this.opts.consumer,
      0,
      ...unheld,
    )) as StreamEntry[];
    this.opts.log.info(
      { count: unheld.length },
      'recovered entries left in our pending list by a lost reply',
    );
    // Redis 7 drops entries deleted while pending from the PEL and from this reply.
    return this.toDeliveries([[this.keys.stream, claimed]]);
  }

  /**
   * Joins the group at once (a read that finds nothing does not), so that an
   * idle instance shows in XINFO CONSUMERS; a no-op when it is a member. At
   * maxmemory Redis refuses it even then. It is skipped there: the first entry
   * read or claimed joins the consumer anyway, and recovery must not wait for
   * memory that only draining frees.
   */
  private async joinGroup(conn: Redis): Promise<void> {
    try {
      await conn.xgroup('CREATECONSUMER', this.keys.stream, this.keys.group, this.opts.consumer);
    } catch (err) {
      if (!isOutOfMemory(err)) throw err;
    }
  }

  /** Every entry id in this consumer's PEL, in pages. */
  private async ownPendingIds(conn: Redis): Promise<string[]> {
    const ids: string[] = [];
    let start = '-';
    for (;;) {
      const page = (await conn.xpending(
        this.keys.stream,
        this.keys.group,
        start,
        '+',
        PENDING_PAGE,
        this.opts.consumer,
      )) as [id: string, consumer: string, idleMs: number, deliveries: number][];
      for (const [id] of page) ids.push(id);
      const last = page[page.length - 1];
      if (page.length < PENDING_PAGE || !last) return ids;
      start = `(${last[0]}`; // exclusive: after the last id listed
    }
  }

  /**
   * Stops holding entries that left our PEL without their outcome being recorded
   * here (a failed write, then a reclaim moved them). Only entries held before the
   * PEL was listed: one read since may not be listed yet.
   */
  private pruneHeld(asOf: number, pending: ReadonlySet<string>): void {
    for (const [handle, since] of this.held) {
      if (since < asOf && !pending.has(handle)) this.held.delete(handle);
    }
  }

  private toDeliveries(reply: ReadReply): Delivery[] {
    const entries = reply?.[0]?.[1] ?? [];
    const out: Delivery[] = [];
    for (const [handle, fields] of entries) {
      const delivery = parseDelivery(handle, fields);
      if (!delivery) {
        this.opts.log.error(
          { entry: handle },
          'malformed stream entry; moving it to the dead-letter queue',
        );
        void this.opts.scripts
          .deadLetter(
            this.keys.stream,
            this.keys.dlq,
            this.keys.group,
            handle,
            0,
            'malformed stream entry',
            '',
            this.opts.outcomes(),
          )
          .catch(() => undefined);
        continue;
      }
      this.held.set(handle, Date.now());
      out.push(delivery);
    }
    return out;
  }

  async interruptClaim(): Promise<void> {
    if (this.readerClientId === undefined || this.opts.cmd.status !== 'ready') return;
    try {
      await this.opts.cmd.client('UNBLOCK', this.readerClientId);
    } catch {
      // The read ends by itself within MAX_BLOCK_MS.
    }
  }
}

/** QUIT with a bound, then drop the socket whatever happened. */
export async function quit(redis: Redis): Promise<void> {
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
  const record = parseJobRecord(job);
  if (!record) return undefined;
  return {
    handle,
    job: record,
    attempt: (Number(f.get('attempt')) || 0) + 1,
    previousError: f.get('err') || undefined,
  };
}
