/**
 * The Redis Streams store.
 *
 * Layout (all keys share one Cluster slot, see keys.ts):
 * - the job stream `QUEUE_NAME`, read by one consumer group; each instance is one
 *   consumer (the older layout's `{QUEUE_NAME}` stream is drained into it, see
 *   legacy-stream.ts);
 * - a sorted set + hash of jobs waiting for a retry;
 * - a dead-letter stream;
 * - one string key per idempotency key, with a TTL;
 * - the event log and the per-minute history (see event-log.ts, history.ts),
 *   shared by the queue and its destinations' queues, written by the same
 *   scripts as the state changes they record.
 *
 * Every state change that touches more than one key is a Lua script. A completed
 * job is acknowledged and deleted in one step, so the stream holds exactly the
 * undelivered and the in-progress jobs: no trimming policy can drop one of those.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from '../../config/config.js';
import type { DestinationStates } from '../destinations.js';
import {
  type AttemptReport,
  type EventLog,
  type EventLogOptions,
  HANDLERS_TARGET,
  type ThroughputHistory,
} from '../event-log.js';
import {
  type DeadLetterEntry,
  type DeadLetters,
  type Dedupe,
  type Delivery,
  type DeliveryQueue,
  type EnqueueResult,
  type EnqueueTargets,
  HANDLERS_ONLY,
  type JobRecord,
  type QueueStats,
  type ReclaimResult,
  type ReleaseResult,
  type RetiredLane,
  type StartedRelease,
  type Store,
  type StoreMemory,
  StoreUnavailableError,
} from '../store.js';
import { commandConnection, connect, withConnectionCause } from './connection.js';
import { quit, StreamConsumer, type StreamEntry } from './consumer.js';
import { fieldMap, parseDeadLetter, RedisDeadLetters } from './dead-letters.js';
import { RedisDestinationStates } from './destination-states.js';
import { EnqueueBatcher } from './enqueue-batcher.js';
import { REDIS_EVENT_LOG_DEFAULTS, RedisEventLog } from './event-log.js';
import { attemptJson, enqueueRecord, noRecord, targetNames } from './event-records.js';
import { RedisThroughputHistory } from './history.js';
import { laneKeys, type QueueKeys, queueKeys } from './keys.js';
import { drainLegacyStream } from './legacy-stream.js';
import { retireLane, storedLaneNames } from './retired-lanes.js';
import { type EnqueueLog, type EnqueueTarget, type OutcomeLog, QueueScripts } from './scripts.js';
import { checkServer, factsFromInfo, parseInfo } from './server-checks.js';
import {
  deadLettersReportingOutages,
  destinationStatesReportingOutages,
  eventLogReportingOutages,
  historyReportingOutages,
  isOutOfMemory,
  storeError,
} from './unavailable.js';

export interface RedisStoreOptions {
  redis: RedisConfig;
  queueName: string;
  /** This instance's consumer name; unique per process. */
  consumer: string;
  log: Logger;
  /**
   * The event log's bounds; absent: REDIS_EVENT_LOG_MAX_DEFAULT events,
   * EVENT_RETENTION_DEFAULT_MS, payloads kept. A destination's queue records
   * into its store's log (the same keys), under the same options.
   */
  eventLog?: EventLogOptions;
  /**
   * Set for one destination's delivery queue: its name, and the connection of
   * the store it belongs to (see RedisStore.lane). Such a queue has a stream,
   * a retry schedule and a reader of its own, and shares everything else.
   */
  lane?: { destination: string; cmd: Redis; scripts: QueueScripts };
}

/** Most webhooks in one enqueue script run (about 2 ms of Redis time)… */
const MAX_ENQUEUE_BATCH = 100;
/** …and most bytes: BODY_LIMIT allows 1 MiB per webhook, so a count alone bounds nothing. */
const MAX_ENQUEUE_BATCH_BYTES = 1024 * 1024;
/** Pending entries scanned per XAUTOCLAIM call, and calls per reclaim pass. */
const RECLAIM_COUNT = 100;
const RECLAIM_MAX_CALLS = 50;
/**
 * Consumers idle this long with nothing pending are removed from the group, checked
 * this often. The older layout's drained stream goes once all its consumers are
 * this idle (see legacy-stream.ts).
 */
const CONSUMER_PRUNE_IDLE_MS = 3_600_000;
const CONSUMER_PRUNE_EVERY_MS = 60_000;

