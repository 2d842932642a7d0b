/**
 * Measurement 5, forwarding: N events already accepted and routed to one
 * destination, a local no-op receiver (200, empty body), then a delivery-only
 * instance of ours sends them all, `concurrency` requests at a time. Beside it,
 * the baseline: a bare undici loop sending the same requests at the same
 * concurrency to the same kind of receiver.
 *
 * Both are counted at the receiver, on its clock: deliveries/s = N / (first
 * request received → last one answered). For ours the bench also waits for the
 * backlog to be seen empty, which includes the last completions.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../test/helpers/wait.js';
import type { BenchServer } from '../child.js';
import type { BenchContext } from '../context.js';
import { round } from '../stats.js';
import { fill } from './drain.js';
import { INGEST_ONLY } from './ingest.js';

export interface ForwardFigures {
  deliveries: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** First request received → last one answered, at the receiver. */
  seconds: number;
  deliveriesPerS: number;
  /** First request received → the backlog seen empty (ours; the bare loop has none). */
  secondsToEmpty: number | undefined;
  /** Requests the receiver got beyond one per event. */
  duplicates: number;
  /** CPU per delivery, microseconds: the sending process, Redis, the receiver. */
  senderCpuUsPerDelivery: number;
  redisCpuUsPerDelivery: number | undefined;
  receiverCpuUsPerDelivery: number;
  /**
   * Redis commands (a script's own calls included) and client writes Redis read,
   * per delivery: how many round trips a delivery costs.
   */
  redisCommandsPerDelivery: number | undefined;
  redisWritesPerDelivery: number | undefined;
  cores: { sender: number; redis: number | undefined; receiver: number };
}

/** The destination every event is routed to, in the config file the bench writes. */
export const FORWARD_DESTINATION = 'receiver';

/**
 * A config file that routes every event to one destination at `url`, with the
 * bench's concurrency; the environment that points ours at it.
 */
export function routeAllTo(ctx: BenchContext, url: string): Record<string, string> {
  const file = join(ctx.dataDir(), 'config.json');
  const config = {
    destinations: { [FORWARD_DESTINATION]: { url, concurrency: ctx.settings.concurrency } },
    routes: [{ source: '*', to: [FORWARD_DESTINATION] }],
  };
  writeFileSync(file, JSON.stringify(config));
  return { CONFIG_FILE: file };
}

type Counters = Awaited<ReturnType<BenchContext['redis']['counters']>>;

interface Clock {
  /** Redis's counters before the sender started, when it uses Redis. */
  redis0: Counters | undefined;
  sender: BenchServer;
  /** CPU the sender had used when it began sending (µs). */
  senderCpu0: () => Promise<number>;
  /** True once nothing is left to send (ours: the backlog is empty). */
  isEmpty?: () => Promise<boolean>;
}

const diff = (a: Counters, b: Counters): Counters => ({
  cpuUs: a.cpuUs - b.cpuUs,
  // Minus the bench's own INFO call.
  commands: a.commands - b.commands - 1,
  reads: a.reads - b.reads - 1,
});

