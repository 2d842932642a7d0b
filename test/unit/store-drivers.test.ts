/**
 * The list of store drivers is the one place a backend is registered: STORE
 * accepts its kinds, its drivers' variables choose them, the start-up line and
 * the documented defaults come from it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, redactedConfig } from '../../src/config/config.js';
import { configFrom } from '../../src/config/settings.js';
import { VARIABLES, variablesFor } from '../../src/config/variables.js';
import { MemoryRateLimiter } from '../../src/ingest/rate-limit.js';
import { optionsOf, type StoreDriver, storeSettings } from '../../src/store/driver.js';
import { DEFAULT_STORE_DRIVER, driverOf, STORE_DRIVERS } from '../../src/store/drivers.js';
import { storeStartupMessage } from '../../src/store/from-config.js';
import type { Store } from '../../src/store/store.js';

/**
 * A driver of a store that does not exist (`create` is never called here), with
 * one variable of its own, as a driver written outside the repository would be.
 */
const MEMORY: StoreDriver<{ slots: number }> = {
  kind: 'memory',
  title: 'Memory',
  variables: [
    { name: 'MEMORY_SLOTS', default: '64', meaning: 'Slots kept.' },
    { name: 'MEMORY_ON', default: '', emptyIsUnset: true, meaning: 'Chooses the memory store.' },
  ],
  chosenBy: ['MEMORY_ON'],
  eventLogMaxDefault: 7,
  readOptions: (r) => ({ slots: r.int('MEMORY_SLOTS', 64, 1) }),
  create() {
    throw new Error('not built in these tests');
  },
  rateLimiter: () => new MemoryRateLimiter(),
  announce: (location, why) => `memory at ${location} (${why}).`,
  howToChoose: 'For nothing kept, set STORE=memory.',
};
const WITH_MEMORY = { storeDrivers: [MEMORY] };