/** The error recorded for a run lost with its consumer. */
function lostError(idleMs: number): string {
  return `worker lost: no outcome within ${idleMs}ms (the consumer holding it stopped or stalled, or its handler outlived TIMEOUT and did not settle)`;
}

export class RedisStore implements Store, DeliveryQueue {
  readonly kind = 'redis';
  readonly location: string;
  readonly keys: QueueKeys;
  private readonly cmd: Redis;
  private readonly scripts: QueueScripts;
  private readonly enqueues: EnqueueBatcher;
  private readonly consumer: StreamConsumer;
  private closed = false;
  private lastPrune = 0;
  private prepared = false;
  /** The destinations' delivery queues, by name (empty in a delivery queue itself). */
  private readonly lanes = new Map<string, RedisStore>();
  /** Enqueues sent and not yet answered; close waits for them (each has a command timeout). */
  private readonly enqueuing = new Set<Promise<unknown>>();
  readonly deadLetters: DeadLetters;
  readonly destinations: DestinationStates;
  readonly events: EventLog;
  readonly history: ThroughputHistory;
  private readonly eventLog: RedisEventLog;
  private readonly minutes: RedisThroughputHistory;

  constructor(private readonly opts: RedisStoreOptions) {
    const lane = opts.lane;
    this.keys = lane ? laneKeys(opts.queueName, lane.destination) : queueKeys(opts.queueName);
    this.location = `${opts.redis.display} stream ${this.keys.stream}`;
    if (lane) {
      this.cmd = lane.cmd;
      this.scripts = lane.scripts;
    } else {
      this.cmd = commandConnection(opts.redis, `webhook-processor:${opts.consumer}`);
      this.cmd.on('error', (err) => opts.log.debug({ err: err.message }, 'redis connection error'));
      // A restarted or failed-over Redis has an empty script cache.
      this.cmd.on('ready', () => void this.scripts.preloadUnawaited().catch(() => undefined));
      this.scripts = new QueueScripts(this.cmd);
    }
    this.eventLog = new RedisEventLog(
      this.cmd,
      this.scripts,
      this.keys.events,
      opts.eventLog ?? REDIS_EVENT_LOG_DEFAULTS,
    );
    this.minutes = new RedisThroughputHistory(this.cmd, this.keys.historyPrefix);
    this.events = eventLogReportingOutages(this.eventLog);
    this.history = historyReportingOutages(this.minutes);
    this.consumer = new StreamConsumer({
      redis: opts.redis,
      cmd: this.cmd,
      scripts: this.scripts,
      keys: this.keys,
      consumer: opts.consumer,
      log: opts.log,
      ensureGroup: () => this.ensureGroup(),
      outcomes: () => this.outcomes(),
    });
    this.enqueues = new EnqueueBatcher((items) => this.scripts.enqueue(items, this.enqueueLog()), {
      maxItems: MAX_ENQUEUE_BATCH,
      maxBytes: MAX_ENQUEUE_BATCH_BYTES,
    });
    this.destinations = destinationStatesReportingOutages(
      new RedisDestinationStates(this.cmd, this.scripts, this.keys.destinationPrefix),
    );
    this.deadLetters = deadLettersReportingOutages(
      new RedisDeadLetters(this.cmd, this.scripts, this.keys, this.eventLog.enabled),
    );
  }

  /** The target of this queue's deliveries in the event log. */
  private get target(): string {
    return this.opts.lane?.destination ?? HANDLERS_TARGET;
  }

  /** Where an outcome script records, now; `target` defaults to this queue's. */
  private outcomes(target = this.target): OutcomeLog {
    return {
      keys: this.keys.events,
      history: this.minutes.minuteKey(Date.now()),
      on: this.eventLog.enabled,
      target,
    };
  }

  private enqueueLog(): EnqueueLog {
    const { maxEvents, retentionMs } = this.eventLog.options;
    return {
      keys: this.keys.events,
      history: this.minutes.minuteKey(Date.now()),
      maxEvents: Math.max(0, Math.floor(maxEvents)),
      retentionMs: Math.max(0, Math.floor(retentionMs)),
    };
  }

  /** The command connection, for components that share it (rate limits, admin). */
  get client(): Redis {
    return this.cmd;
  }

  /** The destination whose deliveries this queue holds; "" for the store itself. */
  get destination(): string {
    return this.opts.lane?.destination ?? '';
  }

