/**
 * A store call that fails after a delivery was claimed and before it was sent
 * (a Redis blip on the breaker check or the rate limit) must not strand the
 * delivery until the reclaim, which would charge it an attempt it never made.
 * Real stores, a real dispatcher and sender, a real receiver; only the one
 * failing call is injected, in front of the store's own destination state.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { HttpSender } from '../../src/delivery/http-sender.js';
import { DeliveryMetrics } from '../../src/delivery/metrics.js';
import type { DestinationStates } from '../../src/store/destinations.js';
import { type DeliveryQueue, type Store, StoreUnavailableError } from '../../src/store/store.js';
import { job } from '../conformance/jobs.js';
import { STORES, type StoreHarness } from '../conformance/stores.js';
import { destination } from '../helpers/receiver.js';
import { type Receiver, startReceiver } from '../helpers/recording-receiver.js';
import { silentLog } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

/** `store`, whose destination state fails the calls `fail` picks (once each), lanes as they are. */
function failing(store: Store, fail: (call: 'gate' | 'takeRate') => boolean): Store {
  const real = store.destinations;
  const states: DestinationStates = Object.create(real, {
    gate: {
      value: (...args: Parameters<DestinationStates['gate']>) => {
        if (fail('gate')) return Promise.reject(new StoreUnavailableError('injected blip'));
        return real.gate(...args);
      },
    },
    takeRate: {
      value: (...args: Parameters<DestinationStates['takeRate']>) => {
        if (fail('takeRate')) return Promise.reject(new StoreUnavailableError('injected blip'));
        return real.takeRate(...args);
      },
    },
  });
  return Object.create(store, { destinations: { value: states } });
}

for (const factory of STORES) {
  describe(`delivery: a store error between claim and send (${factory.name})`, () => {
    let h: StoreHarness;
    let store: Store;
    let receiver: Receiver;
    let dispatcher: Dispatcher | undefined;
    let sender: HttpSender | undefined;
    beforeEach(async () => {
      h = factory.harness();
      store = await h.open('main');
      receiver = await startReceiver();
    });
    afterEach(async () => {
      await dispatcher?.stop(1_000);
      await sender?.close();
      await receiver.close();
      await h.cleanup();
    });

    function run(d: ReturnType<typeof destination>, s: Store): DeliveryQueue {
      const lane = store.lane(d.name);
      const out = new HttpSender([d]);
      sender = out;
      dispatcher = new Dispatcher({
        destinations: [d],
        store: s,
        send: (name, msg, signal) => out.send(name, msg, signal),
        metrics: new DeliveryMetrics(new Registry()),
        log: silentLog,
        reclaimIdleMs: 60_000,
        promoteIntervalMs: 50,
      });
      dispatcher.start();
      return lane;
    }

    it('a failed breaker check after a claim puts the delivery back: it goes out as attempt 1', async () => {
      const d = destination({ name: 'hooks', url: receiver.url, maxRetries: 0 });
      let gates = 0;
      // The first gate is before the claim; the second asks again about what it brought.
      const lane = run(
        d,
        failing(store, (call) => call === 'gate' && ++gates === 2),
      );
      await store.enqueue(job(), undefined, { handlers: false, destinations: ['hooks'] });
      await waitFor(() => receiver.received.length === 1, { what: 'the delivery sent' });
      assert.equal(receiver.received[0]?.headers['x-webhook-attempt'], '1');
      await waitFor(async () => {
        const s = await lane.stats();
        return s.waiting + s.inProgress + s.scheduled === 0;
      });
      assert.equal((await store.peekDead(10)).length, 0);
    });

    it('a failed rate-limit call puts the delivery back: it goes out as attempt 1', async () => {
      const d = destination({
        name: 'limited',
        url: receiver.url,
        maxRetries: 0,
        rateLimit: { count: 100, perMs: 1_000 },
      });
      let takes = 0;
      const lane = run(
        d,
        failing(store, (call) => call === 'takeRate' && ++takes === 1),
      );
      await store.enqueue(job(), undefined, { handlers: false, destinations: ['limited'] });
      await waitFor(() => receiver.received.length === 1, { what: 'the delivery sent' });
      assert.equal(receiver.received[0]?.headers['x-webhook-attempt'], '1');
      await waitFor(async () => {
        const s = await lane.stats();
        return s.waiting + s.inProgress + s.scheduled === 0;
      });
      assert.equal((await store.peekDead(10)).length, 0);
    });
  });
}
