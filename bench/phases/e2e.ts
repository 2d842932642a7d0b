/**
 * Measurement 3, end-to-end latency: ours with ingest and workers in one process
 * (the default deployment), fed at an even pace of about half its measured
 * maximum ingest rate. The server itself times each job from its 202 being handed
 * to the socket to its handler starting (one process, one clock).
 */
import { waitFor } from '../../test/helpers/wait.js';
import type { BenchServer } from '../child.js';
import type { BenchContext } from '../context.js';
import { type PacedResult, runPaced } from '../paced.js';
import { type LatencySummary, round, summarize } from '../stats.js';

export interface E2eFigures {
  rate: number;
  accepted: number;
  /** 202 → handler start. */
  e2e: LatencySummary;
  /** Handlers that started before their 202 went out (counted as 0 ms). */
  handlerBefore202: number;
  /**
   * Accepted → handler start (ms resolution): includes the store write, so it
   * also means something where the 202 waits for more than the write (SQLite's
   * fsync) and most handlers start before it.
   */
  acceptToStart: LatencySummary;
  /** The 202s as the client saw them, from the scheduled send time. */
  http202: LatencySummary;
  notAccepted: number;
  /** Cores the server process used during the run (near 1.0: saturated). */
  serverCores: number;
  /** Cores the load generator used (near 1.0: it, not the server, sets the pace). */
  generatorCores: number;
}

const WARMUP_MS = 2_000;

/** Waits until the server has run as many jobs as were accepted. */
export async function settled(server: BenchServer, accepted: number): Promise<void> {
  await waitFor(async () => (await server.report()).processed >= accepted, {
    what: `${server.name} to process ${accepted} accepted jobs`,
    timeoutMs: 120_000,
    intervalMs: 100,
  });
}

export const accepted = (r: PacedResult) => r.byStatus['202'] ?? 0;

export async function measureE2e(
  ctx: BenchContext,
  store: string,
  maxRps: number,
): Promise<E2eFigures> {
  await ctx.redis.reset();
  const rate = Math.max(1, Math.round(maxRps / 2));
  const server = await ctx.ours('e2e', store, {
    WORKER_COUNT: String(ctx.settings.concurrency),
    BENCH_E2E: '1',
  });
  try {
    const pace = { url: server.url, rate, connections: ctx.settings.pacedConnections };
    ctx.progress(`e2e: ours (${store}) at ${rate} req/s, warm-up then ${ctx.settings.e2eS}s`);
    const warm = await runPaced({ ...pace, durationMs: WARMUP_MS });
    await settled(server, accepted(warm));
    const before = await server.report();
    const skip = before.e2eMs?.length ?? 0;
    const skipAccept = before.acceptToStartMs?.length ?? 0;
    const skipEarly = before.e2eEarly ?? 0;
    const run = await runPaced({ ...pace, durationMs: ctx.settings.e2eS * 1000 });
    const cpuUs = (await server.report()).cpuUs - before.cpuUs;
    await settled(server, accepted(warm) + accepted(run));
    const report = await server.report();
    return {
      rate,
      accepted: accepted(run),
      e2e: summarize((report.e2eMs ?? []).slice(skip)),
      handlerBefore202: (report.e2eEarly ?? 0) - skipEarly,
      acceptToStart: summarize((report.acceptToStartMs ?? []).slice(skipAccept)),
      http202: summarize(run.latencies['202'] ?? []),
      notAccepted: run.offered - accepted(run),
      serverCores: round(cpuUs / (ctx.settings.e2eS * 1e6)),
      generatorCores: run.generatorCores,
    };
  } finally {
    await server.stop();
  }
}

/**
 * The same measurement with separate roles, as a deployment near its maximum
 * would run: an ingest-only instance (WORKER_COUNT=0) and a worker-only instance
 * (HTTP_INGEST=false), each in its own process, sharing the store. Each marks its
 * event per job id on the machine's clock (202 handed to the socket; handler
 * started), and the pairs give the latency.
 */
export async function measureE2eSeparateRoles(
  ctx: BenchContext,
  store: string,
  maxRps: number,
): Promise<E2eFigures> {
  await ctx.redis.reset();
  const rate = Math.max(1, Math.round(maxRps / 2));
  const dataDir = ctx.dataDir();
  const ingest = await ctx.ours(
    'e2e-ingest',
    store,
    { WORKER_COUNT: '0', BENCH_E2E: 'sent' },
    dataDir,
  );
  const worker = await ctx.ours(
    'e2e-worker',
    store,
    { HTTP_INGEST: 'false', WORKER_COUNT: String(ctx.settings.concurrency), BENCH_E2E: 'started' },
    dataDir,
  );
  try {
    const pace = { url: ingest.url, rate, connections: ctx.settings.pacedConnections };
    ctx.progress(
      `e2e: ours (${store}, separate ingest and worker instances) at ${rate} req/s, warm-up then ${ctx.settings.e2eS}s`,
    );
    const warm = await runPaced({ ...pace, durationMs: WARMUP_MS });
    await settled(worker, accepted(warm));
    const skip = (await ingest.report()).marks?.length ?? 0;
    const [i0, w0] = [await ingest.report(), await worker.report()];
    const run = await runPaced({ ...pace, durationMs: ctx.settings.e2eS * 1000 });
    const [i1, w1] = [await ingest.report(), await worker.report()];
    await settled(worker, accepted(warm) + accepted(run));
    const started = new Map((await worker.report()).marks ?? []);
    const latencies: number[] = [];
    let early = 0;
    for (const [id, sentAt] of ((await ingest.report()).marks ?? []).slice(skip)) {
      const at = started.get(id);
      if (at === undefined) continue;
      if (at < sentAt) early++;
      latencies.push(Math.max(0, at - sentAt));
    }
    const seconds = ctx.settings.e2eS;
    return {
      rate,
      accepted: accepted(run),
      e2e: summarize(latencies),
      handlerBefore202: early,
      acceptToStart: summarize([]),
      http202: summarize(run.latencies['202'] ?? []),
      notAccepted: run.offered - accepted(run),
      serverCores: round((i1.cpuUs - i0.cpuUs + (w1.cpuUs - w0.cpuUs)) / (seconds * 1e6)),
      generatorCores: run.generatorCores,
    };
  } finally {
    await Promise.all([ingest.stop(), worker.stop()]);
  }
}
