import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { BUILTIN_HANDLERS, defaultRegistry, genericHandler } from '../../src/handlers/builtin.js';
import { type JobContext, PermanentError } from '../../src/handlers/handler.js';
import { HandlerRegistry } from '../../src/handlers/registry.js';

function ctx(type: string, payload: Record<string, unknown>): JobContext {
  return {
    id: 'j1',
    type,
    source: 'default',
    payload,
    rawBody: JSON.stringify(payload),
    headers: {},
    idempotencyKey: undefined,
    attempt: 1,
    previousError: undefined,
    destination: undefined,
    receivedAt: new Date(),
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
  };
}

async function outcome(type: string, payload: Record<string, unknown>): Promise<string> {
  const handler = defaultRegistry().resolve('default', type);
  try {
    await handler(ctx(type, payload));
    return 'ok';
  } catch (err) {
    return err instanceof PermanentError ? 'permanent' : 'transient';
  }
}

describe('built-in handlers', () => {
  it('covers the spec event types', () => {
    assert.deepEqual(Object.keys(BUILTIN_HANDLERS).sort(), [
      'message.delivered',
      'message.sent',
      'payment.failed',
      'payment.succeeded',
      'user.created',
      'user.updated',
    ]);
  });
  it('accepts valid payments and refuses invalid ones permanently', async () => {
    assert.equal(await outcome('payment.succeeded', { id: 'p', amount: 0, currency: 'usd' }), 'ok');
    assert.equal(await outcome('payment.failed', { id: 'p', amount: 1000, currency: 'EUR' }), 'ok');
    for (const bad of [
      { amount: 1, currency: 'USD' },
      { id: 'p', amount: -1, currency: 'USD' },
      { id: 'p', amount: 1.5, currency: 'USD' },
      { id: 'p', amount: '100', currency: 'USD' },
      { id: 'p', amount: 1, currency: 'US' },
      { id: 'p', amount: 1, currency: 'US1' },
      { id: 'p', amount: 1 },
    ]) {
      assert.equal(await outcome('payment.succeeded', bad), 'permanent', JSON.stringify(bad));
    }
  });
  it('requires an id on user and message events', async () => {
    for (const type of ['user.created', 'user.updated', 'message.sent', 'message.delivered']) {
      assert.equal(await outcome(type, { id: 'u1' }), 'ok');
      assert.equal(await outcome(type, { id: 7 }), 'ok');
      assert.equal(await outcome(type, {}), 'permanent');
      assert.equal(await outcome(type, { id: '' }), 'permanent');
    }
  });
  it('sends unknown types to the generic handler', async () => {
    assert.equal(defaultRegistry().resolve('default', 'something.else'), genericHandler);
    assert.equal(await outcome('something.else', {}), 'ok');
  });
});

describe('HandlerRegistry', () => {
  it('resolves source+type, then type, then source, then the fallback', () => {
    const fallback = () => undefined;
    const byType = () => undefined;
    const bySourceType = () => undefined;
    const bySource = () => undefined;
    const r = new HandlerRegistry(fallback)
      .on('invoice.paid', byType)
      .on('invoice.paid', bySourceType, 'stripe')
      .onSource('github', bySource);
    assert.equal(r.resolve('stripe', 'invoice.paid'), bySourceType);
    assert.equal(r.resolve('other', 'invoice.paid'), byType);
    assert.equal(r.resolve('github', 'push'), bySource);
    assert.equal(r.resolve('github', 'invoice.paid'), byType);
    assert.equal(r.resolve('other', 'push'), fallback);
    assert.deepEqual([...r.knownTypes()], ['invoice.paid']);
  });

  it('keeps the options a handler was registered with, per source too', () => {
    const h = () => undefined;
    const backoff = () => 5;
    const r = new HandlerRegistry(h)
      .on('invoice.paid', h, { timeout: 1_000, maxRetries: 1 })
      .on('invoice.paid', h, { source: 'stripe', backoff })
      .otherwise(h, { maxRetries: 7 });
    assert.deepEqual(r.lookup('other', 'invoice.paid').options, { timeout: 1_000, maxRetries: 1 });
    assert.deepEqual(r.lookup('stripe', 'invoice.paid').options, { source: 'stripe', backoff });
    assert.deepEqual(r.lookup('other', 'push').options, { maxRetries: 7 });
    assert.deepEqual(
      [...r.allOptions()].map((o) => o.maxRetries),
      [1, undefined, 7],
    );
  });

  it('registers a map of handlers and handlers with options', () => {
    const plain = () => undefined;
    const slow = () => undefined;
    const r = new HandlerRegistry(() => undefined).onAll({
      'a.plain': plain,
      'a.slow': { handler: slow, timeout: 90_000 },
    });
    assert.equal(r.resolve('default', 'a.plain'), plain);
    assert.deepEqual(r.lookup('default', 'a.slow'), {
      handler: slow,
      options: { timeout: 90_000 },
    });
  });

  it('refuses bad options when a handler is registered, not on its first job', () => {
    const r = new HandlerRegistry(() => undefined);
    const h = () => undefined;
    for (const bad of [
      { timeout: 0 },
      { timeout: 1.5 },
      { maxRetries: -1 },
      { maxRetries: Number.NaN },
    ]) {
      assert.throws(() => r.on('x', h, bad), RangeError, JSON.stringify(bad));
    }
    assert.throws(() => r.on('x', h, { backoff: 5 as never }), TypeError);
    assert.throws(() => r.onAll({ x: { handler: undefined as never } }), TypeError);
  });
});
