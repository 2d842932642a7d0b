/**
 * Measurement 1, ingest: the most 202s per second each server gives, with the
 * same autocannon settings: the bare Fastify ceiling, ours (ingest-only, so that
 * nothing else runs in the process, on each store), and the BullMQ route.
 */
import type { BenchServer } from '../child.js';
import type { BenchContext } from '../context.js';
import { type SaturationResult, saturate, warmUp } from '../load.js';
import { round } from '../stats.js';

export interface IngestFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Anything but a 202 (must be 0 for the figure to count). */
  non2xx: number;
  errors: number;
  /**
   * CPU spent per 202, microseconds, by the server process and by Redis. On a
   * busy machine these hold steadier than req/s, and they say where time goes.
   */
  serverCpuUsPerReq: number;
  redisCpuUsPerReq: number;
  /**
   * Cores busy during the run: the server, Redis and the load generator (this
   * process). A figure near 1.0 is a process that is saturated; the one that is
   * saturated first sets the rate.
   */
  cores: { server: number; redis: number; generator: number };
  /** Redis commands per read event: how many commands arrive in one client write. */
  redisCommandsPerRead: number;
}

type Counters = Awaited<ReturnType<BenchContext['redis']['counters']>>;

function figures(
  r: SaturationResult,
  serverCpuUs: number,
  redis: Counters,
  generatorCpuUs: number,
): IngestFigures {
  const wallUs = r.durationS * 1e6;
  const redisCpuUs = redis.cpuUs;
  return {
    // Minus the bench's own INFO calls (one before, one after).
    redisCommandsPerRead: redis.reads > 1 ? round((redis.commands - 1) / (redis.reads - 1), 1) : 0,
    cores: {
      server: round(serverCpuUs / wallUs),
      redis: round(redisCpuUs / wallUs),
      generator: round(generatorCpuUs / wallUs),
    },
    serverCpuUsPerReq: round(serverCpuUs / Math.max(1, r.ok), 1),
    redisCpuUsPerReq: round(redisCpuUs / Math.max(1, r.ok), 1),
    rps: Math.round(r.rps),
    p50Ms: round(r.p50Ms),
    p99Ms: round(r.p99Ms),
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

/** Ours with nothing but ingest running, and no backlog bound in the way. */
export const INGEST_ONLY = { WORKER_COUNT: '0', QUEUE_SIZE: '100000000' };

export async function measureIngest(
  ctx: BenchContext,
  name: string,
  start: () => Promise<BenchServer>,
): Promise<IngestFigures> {
  await ctx.redis.reset();
  const server = await start();
  try {
    ctx.progress(`ingest: ${name} (${ctx.settings.warmupS}s warm-up, ${ctx.settings.ingestS}s)`);
    await warmUp(server.url, ctx.settings.connections, ctx.settings.warmupS);
    const [cpu0, redis0] = [(await server.report()).cpuUs, await ctx.redis.counters()];
    const gen0 = process.cpuUsage();
    const r = await saturate(server.url, {
      connections: ctx.settings.connections,
      durationS: ctx.settings.ingestS,
    });
    const gen = process.cpuUsage(gen0);
    const [cpu1, redis1] = [(await server.report()).cpuUs, await ctx.redis.counters()];
    const redis = {
      cpuUs: redis1.cpuUs - redis0.cpuUs,
      commands: redis1.commands - redis0.commands,
      reads: redis1.reads - redis0.reads,
    };
    return figures(r, cpu1 - cpu0, redis, gen.user + gen.system);
  } finally {
    await server.stop();
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Each figure's median over the rounds (req/s, latencies, CPU alike). */
export function medianFigures(rounds: IngestFigures[]): IngestFigures {
  const m = (f: (x: IngestFigures) => number, digits = 2) => round(median(rounds.map(f)), digits);
  return {
    rps: Math.round(median(rounds.map((x) => x.rps))),
    p50Ms: m((x) => x.p50Ms),
    p99Ms: m((x) => x.p99Ms),
    non2xx: rounds.reduce((a, x) => a + x.non2xx, 0),
    errors: rounds.reduce((a, x) => a + x.errors, 0),
    serverCpuUsPerReq: m((x) => x.serverCpuUsPerReq, 1),
    redisCpuUsPerReq: m((x) => x.redisCpuUsPerReq, 1),
    cores: {
      server: m((x) => x.cores.server),
      redis: m((x) => x.cores.redis),
      generator: m((x) => x.cores.generator),
    },
    redisCommandsPerRead: m((x) => x.redisCommandsPerRead, 1),
  };
}

/** The median over the rounds of `a`'s rate ÷ `b`'s in the same round. */
export function medianRatio(
  rounds: Record<string, IngestFigures>[],
  a: string,
  b: string,
): number | undefined {
  const ratios = rounds.flatMap((r) => {
    const x = r[a]?.rps;
    const y = r[b]?.rps;
    return x !== undefined && y ? [x / y] : [];
  });
  return ratios.length > 0 ? round(median(ratios)) : undefined;
}
