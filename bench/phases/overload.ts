/**
 * Measurement 4, overload: ours as deployed by default (ingest and workers in one
 * process, QUEUE_SIZE and INGEST_MAX_INFLIGHT at their defaults), fed at an even
 * pace of about twice its measured maximum ingest rate. Memory must stay flat,
 * the excess must get fast 503s, and every 202 must end in a processed job.
 */
import { waitFor } from '../../test/helpers/wait.js';
import type { BenchContext } from '../context.js';
import { runPaced } from '../paced.js';
import { round, summarize } from '../stats.js';
import { accepted, settled } from './e2e.js';

export interface OverloadFigures {
  rate: number;
  seconds: number;
  offered: number;
  byStatus: Record<string, number>;
  /** 503s by error code, from the service's own counter. */
  rejectedByCode: Record<string, number>;
  share503: number;
  p50of503Ms: number;
  p99of503Ms: number;
  p99of202Ms: number;
  rssBeforeMB: number;
  rssAfterMB: number;
  rssPeakMB: number;
  rssGrowthMB: number;
  accepted: number;
  processed: number;
  lost: number;
  /** Requests the client could not complete (their fate is unknown to it). */
  clientErrors: number;
  /** Cores the server process used during the run (near 1.0: saturated). */
  serverCores: number;
  /** Cores the load generator used (near 1.0: it, not the server, sets the pace). */
  generatorCores: number;
}

const MB = 1024 * 1024;
const WARMUP_MS = 3_000;

function rejectedByCode(metrics: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics.matchAll(/^webhooks_rejected_total\{code="([a-z_]+)"\} (\d+)/gm))
    out[m[1] as string] = Number(m[2]);
  return out;
}

export async function measureOverload(
  ctx: BenchContext,
  store: string,
  maxRps: number,
): Promise<OverloadFigures> {
  await ctx.redis.reset();
  const rate = Math.round(maxRps * 2);
  const server = await ctx.ours('overload', store, {
    WORKER_COUNT: String(ctx.settings.concurrency),
  });
  try {
    const connections = ctx.settings.pacedConnections;
    ctx.progress(`overload: ours (${store}) warm-up at ${Math.round(maxRps / 2)} req/s`);
    const warm = await runPaced({
      url: server.url,
      rate: Math.round(maxRps / 2),
      durationMs: WARMUP_MS,
      connections,
    });
    await settled(server, accepted(warm));
    const before = await server.report();
    let peak = before.rssBytes;
    const sampler = setInterval(() => {
      server.report().then(
        (r) => {
          peak = Math.max(peak, r.rssBytes);
        },
        () => undefined,
      );
    }, 1_000);
    ctx.progress(`overload: ours (${store}) at ${rate} req/s for ${ctx.settings.overloadS}s`);
    const run = await runPaced({
      url: server.url,
      rate,
      durationMs: ctx.settings.overloadS * 1000,
      connections,
    });
    clearInterval(sampler);
    const after = await server.report();
    peak = Math.max(peak, after.rssBytes);
    const serverCores = round((after.cpuUs - before.cpuUs) / (ctx.settings.overloadS * 1e6));
    const total = accepted(warm) + accepted(run);
    let drained = true;
    try {
      await settled(server, total);
    } catch {
      drained = false;
    }
    await waitFor(
      async () => {
        const h = (await (await fetch(`${server.url}/health`)).json()) as { backlog: number };
        return h.backlog === 0;
      },
      { what: 'the backlog to empty', timeoutMs: drained ? 60_000 : 1_000 },
    ).catch(() => undefined);
    const processed = (await server.report()).processed - before.processed;
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const n503 = run.byStatus['503'] ?? 0;
    const of503 = summarize(run.latencies['503'] ?? []);
    return {
      rate,
      seconds: ctx.settings.overloadS,
      offered: run.offered,
      byStatus: run.byStatus,
      rejectedByCode: rejectedByCode(metrics),
      share503: round(n503 / Math.max(1, run.completed), 4),
      p50of503Ms: of503.p50,
      p99of503Ms: of503.p99,
      p99of202Ms: summarize(run.latencies['202'] ?? []).p99,
      rssBeforeMB: round(before.rssBytes / MB, 1),
      rssAfterMB: round(after.rssBytes / MB, 1),
      rssPeakMB: round(peak / MB, 1),
      rssGrowthMB: round((after.rssBytes - before.rssBytes) / MB, 1),
      accepted: accepted(run),
      processed,
      lost: Math.max(0, accepted(run) - processed),
      clientErrors: run.errors + run.unfinished,
      serverCores,
      generatorCores: run.generatorCores,
    };
  } finally {
    await server.stop();
  }
}
