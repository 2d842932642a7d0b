/**
 * One destination's worker on each store, against a real receiver: how it
 * writes the outcome of a delivered attempt.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { DestinationConfig } from '../../src/delivery/destination.js';
import { DestinationWorker } from '../../src/delivery/destination-worker.js';
import { HttpSender } from '../../src/delivery/http-sender.js';
import { DeliveryMetrics } from '../../src/delivery/metrics.js';
import type { DestinationStates } from '../../src/store/destinations.js';
import type { Delivery, DeliveryQueue, Store } from '../../src/store/store.js';
import { job } from '../conformance/jobs.js';
import { STORES, type StoreHarness } from '../conformance/stores.js';
import { type Receiver, startReceiver } from '../helpers/recording-receiver.js';
import { silentLog, testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

/** `target` with one method replaced; every other member is the real one. */
function withMethod<T extends object>(target: T, name: keyof T, replacement: unknown): T {
  return new Proxy(target, {
    get(t, prop) {
      if (prop === name) return replacement;
      const value = Reflect.get(t, prop, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

for (const factory of STORES) {
  describe(`destination worker: ${factory.name}`, () => {
    let h: StoreHarness;
    let store: Store;
    let receiver: Receiver;
    let destination: DestinationConfig;
    let sender: HttpSender;
    beforeEach(async () => {
      h = factory.harness();
      store = await h.open('worker');
      receiver = await startReceiver();
      destination = testConfig({ FORWARD_URL: receiver.url }).destinations[0] as DestinationConfig;
      sender = new HttpSender([destination]);
    });
    afterEach(async () => {
      await sender.close();
      await receiver.close();
      await h.cleanup();
    });

    it("records a delivered attempt's success without waiting for its completion to be written", async () => {
      const lane = store.lane(destination.name);
      await store.enqueue(job(), undefined, { handlers: false, destinations: [destination.name] });
      let release = () => {};
      const writing = new Promise<void>((resolve) => {
        release = resolve;
      });
      let completing = 0;
      const queue = withMethod<DeliveryQueue>(
        lane,
        'complete',
        async (deliveries: readonly Delivery[]) => {
          completing++;
          await writing;
          return lane.complete(deliveries);
        },
      );
      let successes = 0;
      const states = withMethod<DestinationStates>(
        store.destinations,
        'recordSuccess',
        (name: string) => {
          successes++;
          return store.destinations.recordSuccess(name);
        },
      );
      const worker = new DestinationWorker({
        destination,
        queue,
        states,
        send: (name, msg, signal) => sender.send(name, msg, signal),
        metrics: new DeliveryMetrics(new Registry()),
        log: silentLog,
        claimBlockMs: 50,
      });
      worker.start();
      try {
        await waitFor(() => completing === 1, { what: 'the completion to be written' });
        await waitFor(() => successes === 1, {
          what: 'the success to be recorded while the completion is still being written',
          timeoutMs: 3_000,
        });
      } finally {
        release();
        await worker.stop(2_000);
      }
      assert.equal(receiver.received.length, 1);
      assert.deepEqual(await lane.stats(), { waiting: 0, inProgress: 0, scheduled: 0, dead: 0 });
      assert.equal((await store.destinations.status(destination.name)).recent.delivered, 1);
    });
  });
}
