/**
 * A destination behind a slow rate limit: deliveries over the limit wait. The
 * waiting should cost about nothing, not a claim and a reschedule of every
 * delivery in the backlog for each request that the limit lets through.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Registry } from 'prom-client';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { HttpSender } from '../../src/delivery/http-sender.js';
import { DeliveryMetrics } from '../../src/delivery/metrics.js';
import type { DeliveryQueue, Store } from '../../src/store/store.js';
import { job } from '../conformance/jobs.js';
import { STORES } from '../conformance/stores.js';
import { destination } from '../helpers/receiver.js';
import { startReceiver } from '../helpers/recording-receiver.js';
import { silentLog } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const BACKLOG = 200;

for (const factory of STORES) {
  it(`a backlog behind a 1/m rate limit is not claimed and rescheduled over and over (${factory.name})`, {}, async () => {
    const h = factory.harness();
    const store = await h.open('main');
    const r = await startReceiver();
    const d = destination({ name: 'slow', url: r.url, rateLimit: { count: 1, perMs: 60_000 } });
    const lane = store.lane(d.name);
    let rescheduled = 0;
    // Counts the reschedules; every call goes to the real queue.
    const counting: DeliveryQueue = Object.create(lane, {
      retryLater: {
        value: (...args: Parameters<DeliveryQueue['retryLater']>) => {
          rescheduled++;
          return lane.retryLater(...args);
        },
      },
    });
    for (let i = 0; i < BACKLOG; i++) {
      await store.enqueue(job(), undefined, { handlers: false, destinations: [d.name] });
    }
    const sender = new HttpSender([d]);
    const dispatcher = new Dispatcher({
      destinations: [d],
      store: Object.create(store, { lane: { value: () => counting } }) as Store,
      send: (name, msg, signal) => sender.send(name, msg, signal),
      metrics: new DeliveryMetrics(new Registry()),
      log: silentLog,
      reclaimIdleMs: 60_000,
    });
    dispatcher.start();
    try {
      await waitFor(() => r.received.length === 1, { what: 'the first request' });
      const from = Date.now();
      await waitFor(() => Date.now() > from + 3_000, { what: 'three seconds' });
      assert.equal(r.received.length, 1, 'one request a minute');
      assert.ok(
        rescheduled <= d.concurrency,
        `at most a slot's worth rescheduled while waiting (${rescheduled} of ${BACKLOG})`,
      );
    } finally {
      await dispatcher.stop(1_000);
      await sender.close();
      await r.close();
      await h.cleanup();
    }
  });
}
