/**
 * Loop pressure: while ingest refuses for load, the pool's pause grows as long as
 * the event loop stays saturated, and is gone once it has headroom again or
 * ingest stops refusing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoopPressure } from '../../src/worker/loop-pressure.js';

/** Keeps the event loop busy (synchronously) for `ms`. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

const idle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('loop pressure', () => {
  it('asks for no pause while the loop has headroom', async () => {
    const p = new LoopPressure();
    await idle(80);
    assert.equal(p.nextPauseMs(true), 0);
  });

  it('asks for no pause when ingest is not refusing, however busy the loop', () => {
    const p = new LoopPressure();
    for (let i = 0; i < 3; i++) {
      spin(70);
      assert.equal(p.nextPauseMs(false), 0);
    }
  });

  it('pauses while saturated, longer the longer it lasts, and stops once calm', async () => {
    const p = new LoopPressure();
    const pauses: number[] = [];
    for (let i = 0; i < 3; i++) {
      spin(70);
      pauses.push(p.nextPauseMs(true));
    }
    assert.ok(pauses[0] !== undefined && pauses[0] > 0, `paused: ${pauses}`);
    assert.ok((pauses[1] ?? 0) > pauses[0], `grows: ${pauses}`);
    assert.ok((pauses[2] ?? 0) > (pauses[1] ?? 0), `grows: ${pauses}`);
    await idle(80);
    assert.equal(p.nextPauseMs(true), 0);
  });

  it('stops pausing as soon as ingest stops refusing', () => {
    const p = new LoopPressure();
    spin(70);
    assert.ok(p.nextPauseMs(true) > 0);
    assert.equal(p.nextPauseMs(false), 0);
  });
});
