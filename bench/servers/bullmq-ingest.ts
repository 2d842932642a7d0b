/**
 * The peer a Node user would choose: the same route, enqueueing with BullMQ's
 * Queue.add. The idempotency key becomes the BullMQ job id, which is how BullMQ
 * deduplicates, and jobs get the same retry policy as ours (4 attempts,
 * exponential backoff) and are removed once completed, as ours are.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { eventTypeOf, idempotencyKeyOf } from '../../src/ingest/event.js';
import { env, JobCounter, serve } from './ipc.js';
import { ACCEPTED_MESSAGE, acceptedSchema, listen, peerApp } from './routes.js';

const connection = new Redis(Number(env('BENCH_REDIS_PORT')), '127.0.0.1', {
  maxRetriesPerRequest: null,
});
const queue = new Queue(env('BENCH_QUEUE'), {
  connection,
  defaultJobOptions: {
    attempts: 4,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: true,
    removeOnFail: false,
  },
});
await queue.waitUntilReady();

const app = peerApp();
app.post('/webhooks', { schema: acceptedSchema }, async (request, reply) => {
  const payload = request.body as Record<string, unknown>;
  const event = eventTypeOf(request.headers['x-event-type'], payload);
  // The peer keeps no body text: an id past 2^53 is not deduplicated here.
  const key = idempotencyKeyOf(request.headers['idempotency-key'], payload, undefined);
  const job = await queue.add(event, payload, key === undefined ? undefined : { jobId: key });
  reply.code(202);
  return { message: ACCEPTED_MESSAGE, id: String(job.id), event, status: 'queued' };
});
const counter = new JobCounter();
serve({
  url: await listen(app),
  store: 'bullmq',
  report: () => counter.report(),
  stop: async () => {
    await app.close();
    await queue.close();
    connection.disconnect();
  },
});
