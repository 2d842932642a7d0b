/**
 * The list of store drivers is the one place a backend is registered: STORE
 * accepts its kinds, its drivers' variables choose them, the start-up line and
 * the documented defaults come from it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { VARIABLES } from '../../src/config/variables.js';
import { MemoryRateLimiter } from '../../src/ingest/rate-limit.js';
import type { StoreDriver } from '../../src/store/driver.js';
import { DEFAULT_STORE_DRIVER, driverOf, STORE_DRIVERS } from '../../src/store/drivers.js';
import { storeStartupMessage } from '../../src/store/from-config.js';
import type { Store } from '../../src/store/store.js';

/** A driver of a store that does not exist: `create` is never called here. */
const MEMORY: StoreDriver = {
  kind: 'memory',
  title: 'Memory',
  chosenBy: [],
  eventLogMaxDefault: 7,
  create() {
    throw new Error('not built in these tests');
  },
  rateLimiter: () => new MemoryRateLimiter(),
  announce: (location, why) => `memory at ${location} (${why}).`,
  howToChoose: 'For nothing kept, set STORE=memory.',
};

/** Runs `body` with MEMORY registered as the last driver. */
function withMemoryDriver(body: () => void): void {
  const list = STORE_DRIVERS as StoreDriver[];
  list.push(MEMORY);
  try {
    body();
  } finally {
    list.splice(list.indexOf(MEMORY), 1);
  }
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail('the config was accepted');
}

/** A store as the start-up line sees it. */
const storeOf = (kind: string, location: string) => ({ kind, location }) as Store;

describe('the store driver list', () => {
  it('is what STORE accepts, in its order', () => {
    for (const d of STORE_DRIVERS) assert.equal(loadConfig({ STORE: d.kind }).store, d.kind);
    const kinds = STORE_DRIVERS.map((d) => d.kind).join(', ');
    assert.deepEqual(problemsOf({ STORE: 'memory' }), [`STORE="memory": expected one of ${kinds}`]);
    withMemoryDriver(() => {
      assert.equal(loadConfig({ STORE: 'memory' }).store, 'memory');
      assert.deepEqual(problemsOf({ STORE: 'mongo' }), [
        `STORE="mongo": expected one of ${kinds}, memory`,
      ]);
    });
  });

  it('chooses a driver by its variables when STORE is unset, else the default', () => {
    assert.equal(loadConfig({}).store, DEFAULT_STORE_DRIVER.kind);
    for (const d of STORE_DRIVERS) {
      for (const name of d.chosenBy) {
        const value = name === 'REDIS_URL' ? 'redis://h:6379/0' : 'h:6379';
        const c = loadConfig({ [name]: value });
        assert.deepEqual([c.store, c.storeChosenBy], [d.kind, name]);
      }
    }
  });

  it("takes EVENT_LOG_MAX's default from the chosen driver", () => {
    for (const d of STORE_DRIVERS) {
      assert.equal(loadConfig({ STORE: d.kind }).eventLog.maxEvents, d.eventLogMaxDefault);
    }
  });

  it('words the start-up line from the store’s driver and tells how to choose each other one', () => {
    for (const d of STORE_DRIVERS) {
      const line = storeStartupMessage(loadConfig({ STORE: d.kind }), storeOf(d.kind, '/q'));
      assert.ok(line.startsWith(`queue store: ${d.announce('/q', 'STORE is set')}`), line);
      for (const other of STORE_DRIVERS) {
        assert.equal(line.includes(other.howToChoose), other !== d, `${d.kind}: ${other.kind}`);
      }
    }
    withMemoryDriver(() => {
      const line = storeStartupMessage(loadConfig({}), storeOf(DEFAULT_STORE_DRIVER.kind, '/q'));
      assert.match(line, /STORE=memory/, 'a new driver is offered on the others’ lines');
      assert.match(line, /neither STORE, REDIS_URL nor REDIS_ADDR is set/);
    });
  });

  it('says a store of no listed kind was given by the embedding program', () => {
    const line = storeStartupMessage(loadConfig({}), storeOf('memory', 'here'));
    assert.match(line, /^queue store: memory at here \(given by the embedding program\)\./);
    const own = storeStartupMessage(loadConfig({}), storeOf('memory', 'here'), MEMORY);
    assert.match(own, /^queue store: memory at here \(given by the embedding program\)\./);
    assert.doesNotMatch(own, /STORE=memory/);
  });

  it('documents every kind and each default from the list', () => {
    const store = VARIABLES.find((v) => v.name === 'STORE');
    const max = VARIABLES.find((v) => v.name === 'EVENT_LOG_MAX');
    for (const d of STORE_DRIVERS) {
      assert.match(store?.meaning ?? '', new RegExp(`\`${d.kind}\``));
      assert.match(
        max?.defaultText ?? '',
        new RegExp(`\`${d.eventLogMaxDefault}\` \\(${d.title}\\)`),
      );
    }
  });

  it('finds a driver by kind, and none for an unknown kind', () => {
    for (const d of STORE_DRIVERS) assert.equal(driverOf(d.kind), d);
    assert.equal(driverOf('memory'), undefined);
  });
});