  lane(destination: string): DeliveryQueue {
    if (this.opts.lane) throw new Error('a delivery queue has no lanes of its own');
    let lane = this.lanes.get(destination);
    if (!lane) {
      lane = new RedisStore({
        ...this.opts,
        lane: { destination, cmd: this.cmd, scripts: this.scripts },
      });
      this.lanes.set(destination, lane);
      // Opened after init: create its group now (a claim would also, on NOGROUP).
      if (this.prepared) void lane.ensureGroup().catch(() => undefined);
    }
    return lane;
  }

  storedLanes(): Promise<string[]> {
    return withConnectionCause(this.cmd, () => storedLaneNames(this.cmd, this.opts.queueName));
  }

  retireLane(destination: string, idleMs: number, error: string): Promise<RetiredLane> {
    return withConnectionCause(this.cmd, () =>
      retireLane(this.scripts, this.opts.queueName, destination, idleMs, error, () =>
        this.outcomes(destination),
      ),
    );
  }

  async init(): Promise<void> {
    await withConnectionCause(this.cmd, () => this.checkAndPrepare());
  }

  private async checkAndPrepare(): Promise<void> {
    await connect(this.cmd);
    // Best effort: at maxmemory Redis may refuse it, and EVALSHA then falls back to EVAL.
    await this.scripts.preloadUnawaited().catch(() => undefined);
    const info = parseInfo((await this.cmd.info()) as string);
    let save: string | undefined;
    try {
      const reply = (await this.cmd.config('GET', 'save')) as string[];
      save = reply[1];
    } catch {
      save = undefined; // CONFIG is often disabled on managed Redis; judge by INFO alone.
    }
    for (const w of checkServer(factsFromInfo(info, save))) this.opts.log.warn(w);
    try {
      await this.ensureGroup();
      for (const lane of this.lanes.values()) await lane.ensureGroup();
    } catch (err) {
      if (!isOutOfMemory(err)) throw err;
      // Nothing is queued in the job stream without the group; jobs an older version
      // left in its stream are moved next, and that move creates the group.
      this.opts.log.warn(
        { err: (err as Error).message },
        'Redis is at maxmemory and the consumer group does not exist yet: it is created once memory frees (or jobs of an older version are moved into the stream); until then no webhook can be queued',
      );
    }
    // Before serving, so that the backlog counts (and XLEN shows) what an older version
    // left waiting. At maxmemory the move waits: the reclaim passes carry it on.
    try {
      await drainLegacyStream(
        this.scripts,
        this.keys,
        {
          idleMs: 0,
          consumersGoneMs: CONSUMER_PRUNE_IDLE_MS,
          maxAttempts: 1,
          maxCalls: Number.POSITIVE_INFINITY,
          error: '',
          outcomes: () => this.outcomes(HANDLERS_TARGET),
        },
        this.opts.log,
      );
    } catch (err) {
      if (!isOutOfMemory(err)) throw err;
      this.opts.log.warn(
        { err: (err as Error).message },
        'Redis is at maxmemory: the stream of an older version is moved once memory frees',
      );
    }
    this.prepared = true;
    // Count every destination's queue in the backlog, also one this instance does
    // not deliver to (a destination removed from its configuration, until swept).
    for (const name of await this.storedLanes().catch(() => [])) this.lane(name);
  }