function problemsOf(env: Record<string, string>, opts = {}): string[] {
  try {
    loadConfig(env, opts);
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
    assert.equal(loadConfig({ STORE: 'memory' }, WITH_MEMORY).store, 'memory');
    assert.deepEqual(problemsOf({ STORE: 'mongo' }, WITH_MEMORY), [
      `STORE="mongo": expected one of ${kinds}, memory`,
    ]);
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

  it("takes EVENT_LOG_MAX's default from the chosen driver, the program's own too", () => {
    for (const d of STORE_DRIVERS) {
      assert.equal(loadConfig({ STORE: d.kind }).eventLog.maxEvents, d.eventLogMaxDefault);
    }
    assert.equal(loadConfig({ STORE: 'memory' }, WITH_MEMORY).eventLog.maxEvents, 7);
    assert.equal(loadConfig({ MEMORY_ON: '1' }, WITH_MEMORY).eventLog.maxEvents, 7);
  });

  it("reads a driver's own variables into its settings, and reports them by name", () => {
    const c = loadConfig({ MEMORY_SLOTS: '9' }, WITH_MEMORY);
    assert.deepEqual(optionsOf(MEMORY, c), { slots: 9 });
    assert.equal(c.store, DEFAULT_STORE_DRIVER.kind, 'read, whichever store is chosen');
    assert.deepEqual(optionsOf(MEMORY, loadConfig({}, WITH_MEMORY)), { slots: 64 });
    assert.deepEqual(problemsOf({ MEMORY_SLOTS: 'many' }, WITH_MEMORY), [
      'MEMORY_SLOTS="many": expected a whole number >= 1',
    ]);
    assert.deepEqual(problemsOf({ MEMORY_SLOTS: ' ' }, WITH_MEMORY), [
      'MEMORY_SLOTS is empty: set it to a whole number >= 1, or unset it to use the default (64)',
    ]);
    // Declared empty-is-unset: an empty MEMORY_ON chooses nothing.
    assert.equal(loadConfig({ MEMORY_ON: '' }, WITH_MEMORY).store, DEFAULT_STORE_DRIVER.kind);
    assert.throws(
      () => optionsOf(MEMORY, loadConfig({})),
      /read without the memory store driver: pass it in storeDrivers/,
    );
  });

  it("takes a driver's typed settings over its variables, checked as the variables are", () => {
    const typed: StoreDriver<{ slots: number }, { slots: number }> = {
      ...MEMORY,
      settings: { slots: 'MEMORY_SLOTS' },
    };
    const opts = { storeDrivers: [typed] };
    const env = { MEMORY_SLOTS: '9' };
    assert.deepEqual(optionsOf(typed, configFrom({}, env, opts)), { slots: 9 });
    const set = configFrom({ stores: storeSettings(typed, { slots: 12 }) }, env, opts);
    assert.deepEqual(optionsOf(typed, set), { slots: 12 }, 'a setting wins over the variable');
    assert.throws(
      () => configFrom({ stores: storeSettings(typed, { slots: 0 }) }, {}, opts),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.includes('MEMORY_SLOTS="0": expected a whole number >= 1'),
      'a bad value is reported by the name of the variable it stands for',
    );
    assert.throws(
      () => configFrom({ stores: { memory: { lanes: 3 } } }, {}, opts),
      /unknown setting "lanes" of the memory store/,
    );
    assert.throws(
      () => configFrom({ stores: { memory: { slots: 3 } } }, {}),
      /settings for an unknown store "memory": pass its driver in storeDrivers/,
    );
    assert.throws(
      () => configFrom({ stores: { memory: { constructor: 'x' } } }, {}, opts),
      /unknown setting "constructor" of the memory store/,
      'only the keys the driver declares, none it inherits',
    );
    // A driver without typed settings takes none.
    assert.throws(
      () => configFrom({ stores: { memory: { slots: 3 } } }, {}, WITH_MEMORY),
      /unknown setting "slots" of the memory store/,
    );
  });

  it('refuses a driver with settings for a variable it does not declare', () => {
    const sloppy: StoreDriver<{ slots: number }, { slots: number }> = {
      ...MEMORY,
      settings: { slots: 'MEMORY_SIZE' },
    };
    assert.throws(
      () => loadConfig({}, { storeDrivers: [sloppy] }),
      /"memory" has settings for MEMORY_SIZE, which it does not declare/,
    );
  });

  it('refuses a driver that reads a variable it does not declare', () => {
    const sloppy: StoreDriver = {
      ...MEMORY,
      readOptions: (r) => ({ slots: r.int('MEMORY_UNDECLARED', 1, 0) }),
    };
    assert.throws(
      () => loadConfig({}, { storeDrivers: [sloppy] }),
      /reads MEMORY_UNDECLARED, which is not declared/,
    );
  });

  it('refuses a driver declaring a variable the service or another driver declares', () => {
    for (const taken of ['STORE', 'REDIS_URL', 'PORT']) {
      const clash: StoreDriver = {
        ...MEMORY,
        variables: [...MEMORY.variables, { name: taken, default: '', meaning: 'Mine.' }],
      };
      assert.throws(
        () => loadConfig({}, { storeDrivers: [clash] }),
        new RegExp(`${taken}: declared twice`),
      );
    }
  });

  it('refuses two drivers of one kind, and a driver chosen by a variable it does not declare', () => {
    assert.throws(
      () => loadConfig({}, { storeDrivers: [{ ...MEMORY, kind: 'redis' }] }),
      /two store drivers have the kind "redis"/,
    );
    assert.throws(
      () => loadConfig({}, { storeDrivers: [{ ...MEMORY, chosenBy: ['MEMORY_URL'] }] }),
      /"memory" is chosen by MEMORY_URL, which it does not declare/,
    );
  });

  it("logs a driver's settings only as its driver redacts them", () => {
    const c = loadConfig({ REDIS_URL: 'redis://u:s3cret@h:6379/0' }, WITH_MEMORY);
    const shown = JSON.stringify(redactedConfig(c, WITH_MEMORY));
    assert.doesNotMatch(shown, /s3cret/);
    const stores = redactedConfig(c, WITH_MEMORY).stores as Record<string, unknown>;
    assert.equal((stores.redis as { password: string }).password, '[redacted]');
    assert.equal(stores.memory, '[not shown]', 'no redactOptions: left out');
    assert.equal(
      (redactedConfig(c).stores as Record<string, unknown>).memory,
      '[not shown]',
      'a driver the redaction was not told of',
    );
  });

  it('words the start-up line from the store’s driver and tells how to choose each other one', () => {
    for (const d of STORE_DRIVERS) {
      const line = storeStartupMessage(loadConfig({ STORE: d.kind }), storeOf(d.kind, '/q'));
      assert.ok(line.startsWith(`queue store: ${d.announce('/q', 'STORE is set')}`), line);
      for (const other of STORE_DRIVERS) {
        assert.equal(line.includes(other.howToChoose), other !== d, `${d.kind}: ${other.kind}`);
      }
    }
    const drivers = [...STORE_DRIVERS, MEMORY];
    const line = storeStartupMessage(
      loadConfig({}, WITH_MEMORY),
      storeOf(DEFAULT_STORE_DRIVER.kind, '/q'),
      drivers,
    );
    assert.match(line, /STORE=memory/, 'a new driver is offered on the others’ lines');
    assert.match(line, /neither STORE, REDIS_URL, REDIS_ADDR nor MEMORY_ON is set/);
    const own = storeStartupMessage(
      loadConfig({ STORE: 'memory' }, WITH_MEMORY),
      storeOf('memory', 'here'),
      drivers,
    );
    assert.match(own, /^queue store: memory at here \(STORE is set\)\./);
  });

  it('says a store of no listed kind was given by the embedding program', () => {
    const line = storeStartupMessage(loadConfig({}), storeOf('memory', 'here'));
    assert.match(line, /^queue store: memory at here \(given by the embedding program\)\./);
    const own = storeStartupMessage(loadConfig({}, WITH_MEMORY), storeOf('memory', 'here'), [
      ...STORE_DRIVERS,
      MEMORY,
    ]);
    assert.match(own, /^queue store: memory at here \(given by the embedding program\)\./);
    assert.doesNotMatch(own, /STORE=memory/);
  });

  it("documents every kind, each default and each driver's variables from the list", () => {
    for (const d of STORE_DRIVERS) {
      for (const v of d.variables) assert.ok(VARIABLES.includes(v), v.name);
    }
    const withMemory = variablesFor([...STORE_DRIVERS, MEMORY]);
    assert.ok(withMemory.some((v) => v.name === 'MEMORY_SLOTS'));
    assert.match(
      withMemory.find((v) => v.name === 'STORE')?.meaning ?? '',
      /`memory` if `MEMORY_ON`/,
    );
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
