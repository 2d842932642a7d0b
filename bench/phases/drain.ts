/**
 * Measurement 2, drain: N jobs already queued, a no-op handler, the same
 * concurrency. Each side's queue is filled through its own ingest route (ours in
 * ingest-only mode), then a worker process starts and drains it.
 *
 * The clock runs from the first handler start (reported by the worker process)
 * to the moment the queue is seen empty, which includes the last
 * acknowledgements: jobs/s = N / that time.
 */
import { Queue } from 'bullmq';
import { waitFor } from '../../test/helpers/wait.js';
import type { BenchServer } from '../child.js';
import { type BenchContext, QUEUE } from '../context.js';
import { preload } from '../load.js';
import { round } from '../stats.js';
import { INGEST_ONLY } from './ingest.js';

export interface DrainFigures {
  jobs: number;
  seconds: number;
  jobsPerS: number;
  /** CPU per job, microseconds: the worker process, and Redis. */
  workerCpuUsPerJob: number;
  redisCpuUsPerJob: number;
}

/** Queues `n` jobs through `ingest`'s route, then stops it. */
export async function fill(
  ctx: BenchContext,
  ingest: BenchServer,
  n = ctx.settings.drainJobs,
): Promise<void> {
  try {
    ctx.progress(`preloading ${n} jobs through ${ingest.name}`);
    const { accepted, refused } = await preload(ingest.url, n, ctx.settings.connections);
    if (accepted !== n || refused !== 0)
      throw new Error(`preload: ${accepted} of ${n} accepted, ${refused} refused`);
  } finally {
    await ingest.stop();
  }
}

/** `redis0`: Redis's CPU counter from before the worker started. */
async function drain(
  ctx: BenchContext,
  worker: BenchServer,
  redis0: number,
  isEmpty: () => Promise<boolean>,
): Promise<DrainFigures> {
  const n = ctx.settings.drainJobs;
  try {
    await waitFor(async () => (await worker.report()).processed >= n, {
      what: `${worker.name} to run ${n} jobs`,
      timeoutMs: 600_000,
      intervalMs: 50,
    });
    await waitFor(isEmpty, { what: 'the queue to be empty', timeoutMs: 60_000, intervalMs: 5 });
    const emptyAt = Date.now();
    const redis1 = await ctx.redis.cpuUs();
    const { firstStartAt, processed, cpuUs, cpuAtFirstStartUs } = await worker.report();
    const seconds = (emptyAt - (firstStartAt ?? emptyAt)) / 1000;
    if (processed !== n) throw new Error(`${worker.name} ran ${processed} jobs for ${n} queued`);
    return {
      jobs: n,
      seconds,
      jobsPerS: Math.round(n / seconds),
      // From the first job on: the service starts working before it reports ready.
      workerCpuUsPerJob: round((cpuUs - (cpuAtFirstStartUs ?? worker.cpuAtReadyUs)) / n, 1),
      redisCpuUsPerJob: round((redis1 - redis0) / n, 1),
    };
  } finally {
    await worker.stop();
  }
}

/**
 * Ours: fill through an ingest-only instance, drain with a worker-only one.
 * `env` goes to both (`EVENT_LOG_MAX=0` measures the drain without the event log).
 */
export async function drainOurs(
  ctx: BenchContext,
  store: string,
  env: Record<string, string> = {},
): Promise<DrainFigures> {
  await ctx.redis.reset();
  const dataDir = ctx.dataDir();
  await fill(ctx, await ctx.ours('fill', store, { ...INGEST_ONLY, ...env }, dataDir));
  const redis0 = await ctx.redis.cpuUs();
  const worker = await ctx.ours(
    'drain',
    store,
    {
      HTTP_INGEST: 'false',
      WORKER_COUNT: String(ctx.settings.concurrency),
      QUEUE_SIZE: '100000000',
      ...env,
    },
    dataDir,
  );
  ctx.progress(`drain: ours (${store})${env.EVENT_LOG_MAX === '0' ? ', event log off' : ''}`);
  return drain(ctx, worker, redis0, async () => {
    const res = await fetch(`${worker.url}/health`);
    const h = (await res.json()) as { queue_size: number; pending: number; scheduled: number };
    return h.queue_size + h.pending + h.scheduled === 0;
  });
}

/** BullMQ: fill through the Queue.add route, drain with a Worker. */
export async function drainBullmq(ctx: BenchContext): Promise<DrainFigures> {
  await ctx.redis.reset();
  await fill(ctx, await ctx.peer('bullmq-ingest.ts'));
  const queue = new Queue(QUEUE, {
    connection: { host: '127.0.0.1', port: ctx.redis.port, maxRetriesPerRequest: null },
  });
  try {
    const redis0 = await ctx.redis.cpuUs();
    const worker = await ctx.peer('bullmq-worker.ts');
    ctx.progress('drain: BullMQ Worker');
    return await drain(ctx, worker, redis0, async () => {
      const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
      return Object.values(c).every((v) => v === 0);
    });
  } finally {
    await queue.close();
  }
}
