/**
 * What every fault scenario shares: a durable redis-server of its own (the Redis
 * under test), a unique queue, a completion record that outlives both the service
 * and that Redis (a hash on the shared test Redis), and the tally.
 *
 * The tally counts from the record the service's handler writes, never from the
 * service's own view: accepted = distinct job ids answered 202; processed = those
 * the handler completed; processed more than once = those it completed twice or
 * more; lost = accepted and never completed.
 */
import { after } from 'node:test';
import type { Redis } from 'ioredis';
import { killServiceProcesses } from './child.js';
import { REDIS_ADDR, redisClient, uniqueQueue } from './redis.js';
import { RedisServer } from './redis-server.js';
import { type Tally, tallyOf } from './tally.js';

export { assertNoneLost, printTally, type Tally } from './tally.js';

import { waitFor } from './wait.js';

/** The settings the delivery guarantee requires (README, "Delivery guarantee"). */
export const DURABLE_REDIS = [
  '--appendonly',
  'yes',
  '--appendfsync',
  'always',
  '--maxmemory-policy',
  'noeviction',
];

export class FaultRig {
  readonly recordKey: string;
  /** Client of the Redis under test (reconnects by itself after a restart). */
  readonly direct: Redis;
  /** Client of the shared test Redis, where the completion record lives. */
  readonly record: Redis;

  private constructor(
    readonly server: RedisServer,
    readonly queue: string,
  ) {
    this.recordKey = `fault:${queue}:done`;
    this.direct = redisClient(server.addr);
    this.direct.on('error', () => undefined);
    this.record = redisClient(REDIS_ADDR);
  }

  /** `args`: more redis-server options (e.g. a `--maxmemory`). */
  static async start(label: string, args: string[] = []): Promise<FaultRig> {
    const server = await RedisServer.start([...DURABLE_REDIS, ...args]);
    return new FaultRig(server, uniqueQueue(label));
  }

  /** The job stream of the queue on the Redis under test: named as the queue. */
  get stream(): string {
    return this.queue;
  }

  /** The dead-letter stream of the queue. */
  get dlq(): string {
    return `{${this.queue}}:dlq`;
  }

  /** The retry schedule of the queue. */
  get delayed(): string {
    return `{${this.queue}}:delayed`;
  }

  /** Environment for a service process on this rig. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      REDIS_ADDR: this.server.addr,
      QUEUE_NAME: this.queue,
      FIXTURE_RECORD_KEY: this.recordKey,
      FIXTURE_RECORD_ADDR: REDIS_ADDR,
      ...extra,
    };
  }

  async tally(accepted: ReadonlySet<string>): Promise<Tally> {
    const record = await this.record.hgetall(this.recordKey);
    return tallyOf(accepted, new Map(Object.entries(record).map(([id, n]) => [id, Number(n)])));
  }

  /**
   * Waits until every accepted job is recorded and the queue has nothing left
   * (no waiting, running or scheduled job, so no re-run still to come), or the
   * deadline; then tallies.
   */
  async settle(accepted: ReadonlySet<string>, timeoutMs: number): Promise<Tally> {
    try {
      await waitFor(
        async () =>
          (await this.tally(accepted)).lost === 0 &&
          (await this.direct.xlen(this.stream)) === 0 &&
          (await this.direct.zcard(this.delayed)) === 0,
        { what: 'every accepted job to be processed', timeoutMs, intervalMs: 200 },
      );
    } catch {
      // The tally below says what is missing; the scenario fails on it.
    }
    return this.tally(accepted);
  }

  /** Entries delivered and not yet acknowledged, over all consumers. */
  async pendingCount(): Promise<number> {
    const summary = (await this.direct.xpending(this.stream, 'workers')) as [number, ...unknown[]];
    return Number(summary[0]);
  }

  /** The delivery stream of one destination on the Redis under test. */
  laneStream(destination: string): string {
    return `{${this.queue}}:d:${destination}`;
  }

  /**
   * Job ids of the entries pending in the group, optionally for one consumer;
   * of the handlers' queue, or of another stream (a destination's, laneStream).
   */
  async pendingJobIds(consumer?: string, stream = this.stream): Promise<Set<string>> {
    const args: (string | number)[] = [stream, 'workers', '-', '+', 100_000];
    if (consumer) args.push(consumer);
    const rows = (await this.direct.call('XPENDING', ...args)) as [string, string, number][];
    const ids = new Set<string>();
    for (const [entry] of rows) {
      const found = (await this.direct.xrange(stream, entry, entry)) as [string, string[]][];
      const fields = found[0]?.[1] ?? [];
      const job = fields[fields.indexOf('job') + 1];
      if (job) ids.add((JSON.parse(job) as { id: string }).id);
    }
    return ids;
  }

  /** The dead-letter queue: job id -> the entry's fields (attempts, err, failed_at, job). */
  async deadLetters(): Promise<Map<string, Record<string, string>>> {
    const entries = (await this.direct.xrange(this.dlq, '-', '+')) as [string, string[]][];
    const out = new Map<string, Record<string, string>>();
    for (const [, fields] of entries) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2)
        f[fields[i] as string] = fields[i + 1] as string;
      out.set((JSON.parse(f.job ?? '{}') as { id: string }).id, f);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.record.del(
      this.recordKey,
      `${this.recordKey}:latency`,
      `${this.recordKey}:attempts`,
      `${this.recordKey}:runs`,
    );
    this.record.disconnect();
    this.direct.disconnect();
    await this.server.stop();
  }
}

/**
 * For a scenario's `describe` block: returns a function that starts a rig (its
 * redis-server also given `args`), and registers the teardown of every rig it
 * started, after killing every service process the file still runs.
 */
export function rigs(label: string, args: string[] = []): () => Promise<FaultRig> {
  const started: FaultRig[] = [];
  after(async () => {
    await killServiceProcesses();
    for (const rig of started) await rig.close();
  });
  return async () => {
    const rig = await FaultRig.start(label, args);
    started.push(rig);
    return rig;
  };
}

/**
 * Jobs a live service process finished but could not mark complete, as it logs
 * them: the write failed for good, or came after the job had been reclaimed.
 * These are the only jobs a live instance may run twice.
 */
export function completionsNotRecorded(lines: readonly Record<string, unknown>[]): number {
  return lines
    .filter(
      (l) =>
        String(l.msg).startsWith('could not acknowledge completed jobs') ||
        String(l.msg).startsWith('completed jobs were no longer pending'),
    )
    .reduce((n, l) => n + Number(l.jobs), 0);
}
