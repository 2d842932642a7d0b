/**
 * Route filters: each operator, combinations, missing paths, array indexes,
 * payloads of every shape, and the problems a bad filter is refused with.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilter } from '../../src/routing/filter.js';

function filter(spec: Record<string, unknown>): (payload: unknown) => boolean {
  const { predicate, problems } = compileFilter(spec);
  assert.deepEqual(problems, []);
  assert.ok(predicate);
  return predicate;
}

const invoice = {
  type: 'invoice.paid',
  data: {
    object: {
      livemode: true,
      amount: 2500,
      currency: 'usd',
      customer: null,
      lines: [{ sku: 'A-1', qty: 2 }, { sku: 'B-2' }],
      metadata: { tier: 'gold', tags: ['x', 'y'] },
    },
  },
};

describe('route filters', () => {
  it('an empty filter matches every payload', () => {
    const f = filter({});
    for (const p of [invoice, null, 1, 'x', []]) assert.equal(f(p), true);
  });

  it('a plain value means equality, by dotted path', () => {
    assert.equal(filter({ 'data.object.livemode': true })(invoice), true);
    assert.equal(filter({ 'data.object.livemode': false })(invoice), false);
    assert.equal(filter({ type: 'invoice.paid' })(invoice), true);
    assert.equal(filter({ 'data.object.amount': 2500 })(invoice), true);
    assert.equal(filter({ 'data.object.amount': 2500.0 })(invoice), true, 'the same number');
    assert.equal(
      filter({ 'data.object.amount': '2500' })(invoice),
      false,
      'a string is not a number',
    );
    assert.equal(filter({ 'data.object.customer': null })(invoice), true);
    assert.equal(filter({ 'data.object.livemode': 'true' })(invoice), false);
  });

  it('equality of objects and lists is deep, and whole', () => {
    assert.equal(
      filter({ 'data.object.metadata': { tier: 'gold', tags: ['x', 'y'] } })(invoice),
      true,
    );
    assert.equal(
      filter({ 'data.object.metadata': { tags: ['x', 'y'], tier: 'gold' } })(invoice),
      true,
      'key order is free',
    );
    assert.equal(
      filter({ 'data.object.metadata': { tier: 'gold' } })(invoice),
      false,
      'a subset is not equal',
    );
    assert.equal(
      filter({ 'data.object.metadata.tags': ['y', 'x'] })(invoice),
      false,
      'list order counts',
    );
    assert.equal(filter({ 'data.object.metadata.tags': ['x'] })(invoice), false);
    assert.equal(
      filter({ 'data.object.metadata.tags': { 0: 'x', 1: 'y' } })(invoice),
      false,
      'a map is not a list',
    );
    assert.equal(
      filter({ 'data.object.lines': [{ sku: 'A-1', qty: 2 }, { sku: 'B-2' }] })(invoice),
      true,
    );
    assert.equal(
      filter({ 'data.object.metadata': {} })({ data: { object: { metadata: {} } } }),
      true,
    );
    assert.equal(filter({ 'data.object.metadata': {} })(invoice), false);
  });

  it('a number segment indexes a list', () => {
    assert.equal(filter({ 'data.object.lines.0.sku': 'A-1' })(invoice), true);
    assert.equal(filter({ 'data.object.lines.1.sku': 'B-2' })(invoice), true);
    assert.equal(filter({ 'data.object.lines.2.sku': { $exists: false } })(invoice), true);
    assert.equal(filter({ 'data.object.metadata.tags.1': 'y' })(invoice), true);
    assert.equal(
      filter({ 'data.object.lines.length': 2 })(invoice),
      false,
      'no properties of lists',
    );
    assert.equal(
      filter({ 'data.object.lines.01.sku': 'B-2' })(invoice),
      false,
      'only canonical indexes',
    );
    assert.equal(filter({ 'a.0': 'x' })({ a: { 0: 'x' } }), true, 'on a map, a number is a key');
  });

  it('$in: equal to one of the values', () => {
    const f = filter({ 'data.object.currency': { $in: ['eur', 'usd'] } });
    assert.equal(f(invoice), true);
    assert.equal(f({ data: { object: { currency: 'gbp' } } }), false);
    assert.equal(f({}), false);
    assert.equal(filter({ x: { $in: [{ a: 1 }, [1, 2]] } })({ x: [1, 2] }), true, 'deep, too');
    assert.equal(filter({ x: { $in: [null] } })({ x: null }), true);
    assert.equal(filter({ x: { $in: [null] } })({}), false, 'missing is not null');
  });

  it('$exists: present (even null) or absent', () => {
    assert.equal(filter({ 'data.object.customer': { $exists: true } })(invoice), true);
    assert.equal(filter({ 'data.object.nope': { $exists: true } })(invoice), false);
    assert.equal(filter({ 'data.object.nope': { $exists: false } })(invoice), true);
    assert.equal(filter({ 'data.object.amount.x': { $exists: false } })(invoice), true);
    assert.equal(filter({ 'a.b': { $exists: false } })(null), true);
  });

  it('$prefix: a string that starts with it', () => {
    assert.equal(filter({ type: { $prefix: 'invoice.' } })(invoice), true);
    assert.equal(filter({ type: { $prefix: 'customer.' } })(invoice), false);
    assert.equal(
      filter({ 'data.object.amount': { $prefix: '25' } })(invoice),
      false,
      'not a string',
    );
    assert.equal(filter({ type: { $prefix: '' } })(invoice), true);
  });

  it('$gte and $lte: numbers only, bounds included', () => {
    assert.equal(filter({ 'data.object.amount': { $gte: 2500 } })(invoice), true);
    assert.equal(filter({ 'data.object.amount': { $gte: 2501 } })(invoice), false);
    assert.equal(filter({ 'data.object.amount': { $lte: 2500 } })(invoice), true);
    assert.equal(filter({ 'data.object.amount': { $lte: 2499.5 } })(invoice), false);
    assert.equal(
      filter({ 'data.object.currency': { $gte: 0 } })(invoice),
      false,
      'a string is not a number',
    );
    assert.equal(filter({ x: { $gte: 0 } })({ x: '5' }), false);
    assert.equal(filter({ x: { $lte: 0 } })({ x: null }), false);
  });

  it('operators combine in one condition; all must hold', () => {
    const range = filter({ 'data.object.amount': { $gte: 1000, $lte: 5000 } });
    assert.equal(range(invoice), true);
    assert.equal(range({ data: { object: { amount: 6000 } } }), false);
    assert.equal(range({ data: { object: { amount: 500 } } }), false);
    const f = filter({
      type: { $exists: true, $prefix: 'invoice.', $in: ['invoice.paid', 'invoice.voided'] },
    });
    assert.equal(f(invoice), true);
    assert.equal(f({ type: 'invoice.created' }), false);
  });

  it('every condition must hold', () => {
    const f = filter({
      'data.object.livemode': true,
      'data.object.currency': { $in: ['usd'] },
      type: { $prefix: 'invoice.' },
    });
    assert.equal(f(invoice), true);
    assert.equal(f({ ...invoice, type: 'charge.succeeded' }), false);
  });

  it('a missing path fails every condition but $exists: false', () => {
    for (const spec of [
      { 'a.b': 1 },
      { 'a.b': null },
      { 'a.b': { $in: [1] } },
      { 'a.b': { $prefix: '' } },
      { 'a.b': { $gte: 0 } },
      { 'a.b': { $exists: true } },
    ]) {
      assert.equal(filter(spec)({ a: {} }), false, JSON.stringify(spec));
      assert.equal(filter(spec)({}), false, JSON.stringify(spec));
    }
  });

  it('never throws, and reads only own properties, whatever the payload', () => {
    const conditions = filter({
      'a.b.c': 1,
      'a.0': { $exists: true },
      'constructor.name': 'Object',
      toString: { $exists: true },
      '__proto__.x': 1,
      'x.__proto__': { $exists: true },
    });
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 10_000; i++) {
      const next = {};
      at.a = next;
      at = next;
    }
    const odd: unknown[] = [
      null,
      undefined,
      0,
      -0,
      Number.NaN,
      'text',
      true,
      [],
      [1, [2, [3]]],
      {},
      Object.create(null),
      JSON.parse('{"__proto__": {"x": 1}, "a": {"0": 1}}'),
      deep,
      new Array(5),
      () => 1,
      Symbol('s'),
      10n,
    ];
    for (const p of odd) assert.equal(conditions(p), false);
    assert.equal(
      filter({ '__proto__.x': 1 })(JSON.parse('{"__proto__": {"x": 1}}')),
      true,
      'an own __proto__ key is a key',
    );
    assert.equal(filter({ '__proto__.x': 1 })({}), false);
    assert.equal(filter({ 'constructor.name': 'Object' })({}), false, 'not inherited');
    assert.equal(filter({ x: { a: 1 } })({ x: JSON.parse('{"a": 1, "__proto__": 2}') }), false);
  });

  const bad: [string, unknown, RegExp][] = [
    [
      'an unknown operator',
      { 'a.b': { $regex: '^x' } },
      /"filter.a.b" has an unknown operator "\$regex" \(known: \$in, \$exists, \$prefix, \$gte, \$lte\)/,
    ],
    ['an empty $in', { a: { $in: [] } }, /"filter.a" needs a non-empty list of values for "\$in"/],
    ['$in that is not a list', { a: { $in: 'x' } }, /"filter.a" needs a non-empty list/],
    [
      '$exists that is not a boolean',
      { a: { $exists: 'yes' } },
      /"filter.a" needs true or false for "\$exists"/,
    ],
    [
      '$prefix that is not a string',
      { a: { $prefix: 1 } },
      /"filter.a" needs a string for "\$prefix"/,
    ],
    ['$gte that is not a number', { a: { $gte: '1' } }, /"filter.a" needs a number for "\$gte"/],
    [
      '$lte that is not finite',
      { a: { $lte: Number.POSITIVE_INFINITY } },
      /"filter.a" needs a number for "\$lte"/,
    ],
    [
      'operators mixed with keys',
      { a: { $gte: 1, b: 2 } },
      /"filter.a" mixes operators \(\$gte\) with plain keys \(b\)/,
    ],
    [
      'an operator inside a value',
      { a: { b: { $in: [1] } } },
      /"filter.a" has the operator "\$in" inside a value/,
    ],
    ['an empty path segment', { 'a..b': 1 }, /"filter.a..b" is not a dotted path/],
    ['a trailing dot', { 'a.': 1 }, /"filter.a." is not a dotted path/],
    ['a NaN', { a: Number.NaN }, /"filter.a" compares with a number that is not finite/],
    ['a filter that is a list', [1], /"filter" must be a map/],
    ['a filter that is a string', 'a=1', /"filter" must be a map/],
  ];
  for (const [what, spec, pattern] of bad) {
    it(`refuses ${what}`, () => {
      const { predicate, problems } = compileFilter(spec);
      assert.equal(predicate, undefined);
      const text = problems.map((p) => `"${p.field}" ${p.text}`);
      assert.ok(
        text.some((t) => pattern.test(t)),
        JSON.stringify(text),
      );
    });
  }
});
