/**
 * BullMQ's Worker with a no-op processor, at the concurrency the bench asks for
 * (BENCH_CONCURRENCY). Default options otherwise: what a Node user would run.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { env, JobCounter, serve } from './ipc.js';

const connection = new Redis(Number(env('BENCH_REDIS_PORT')), '127.0.0.1', {
  maxRetriesPerRequest: null,
});
const counter = new JobCounter();
const worker = new Worker(
  env('BENCH_QUEUE'),
  async () => {
    counter.started();
    counter.finished();
  },
  { connection, concurrency: Number(env('BENCH_CONCURRENCY')) },
);
await worker.waitUntilReady();
serve({
  url: '',
  store: 'bullmq',
  report: () => counter.report(),
  stop: async () => {
    await worker.close();
    connection.disconnect();
  },
});
