/**
 * VARIABLES (src/config/variables.ts) is the one list of the variables the service
 * reads: the Reader refuses any other name, loadConfig reads every name on it, and
 * each documented default is the value the service uses when the variable is unset.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { Reader } from '../../src/config/reader.js';
import { VARIABLES, type Variable } from '../../src/config/variables.js';

const LIST: readonly Variable[] = VARIABLES;

/** The names loadConfig looks up in `env`, by any path (the Reader or not). */
function namesRead(env: Record<string, string>): Set<string> {
  const seen = new Set<string>();
  const recording = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') seen.add(key);
      return Reflect.get(target, key);
    },
  });
  loadConfig(recording);
  return seen;
}

describe('VARIABLES', () => {
  it('names each variable once, as an environment variable name, with a meaning', () => {
    const names = LIST.map((v) => v.name);
    assert.deepEqual(
      names.filter((n, i) => names.indexOf(n) !== i),
      [],
      'duplicate names',
    );
    for (const v of LIST) {
      assert.match(v.name, /^[A-Z][A-Z0-9_]*$/, v.name);
      assert.ok(v.meaning.trim().length > 0, `${v.name} has no meaning`);
    }
  });

  it('lists exactly the variables loadConfig reads', () => {
    // Unset, every branch that reads a variable runs (REDIS_ADDR and REDIS_DB are
    // read only without REDIS_URL); the second env covers the REDIS_URL branch.
    const read = new Set([
      ...namesRead({}),
      ...namesRead({ REDIS_URL: 'redis://localhost:6379/0' }),
    ]);
    const declared = new Set(LIST.map((v) => v.name));
    assert.deepEqual(
      [...read].filter((n) => !declared.has(n)),
      [],
      'read but not in VARIABLES (a read that bypasses the Reader?)',
    );
    assert.deepEqual(
      [...declared].filter((n) => !read.has(n)),
      [],
      'in VARIABLES but never read by loadConfig',
    );
  });

  it('documents the defaults the service uses: setting each to its default changes nothing', () => {
    const defaults = Object.fromEntries(
      LIST.filter((v) => v.default !== '').map((v) => [v.name, v.default]),
    );
    // STORE is set in both, or REDIS_ADDR's default would choose the Redis store.
    for (const store of ['sqlite', 'redis']) {
      assert.deepEqual(
        loadConfig({ ...defaults, STORE: store }),
        loadConfig({ STORE: store }),
        `STORE=${store}`,
      );
    }
  });

  it('shows a default for every variable whose default is a value', () => {
    for (const v of LIST) {
      if (v.defaultText !== undefined && v.default !== '') {
        assert.ok(v.defaultText.includes(v.default), `${v.name}: ${v.defaultText}`);
      }
    }
  });
});

describe('Reader', () => {
  it('refuses to read a variable that is not declared in VARIABLES', () => {
    const r = new Reader({ UNDECLARED_SETTING: '5' }, VARIABLES);
    for (const read of [
      () => r.raw('UNDECLARED_SETTING'),
      () => r.exact('UNDECLARED_SETTING'),
      () => r.int('UNDECLARED_SETTING', 1, 0),
      () => r.bool('UNDECLARED_SETTING', true),
      () => r.duration('UNDECLARED_SETTING', 1_000),
    ]) {
      assert.throws(read, /UNDECLARED_SETTING, which is not declared/);
    }
    assert.deepEqual(r.problems, [], 'a programming error, not a configuration problem');
  });

  it('reads a declared variable', () => {
    assert.equal(new Reader({ PORT: ' 9000 ' }, VARIABLES).int('PORT', 8080, 0, 65535), 9000);
    assert.equal(new Reader({ ADMIN_TOKEN: ' x ' }, VARIABLES).exact('ADMIN_TOKEN'), ' x ');
  });
});
