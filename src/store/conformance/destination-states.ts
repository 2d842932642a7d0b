/**
 * The state every instance shares about a destination: its circuit breaker,
 * the probe that closes it, an operator's pause, recent outcomes, its rate limit.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { BreakerPolicy } from '../destinations.js';
import type { Store } from '../store.js';
import type { StoreFactory, StoreHarness } from './harness.js';
import { waitFor } from './wait.js';

const POLICY: BreakerPolicy = { failures: 3, cooldownMs: 100, maxCooldownMs: 300 };
/** A failed attempt that is not a refusal, and not the probe's / the probe's. */
const FAIL = { refusal: false, probe: false };
const PROBE_FAIL = { refusal: false, probe: true };
const REFUSED = { refusal: true, probe: false };

/** Registers this part of the suite (node:test) for the store `factory` makes. */
export function destinationStateConformance(factory: StoreFactory): void {
  describe(`destination state conformance: ${factory.name}`, () => {
    let h: StoreHarness;
    let store: Store;
    let name: string;
    beforeEach(async () => {
      h = factory.harness();
      store = await h.open('main');
      name = `d${randomUUID().slice(0, 8)}`;
    });
    afterEach(async () => h.cleanup());

    it('a new destination is closed, unpaused and lets deliveries go', async () => {
      const s = await store.destinations.status(name);
      assert.equal(s.breaker, 'closed');
      assert.equal(s.paused, false);
      assert.deepEqual(await store.destinations.gate(name, 1_000), { go: true, probe: false });
    });

    it('opens after the failures in a row, and a success in between resets the run', async () => {
      const d = store.destinations;
      assert.equal(await d.recordFailure(name, 'HTTP 500', POLICY, FAIL), undefined);
      assert.equal(await d.recordFailure(name, 'HTTP 500', POLICY, FAIL), undefined);
      assert.equal(await d.recordSuccess(name), undefined);
      assert.equal(await d.recordFailure(name, 'HTTP 500', POLICY, FAIL), undefined);
      assert.equal(await d.recordFailure(name, 'HTTP 500', POLICY, FAIL), undefined);
      assert.equal(await d.recordFailure(name, 'HTTP 502', POLICY, FAIL), 'opened');
      const s = await d.status(name);
      assert.equal(s.breaker, 'open');
      assert.equal(s.lastError, 'HTTP 502');
      assert.deepEqual(s.recent, { delivered: 1, failed: 5 });
      const g = await d.gate(name, 1_000);
      assert.equal(g.go, false);
      assert.equal(g.go === false && g.why, 'open');
    });

    it('after the cool-down one probe goes; its failure doubles the cool-down, its success closes', async () => {
      const d = store.destinations;
      for (let i = 0; i < 3; i++) await d.recordFailure(name, 'down', POLICY, FAIL);
      await waitFor(async () => (await d.gate(name, 5_000)).go, { what: 'probe allowed' });
      const second = await d.gate(name, 5_000);
      assert.equal(second.go, false, 'only one probe at a time');
      assert.equal(second.go === false && second.why, 'probing');
      // A straggler that was sent before the breaker opened changes nothing... the probe's failure reopens.
      assert.equal(await d.recordFailure(name, 'still down', POLICY, PROBE_FAIL), 'reopened');
      const reopened = await d.status(name);
      assert.ok(reopened.openUntil !== undefined);
      const g = await d.gate(name, 5_000);
      assert.equal(g.go === false && g.why, 'open');
      assert.ok(
        g.go === false && g.waitMs > 100,
        `the cool-down doubled (wait ${JSON.stringify(g)})`,
      );
      await waitFor(async () => (await d.gate(name, 5_000)).go, { what: 'second probe' });
      assert.equal(await d.recordSuccess(name), 'closed');
      assert.equal((await d.status(name)).breaker, 'closed');
      assert.deepEqual(await d.gate(name, 5_000), { go: true, probe: false });
    });

    it('a failed probe opens it for twice the longer of the last and the configured cool-down', {}, async () => {
      const d = store.destinations;
      const before = { failures: 1, cooldownMs: 50, maxCooldownMs: 100_000 };
      // A restart with a longer breaker_cooldown while the breaker is open.
      const after = { failures: 1, cooldownMs: 1_000, maxCooldownMs: 100_000 };
      assert.equal(await d.recordFailure(name, 'down', before, FAIL), 'opened');
      await waitFor(async () => (await d.gate(name, 5_000)).go, { what: 'probe allowed' });
      assert.equal(await d.recordFailure(name, 'still down', after, PROBE_FAIL), 'reopened');
      const s = await d.status(name);
      // Both are written in the one step that reopens: their difference is the cool-down.
      assert.equal((s.openUntil ?? 0) - (s.lastErrorAt ?? 0), 2_000, 'twice the longer of the two');
    });

    it('a failure while cooling down does not extend the cool-down', async () => {
      const d = store.destinations;
      for (let i = 0; i < 3; i++) await d.recordFailure(name, 'down', POLICY, FAIL);
      const before = (await d.status(name)).openUntil;
      assert.equal(await d.recordFailure(name, 'late', POLICY, FAIL), undefined);
      assert.equal((await d.status(name)).openUntil, before);
    });

    it("a failure after the cool-down that is not the probe's changes nothing, and keeps the lease", async () => {
      const d = store.destinations;
      for (let i = 0; i < 3; i++) await d.recordFailure(name, 'down', POLICY, FAIL);
      await waitFor(async () => (await d.gate(name, 5_000)).go, { what: 'probe allowed' });
      assert.equal(await d.recordFailure(name, 'sent before it opened', POLICY, FAIL), undefined);
      const g = await d.gate(name, 5_000);
      assert.equal(g.go === false && g.why, 'probing', 'the probe still holds its lease');
      assert.equal(await d.recordSuccess(name, true), 'closed');
    });

    it('refusals do not open the breaker, and a refused probe closes it', async () => {
      const d = store.destinations;
      for (let i = 0; i < 5; i++) {
        assert.equal(await d.recordFailure(name, 'HTTP 400', POLICY, REFUSED), undefined);
      }
      assert.equal((await d.status(name)).breaker, 'closed');
      assert.equal((await d.status(name)).lastError, 'HTTP 400');
      for (let i = 0; i < 3; i++) await d.recordFailure(name, 'down', POLICY, FAIL);
      await waitFor(async () => (await d.gate(name, 5_000)).go, { what: 'probe allowed' });
      assert.equal(
        await d.recordFailure(name, 'HTTP 404', POLICY, { refusal: true, probe: true }),
        'closed',
      );
    });

    it('pause holds every delivery until resumed', async () => {
      const d = store.destinations;
      await d.setPaused(name, true);
      assert.equal((await d.status(name)).paused, true);
      const g = await d.gate(name, 1_000);
      assert.equal(g.go === false && g.why, 'paused');
      await d.setPaused(name, false);
      assert.deepEqual(await d.gate(name, 1_000), { go: true, probe: false });
    });

    it('the rate limit spaces requests out and counts only those let through', async () => {
      const d = store.destinations;
      assert.equal(await d.takeRate(name, 10, 1_000), 0);
      const wait = await d.takeRate(name, 10, 1_000);
      assert.ok(wait > 0 && wait <= 100, `the second waits up to one interval (${wait} ms)`);
      await waitFor(async () => (await d.takeRate(name, 10, 1_000)) === 0, { what: 'next slot' });
    });
  });
}