  /**
   * Creates the consumer group (with the stream) unless it exists. Redis refuses
   * XGROUP CREATE at maxmemory even when the group exists, so it is sent only for
   * a missing group: an instance that starts while Redis is full must come up and
   * drain, and only draining frees memory.
   */
  private async ensureGroup(): Promise<void> {
    const { stream, legacyStream, group } = this.keys;
    try {
      if (await this.groupExists()) return;
      await this.cmd.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    } catch (err) {
      const message = String((err as Error).message);
      if (message.includes('BUSYGROUP')) return;
      if (/^NOPERM.*\bkeys?\b/.test(message)) {
        // An ACL written for older versions, which kept every key under the hash tag.
        throw new Error(
          `${message}: the Redis user needs the key ${stream} (the job stream) as well as ${legacyStream}*, e.g. ~${stream} ~${legacyStream}*`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  private async groupExists(): Promise<boolean> {
    let groups: string[][];
    try {
      groups = (await this.cmd.xinfo('GROUPS', this.keys.stream)) as string[][];
    } catch (err) {
      if (/no such key/i.test(String((err as Error).message))) return false;
      throw err;
    }
    return groups.some((g) => fieldMap(g).get('name') === this.keys.group);
  }

  async enqueue(
    job: JobRecord,
    dedupe: Dedupe | undefined,
    targets: EnqueueTargets = HANDLERS_ONLY,
  ): Promise<EnqueueResult> {
    if (this.closed) throw new StoreUnavailableError('the queue store is closed');
    const copies: EnqueueTarget[] = [];
    if (targets.handlers) copies.push({ stream: this.keys.stream, job: JSON.stringify(job) });
    for (const destination of targets.destinations) {
      const lane = this.lanes.get(destination);
      if (!lane) throw new Error(`no delivery queue for destination ${destination}`);
      copies.push({ stream: lane.keys.stream, job: JSON.stringify({ ...job, destination }) });
    }
    if (copies.length === 0) throw new Error('an event needs at least one target');
    const sent = this.enqueues.add({
      idemKey: this.keys.idempotencyPrefix + (dedupe ? dedupe.key : '-'),
      dedupe: dedupe !== undefined,
      ttlMs: dedupe?.ttlMs ?? 0,
      id: job.id,
      targets: copies,
      record: this.eventLog.enabled
        ? enqueueRecord(job, targets, this.eventLog.options.payloads)
        : noRecord(targets),
    });
    this.enqueuing.add(sent);
    try {
      const { id, duplicate, queued } = await sent;
      if (!targets.replay) return { id, duplicate };
      // The script decided which targets a replay queues (see enqueue-n.lua).
      return { id, duplicate, queued: targetNames(targets).filter((_, i) => queued[i] === '1') };
    } catch (err) {
      throw new StoreUnavailableError(`enqueue failed: ${(err as Error).message}`, { cause: err });
    } finally {
      this.enqueuing.delete(sent);
    }
  }

  async claim(max: number, blockMs: number): Promise<Delivery[]> {
    if (this.closed) return [];
    const deliveries = await this.consumer.claim(max, blockMs);
    // Not awaited: it goes out on the command connection ahead of any outcome of
    // these jobs (see markDelivering), and a claim waiting for it halved the drain rate.
    if (deliveries.length > 0 && this.eventLog.enabled) void this.markDelivering(deliveries);
    return deliveries;
  }

  /**
   * Records claimed deliveries as delivering. It is sent on the command
   * connection before the workers have the jobs, so it reaches Redis ahead of
   * their outcomes; its script is kept loaded (preloadUnawaited on every
   * connect), so no NOSCRIPT retry can let an outcome overtake it, and should
   * one ever land first, the script moves only a queued or retrying delivery.
   * A failure costs only the record's `delivering` step.
   */
  private async markDelivering(deliveries: readonly Delivery[]): Promise<void> {
    try {
      await this.scripts.eventDelivering(
        this.keys.events.summary,
        this.target,
        deliveries.map((d) => d.job.id),
      );
    } catch (err) {
      this.opts.log.debug({ err: (err as Error).message }, 'event log: claim not recorded');
    }
  }

  interruptClaim(): Promise<void> {
    return this.consumer.interruptClaim();
  }

  async complete(
    deliveries: readonly Delivery[],
    reports?: readonly AttemptReport[],
  ): Promise<void> {
    if (deliveries.length === 0) return;
    const ids = deliveries.map((d) => d.handle);
    const on = this.eventLog.enabled;
    const entries = deliveries.map((d, i) => ({
      handle: d.handle,
      jobId: d.job.id,
      attempt: on ? attemptJson('delivered', reports?.[i]) : '',
    }));
    const acked = await this.scripts.ack(
      this.keys.stream,
      this.keys.group,
      entries,
      this.outcomes(),
    );
    this.forget(ids);
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

  /**
   * Stops holding entries once their outcome is written, and only then. An entry
   * whose write failed stays held: the job ran, and re-reading our own pending
   * list after a reconnect must not hand it to a worker again. (Forgetting it on
   * failure made a loop: the reader reconnects before the command connection, the
   * acks fail, the re-read delivers the same jobs, and they run again and again.)
   * The reclaim picks such entries up after RECLAIM_IDLE instead.
   */
  private forget(handles: readonly string[]): void {
    this.consumer.forget(handles);
  }

  async retryLater(
    d: Delivery,
    delayMs: number,
    error: string,
    report?: AttemptReport,
  ): Promise<boolean> {
    const ok = await this.scripts.retry(
      this.keys,
      this.keys.group,
      d.handle,
      d.job.id,
      Math.max(0, Math.round(delayMs)),
      d.attempt,
      error,
      report ? attemptJson('failed', report, error) : '',
      this.outcomes(),
    );
    this.forget([d.handle]);
    return ok === 1;
  }

  /** Without a report no attempt ran (nothing is recorded of one, nor counted as failed). */
  async deadLetter(
    d: Delivery,
    attempts: number,
    error: string,
    report?: AttemptReport,
  ): Promise<boolean> {
    const ok = await this.scripts.deadLetter(
      this.keys.stream,
      this.keys.dlq,
      this.keys.group,
      d.handle,
      attempts,
      error,
      report ? attemptJson('failed', report, error) : '',
      this.outcomes(),
    );
    this.forget([d.handle]);
    return ok === 1;
  }

  async release(deliveries: readonly Delivery[], started?: StartedRelease): Promise<ReleaseResult> {
    if (deliveries.length === 0) return { released: 0, deadLettered: 0 };
    const ids = deliveries.map((d) => d.handle);
    const [released, deadLettered] = await this.scripts.release(
      this.keys.stream,
      this.keys.dlq,
      this.keys.group,
      started !== undefined,
      started?.maxAttempts ?? 0,
      started?.error ?? '',
      ids,
      this.outcomes(),
    );
    this.forget(ids);
    return { released, deadLettered };
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
        lostError(idleMs),
        this.outcomes(),
      );
      result.requeued += requeued;
      result.deadLettered += dead;
      result.missing.push(...deleted);
      cursor = next;
      if (cursor === '0-0') break;
    }
    // The handlers' stream of an older version (a destination's queue has none).
    if (!this.opts.lane) {
      const legacy = await drainLegacyStream(
        this.scripts,
        this.keys,
        {
          idleMs,
          consumersGoneMs: CONSUMER_PRUNE_IDLE_MS,
          maxAttempts,
          maxCalls: RECLAIM_MAX_CALLS,
          error: lostError(idleMs),
          outcomes: () => this.outcomes(HANDLERS_TARGET),
        },
        this.opts.log,
      );
      result.requeued += legacy.requeued;
      result.deadLettered += legacy.deadLettered;
      result.missing.push(...legacy.missing);
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
    const [own, dead, ...lanes] = await Promise.all([
      this.queueStats(),
      this.opts.lane ? 0 : this.cmd.xlen(this.keys.dlq),
      ...[...this.lanes.values()].map((l) => l.queueStats()),
    ]).catch((err: unknown) => {
      throw storeError(err, 'queue stats');
    });
    const total = { ...own, dead };
    for (const l of lanes) {
      total.waiting += l.waiting;
      total.inProgress += l.inProgress;
      total.scheduled += l.scheduled;
    }
    return total;
  }

  /** This stream's own backlog: waiting, in progress and scheduled. */
  private async queueStats(): Promise<QueueStats> {
    const [length, pending, scheduled] = await Promise.all([
      this.cmd.xlen(this.keys.stream),
      this.pendingCount(),
      this.cmd.zcard(this.keys.delayed),
    ]);
    // Completed entries are deleted with their ack, so the stream is waiting + in progress.
    return { waiting: Math.max(0, length - pending), inProgress: pending, scheduled, dead: 0 };
  }

  /** Entries delivered and not yet finished, over every consumer. */
  private async pendingCount(): Promise<number> {
    try {
      const summary = (await this.cmd.xpending(this.keys.stream, this.keys.group)) as [number];
      return Number(summary[0]) || 0;
    } catch (err) {
      // No group yet (Redis had no memory to create it for a fresh queue): nothing pending.
      if (String((err as Error).message).startsWith('NOGROUP')) return 0;
      throw err;
    }
  }

  async memory(): Promise<StoreMemory> {
    const info = parseInfo((await this.cmd.info('memory')) as string);
    return {
      usedBytes: Number(info.get('used_memory')) || 0,
      maxBytes: Number(info.get('maxmemory')) || 0,
    };
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
      const entry = parseDeadLetter(dlqId, fields);
      if (entry) out.push(entry);
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.lanes.values()].map((l) => l.close()));
    if (this.opts.lane) {
      await this.consumer.close();
      return;
    }
    // Let enqueues already sent get their answer: quitting first would fail them
    // (auto-pipelined commands may not have been written yet).
    await Promise.allSettled([...this.enqueuing]);
    await Promise.all([quit(this.cmd), this.consumer.close()]);
  }
}
