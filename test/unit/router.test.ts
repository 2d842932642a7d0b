/**
 * The router: event type globs, sources, filters, and the destinations an event
 * goes to (deduplicated, first seen first; none = the in-process handlers).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteConfig } from '../../src/delivery/destination.js';
import { compileGlobs } from '../../src/routing/glob.js';
import { Router } from '../../src/routing/router.js';

const route = (r: Partial<RouteConfig> & Pick<RouteConfig, 'to'>): RouteConfig => ({
  sources: '*',
  eventTypes: undefined,
  filter: undefined,
  ...r,
});

describe('event type globs', () => {
  const cases: [string, string, boolean][] = [
    ['invoice.paid', 'invoice.paid', true],
    ['invoice.paid', 'invoice.paid2', false],
    ['invoice.paid', 'xinvoice.paid', false],
    ['invoice.*', 'invoice.paid', true],
    ['invoice.*', 'invoice.payment.failed', true],
    ['invoice.*', 'invoice.', true],
    ['invoice.*', 'invoice', false],
    ['invoice.*', 'invoicex.paid', false],
    ['*.created', 'customer.created', true],
    ['*.created', 'customer.subscription.created', true],
    ['*.created', 'created', false],
    ['customer.*.created', 'customer.subscription.created', true],
    ['customer.*.created', 'customer..created', true],
    ['customer.*.created', 'customer.created', false],
    ['*', '', true],
    ['*', 'anything.at.all', true],
    ['**', 'x', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['a*b*c', 'abcb', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['*ab*ab*', 'xabyab', true],
    ['*ab*ab*', 'xaby', false],
    ['orders/create', 'orders/create', true],
    ['orders/*', 'orders/create', true],
    // Regular-expression characters are literal.
    ['a.b', 'aXb', false],
    ['a+', 'aa', false],
    ['(a|b)', '(a|b)', true],
  ];
  for (const [glob, type, expected] of cases) {
    it(`${glob} ${expected ? 'matches' : 'does not match'} "${type}"`, () => {
      assert.equal(compileGlobs([glob])(type), expected);
    });
  }

  it('a list matches when any glob does', () => {
    const m = compileGlobs(['push', 'pull_request', 'issue*']);
    assert.deepEqual(['push', 'pull_request', 'issues', 'issue_comment', 'release'].map(m), [
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it('stays fast on types that almost match a glob with many stars', () => {
    const m = compileGlobs(['*a*a*a*a*a*a*a*a*a*a*b']);
    const type = 'a'.repeat(128);
    for (let i = 0; i < 1_000; i++) assert.equal(m(type), false);
  });
});

describe('Router', () => {
  it('with no routes, routes nothing (the handlers take every event)', () => {
    assert.deepEqual(new Router([]).match('stripe', 'invoice.paid', {}), []);
  });

  it('matches by source: a name, a list, or "*"', () => {
    const r = new Router([
      route({ sources: ['stripe'], to: ['a'] }),
      route({ sources: ['github', 'default'], to: ['b'] }),
      route({ sources: '*', to: ['c'] }),
    ]);
    assert.deepEqual(r.match('stripe', 't', {}), ['a', 'c']);
    assert.deepEqual(r.match('github', 't', {}), ['b', 'c']);
    assert.deepEqual(r.match('default', 't', {}), ['b', 'c']);
    assert.deepEqual(r.match('shopify', 't', {}), ['c']);
  });

  it('matches by event type globs; no list means every type', () => {
    const r = new Router([
      route({ eventTypes: ['invoice.*', 'customer.subscription.*'], to: ['billing'] }),
      route({ eventTypes: ['push'], to: ['ci'] }),
      route({ to: ['audit'] }),
    ]);
    assert.deepEqual(r.match('s', 'invoice.paid', {}), ['billing', 'audit']);
    assert.deepEqual(r.match('s', 'customer.subscription.deleted', {}), ['billing', 'audit']);
    assert.deepEqual(r.match('s', 'customer.created', {}), ['audit']);
    assert.deepEqual(r.match('s', 'push', {}), ['ci', 'audit']);
  });

  it('matches by filter', () => {
    const r = new Router([
      route({ filter: { 'data.object.livemode': true }, to: ['live'] }),
      route({ filter: { 'data.object.livemode': false }, to: ['test'] }),
    ]);
    assert.deepEqual(r.match('s', 't', { data: { object: { livemode: true } } }), ['live']);
    assert.deepEqual(r.match('s', 't', { data: { object: { livemode: false } } }), ['test']);
    assert.deepEqual(r.match('s', 't', { data: {} }), []);
  });

  it('source, types and filter must all match', () => {
    const r = new Router([
      route({
        sources: ['stripe'],
        eventTypes: ['invoice.*'],
        filter: { livemode: true },
        to: ['a'],
      }),
    ]);
    assert.deepEqual(r.match('stripe', 'invoice.paid', { livemode: true }), ['a']);
    assert.deepEqual(r.match('github', 'invoice.paid', { livemode: true }), []);
    assert.deepEqual(r.match('stripe', 'charge.paid', { livemode: true }), []);
    assert.deepEqual(r.match('stripe', 'invoice.paid', { livemode: false }), []);
  });

  it('deduplicates, keeping the first-seen order across routes', () => {
    const r = new Router([
      route({ to: ['ci', 'billing', 'ci'] }),
      route({ to: ['handlers', 'billing'] }),
      route({ eventTypes: ['nope'], to: ['never'] }),
      route({ to: ['audit', 'ci'] }),
    ]);
    assert.deepEqual(r.match('s', 't', {}), ['ci', 'billing', 'handlers', 'audit']);
  });

  it('returns a fresh list each time', () => {
    const r = new Router([route({ to: ['a'] })]);
    const first = r.match('s', 't', {});
    first.push('mutated');
    assert.deepEqual(r.match('s', 't', {}), ['a']);
  });

  it('does not share state with the routes it was given', () => {
    const sources = ['a'];
    const to = ['x'];
    const r = new Router([route({ sources, to })]);
    to.push('y');
    sources.push('b');
    assert.deepEqual(r.match('a', 't', {}), ['x']);
    assert.deepEqual(r.match('b', 't', {}), []);
  });

  it('refuses a route with an invalid filter, naming it', () => {
    assert.throws(
      () => new Router([route({ to: ['a'] }), route({ filter: { a: { $nope: 1 } }, to: ['a'] })]),
      /routes\[1\]: invalid filter: "filter.a" has an unknown operator "\$nope"/,
    );
  });
});
