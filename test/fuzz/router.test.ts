/**
 * Fuzzing routing: whatever the routes and the payload, matching never throws
 * and returns each routed name once; checking a filter never throws, whatever
 * the file held; and globs agree with a plain regular-expression reading.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { RouteConfig } from '../../src/delivery/destination.js';
import { compileFilter } from '../../src/routing/filter.js';
import { compileGlobs } from '../../src/routing/glob.js';
import { Router } from '../../src/routing/router.js';
import { fuzzRuns } from './runs.js';

/** Keys that catch code reading inherited or special properties. */
const key = fc.oneof(
  fc.constantFrom('a', 'b', '0', '1', '__proto__', 'constructor', 'toString', 'length', 'type'),
  fc.string({ maxLength: 4 }),
);
const path = fc.array(key, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('.'));
const literal = fc.jsonValue({ maxDepth: 2 });
const condition = fc.oneof(
  literal,
  fc.record(
    {
      $in: fc.array(literal, { minLength: 1, maxLength: 3 }),
      $exists: fc.boolean(),
      $prefix: fc.string({ maxLength: 3 }),
      $gte: fc.double({ noNaN: true, noDefaultInfinity: true }),
      $lte: fc.integer(),
    },
    { requiredKeys: [] },
  ),
);
const filter = fc.dictionary(path, condition, { maxKeys: 4 });
/** What the config file lets through to the router. */
const validFilter = filter.filter((f) => compileFilter(f).predicate !== undefined);

/** Payloads of every shape: JSON with odd keys, deep nesting, and values JSON cannot hold. */
const deep = fc.integer({ min: 0, max: 2_000 }).map((depth) => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v, 0: v };
  return v;
});
const payload = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.json({ maxDepth: 4 }).map((text) => JSON.parse(text.replace(/"a"/g, '"__proto__"'))),
  fc.anything({
    withNullPrototype: true,
    withSparseArray: true,
    withBoxedValues: true,
    withBigInt: true,
  }),
  deep,
  fc.constantFrom(undefined, null, Number.NaN, -0, Symbol('s'), () => 1),
);

const glob = fc.stringMatching(/^[ab.*]{0,8}$/).filter((g) => g !== '');
const route = fc.record({
  sources: fc.oneof(
    fc.constant('*' as const),
    fc.array(fc.constantFrom('s1', 's2', 'default'), { minLength: 1 }),
  ),
  eventTypes: fc.option(fc.array(glob, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  filter: fc.option(validFilter, { nil: undefined }),
  to: fc.array(fc.constantFrom('a', 'b', 'c', 'handlers'), { minLength: 1, maxLength: 4 }),
});

describe('routing under fuzzing', () => {
  it('match never throws, and names each routed destination once', () => {
    fc.assert(
      fc.property(
        fc.array(route, { maxLength: 6 }),
        fc.constantFrom('s1', 's2', 'default', 'other'),
        fc.stringMatching(/^[ab.]{0,10}$/),
        payload,
        (routes: RouteConfig[], source, type, p) => {
          const names = new Router(routes).match(source, type, p);
          assert.equal(new Set(names).size, names.length);
          const routed = new Set(routes.flatMap((r) => r.to));
          for (const n of names) assert.ok(routed.has(n));
        },
      ),
      fuzzRuns(3_000),
    );
  });

  it('checking a filter never throws, whatever the file held', () => {
    fc.assert(
      fc.property(fc.oneof(filter, fc.anything(), fc.dictionary(path, fc.anything())), (f) => {
        const { predicate, problems } = compileFilter(f);
        assert.equal(predicate === undefined, problems.length > 0);
      }),
      fuzzRuns(2_000),
    );
  });

  it('a glob matches exactly what the same glob as an anchored regular expression does', () => {
    fc.assert(
      fc.property(glob, fc.stringMatching(/^[ab.]{0,10}$/), (g, type) => {
        const source = g
          .split('*')
          .map((part) => part.replace(/\./g, '\\.'))
          .join('.*');
        assert.equal(
          compileGlobs([g])(type),
          new RegExp(`^${source}$`, 's').test(type),
          `${g} ~ ${type}`,
        );
      }),
      fuzzRuns(5_000),
    );
  });
});