async function measure(
  ctx: BenchContext,
  receiver: BenchServer,
  start: () => Promise<Clock>,
): Promise<ForwardFigures> {
  const n = ctx.settings.forwardJobs;
  const receiverCpu0 = (await receiver.report()).cpuUs;
  const { redis0, sender, senderCpu0, isEmpty } = await start();
  try {
    await waitFor(async () => ((await receiver.report()).distinct ?? 0) >= n, {
      what: `${receiver.name} to receive ${n} distinct deliveries from ${sender.name}`,
      timeoutMs: ctx.settings.forwardTimeoutS * 1000,
      intervalMs: 50,
    });
    let emptyAt: number | undefined;
    if (isEmpty) {
      await waitFor(isEmpty, { what: 'the backlog to be empty', timeoutMs: 60_000, intervalMs: 5 });
      emptyAt = Date.now();
    }
    const redis1 = redis0 === undefined ? undefined : await ctx.redis.counters();
    const [got, sent, cpu0] = [await receiver.report(), await sender.report(), await senderCpu0()];
    const first = got.firstStartAt ?? 0;
    const seconds = ((got.lastEndAt ?? first) - first) / 1000;
    const wallUs = seconds * 1e6;
    const senderCpuUs = sent.cpuUs - cpu0;
    const receiverCpuUs = got.cpuUs - receiverCpu0;
    const redis = redis0 && redis1 && diff(redis1, redis0);
    const redisCpuUs = redis?.cpuUs;
    if ((sent.failed ?? 0) > 0) throw new Error(`${sender.name}: ${sent.failed} requests failed`);
    return {
      deliveries: n,
      concurrency: ctx.settings.concurrency,
      seconds: round(seconds, 3),
      deliveriesPerS: Math.round(n / seconds),
      secondsToEmpty: emptyAt === undefined ? undefined : round((emptyAt - first) / 1000, 3),
      duplicates: got.processed - (got.distinct ?? 0),
      senderCpuUsPerDelivery: round(senderCpuUs / n, 1),
      redisCpuUsPerDelivery: redisCpuUs === undefined ? undefined : round(redisCpuUs / n, 1),
      receiverCpuUsPerDelivery: round(receiverCpuUs / n, 1),
      redisCommandsPerDelivery: redis && round(redis.commands / n, 1),
      redisWritesPerDelivery: redis && round(redis.reads / n, 2),
      cores: {
        sender: round(senderCpuUs / wallUs),
        redis: redisCpuUs === undefined ? undefined : round(redisCpuUs / wallUs),
        receiver: round(receiverCpuUs / wallUs),
      },
    };
  } finally {
    await sender.stop();
  }
}

/** Ours: fill through an ingest-only instance, deliver with a delivery-only one. */
export async function forwardOurs(ctx: BenchContext, store: string): Promise<ForwardFigures> {
  await ctx.redis.reset();
  const receiver = await ctx.peer('receiver.ts');
  try {
    const dataDir = ctx.dataDir();
    const routed = routeAllTo(ctx, receiver.url);
    await fill(
      ctx,
      await ctx.ours('fill', store, { ...INGEST_ONLY, ...routed }, dataDir),
      ctx.settings.forwardJobs,
    );
    return await measure(ctx, receiver, async () => {
      const redis0 = await ctx.redis.counters();
      // One idle handler worker: every event is routed to the destination, and
      // the destination's own concurrency sets the requests in flight.
      const sender = await ctx.ours(
        'forward',
        store,
        { HTTP_INGEST: 'false', WORKER_COUNT: '1', QUEUE_SIZE: '100000000', ...routed },
        dataDir,
      );
      ctx.progress(`forward: ours (${store})`);
      return {
        // Deliveries begin while the service finishes starting; its CPU is
        // counted from ready, as in the drain.
        redis0: store === 'redis' ? redis0 : undefined,
        sender,
        senderCpu0: async () => sender.cpuAtReadyUs,
        isEmpty: async () => {
          const res = await fetch(`${sender.url}/health`);
          const h = (await res.json()) as {
            queue_size: number;
            pending: number;
            scheduled: number;
          };
          return h.queue_size + h.pending + h.scheduled === 0;
        },
      };
    });
  } finally {
    await receiver.stop();
  }
}

/** The baseline: the same requests from a bare undici loop. */
export async function forwardBareUndici(ctx: BenchContext): Promise<ForwardFigures> {
  const receiver = await ctx.peer('receiver.ts');
  try {
    return await measure(ctx, receiver, async () => {
      ctx.progress('forward: bare undici loop');
      const sender = await ctx.peer('undici-sender.ts', {
        BENCH_TARGET_URL: receiver.url,
        BENCH_JOBS: String(ctx.settings.forwardJobs),
      });
      return {
        redis0: undefined,
        sender,
        senderCpu0: async () => (await sender.report()).cpuAtFirstStartUs ?? sender.cpuAtReadyUs,
      };
    });
  } finally {
    await receiver.stop();
  }
}
