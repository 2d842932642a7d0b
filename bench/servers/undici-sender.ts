/**
 * The forwarding baseline: a bare undici loop that sends BENCH_JOBS requests to
 * BENCH_TARGET_URL, BENCH_CONCURRENCY at a time, over a dedicated Agent with as
 * many connections. The same body and about the same headers as a delivery of
 * ours, `request()` then `body.dump()`, and nothing else: no queue, no timeout
 * signal, no bookkeeping. It starts sending once it has reported ready.
 */
import { Agent, request } from 'undici';
import { bodyWithId } from '../body.js';
import { env, JobCounter, serve } from './ipc.js';

const url = new URL(env('BENCH_TARGET_URL'));
const jobs = Number(env('BENCH_JOBS'));
const concurrency = Number(env('BENCH_CONCURRENCY'));
const agent = new Agent({ connections: concurrency });
const counter = new JobCounter();
let failed = 0;
let next = 0;

async function lane(): Promise<void> {
  while (next < jobs) {
    const i = next++;
    const id = `bare_${i}`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const res = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'webhook-processor/bench',
          'webhook-id': `${id}:default`,
          'webhook-timestamp': timestamp,
          'x-webhook-source': 'default',
          'x-webhook-event-type': 'payment.succeeded',
          'x-webhook-event-id': id,
          'x-webhook-attempt': '1',
        },
        body: Buffer.from(bodyWithId(id), 'utf8'),
        dispatcher: agent,
      });
      await res.body.dump();
      if (res.statusCode !== 200) failed++;
    } catch {
      failed++;
    }
    counter.finished();
  }
}

serve({
  url: url.href,
  store: 'none',
  report: () => ({ ...counter.report(), failed }),
  stop: () => agent.close(),
});
counter.started();
await Promise.all(Array.from({ length: concurrency }, lane));
