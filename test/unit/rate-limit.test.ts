/**
 * The in-memory rate limiter and the limit policy on top of any limiter.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MemoryRateLimiter,
  RateLimitedError,
  type RateLimiter,
  RateLimits,
} from '../../src/ingest/rate-limit.js';
import { captureLogs } from '../helpers/logs.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

async function rejection(p: Promise<void>): Promise<RateLimitedError | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    assert.ok(err instanceof RateLimitedError);
    return err;
  }
}

describe('MemoryRateLimiter', () => {
  it('counts per key in fixed windows and starts over when a window ends', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter(c.now);
    assert.deepEqual(await limiter.hit('a', 1_000), { count: 1, resetInMs: 1_000 });
    c.advance(400);
    assert.deepEqual(await limiter.hit('a', 1_000), { count: 2, resetInMs: 600 });
    assert.deepEqual(await limiter.hit('b', 1_000), { count: 1, resetInMs: 1_000 });
    c.advance(600);
    assert.deepEqual(await limiter.hit('a', 1_000), { count: 1, resetInMs: 1_000 });
  });

  it('forgets expired windows as new hits arrive, so memory stays bounded', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter(c.now);
    for (let i = 0; i < 1_000; i++) await limiter.hit(`ip-${i}`, 1_000);
    assert.equal(limiter.size, 1_000);
    c.advance(1_001);
    // Each hit drops up to 64 expired windows: the backlog goes in steps, never all at once.
    for (let i = 0; i < 10; i++) await limiter.hit(`late-${i}`, 1_000);
    assert.equal(limiter.size, 1_000 - 10 * 64 + 10);
    for (let i = 10; i < 20; i++) await limiter.hit(`late-${i}`, 1_000);
    assert.equal(limiter.size, 20);
  });
});

describe('RateLimits', () => {
  const config = { windowMs: 10_000, perSource: 2, perIp: 3 };

  it('lets the limit through and refuses the next with the rest of the window', async () => {
    const c = clock();
    const limits = new RateLimits(new MemoryRateLimiter(c.now), config, captureLogs().log);
    for (let i = 0; i < 3; i++) assert.equal(await rejection(limits.checkIp('1.2.3.4')), undefined);
    c.advance(2_500);
    const err = await rejection(limits.checkIp('1.2.3.4'));
    assert.equal(err?.resetInMs, 7_500);
    assert.equal(await rejection(limits.checkIp('5.6.7.8')), undefined, 'other IPs unaffected');
  });

  it('applies a source override, 0 meaning unlimited', async () => {
    const limits = new RateLimits(new MemoryRateLimiter(), config, captureLogs().log);
    for (let i = 0; i < 2; i++) await limits.checkSource('a', undefined);
    assert.ok(await rejection(limits.checkSource('a', undefined)));
    await limits.checkSource('b', 5);
    for (let i = 0; i < 50; i++) await limits.checkSource('c', 0);
  });

  it('is off with limits of 0 and never calls the limiter', async () => {
    let calls = 0;
    const counting: RateLimiter = {
      hit: async () => {
        calls++;
        return { count: 1e9, resetInMs: 1 };
      },
    };
    const limits = new RateLimits(
      counting,
      { windowMs: 1_000, perSource: 0, perIp: 0 },
      captureLogs().log,
    );
    await limits.checkIp('1.1.1.1');
    await limits.checkSource('s', undefined);
    assert.equal(calls, 0);
  });

  it('fails open when the limiter is down, and says so once', async () => {
    const logs = captureLogs();
    const broken: RateLimiter = {
      hit: async () => {
        throw new Error('Connection is closed.');
      },
    };
    const limits = new RateLimits(broken, config, logs.log);
    for (let i = 0; i < 10; i++)
      assert.equal(await rejection(limits.checkIp('1.1.1.1')), undefined);
    assert.equal(
      logs.lines.filter((l) => l.msg === 'rate limiter unavailable; not limiting').length,
      1,
    );
  });
});
