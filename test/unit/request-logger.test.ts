/**
 * The per-request logger stand-in: no pino child until something logs, and then
 * lines exactly as a real child would write them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { lazyChildLoggerFactory } from '../../src/http/request-logger.js';
import { captureLogs } from '../helpers/logs.js';

function countingParent() {
  const captured = captureLogs('info');
  let children = 0;
  const parent = captured.log as unknown as FastifyBaseLogger;
  const child = parent.child;
  // Children inherit `child` from the parent, so count only calls on the parent itself.
  parent.child = function (this: FastifyBaseLogger, bindings, options) {
    if (this === parent) children++;
    return child.call(this, bindings, options);
  } as FastifyBaseLogger['child'];
  return { parent, lines: captured.lines, children: () => children };
}

describe('lazy request logger', () => {
  it('makes no child logger for a request that logs nothing', () => {
    const { parent, children } = countingParent();
    lazyChildLoggerFactory(parent, { reqId: 'req-1' }, {});
    assert.equal(children(), 0);
  });

  it('logs with the request bindings once used, making the child only once', () => {
    const { parent, lines, children } = countingParent();
    const log = lazyChildLoggerFactory(parent, { reqId: 'req-2' }, {});
    log.error({ code: 'x' }, 'first');
    log.warn('second');
    log.debug('below the level');
    assert.equal(children(), 1);
    assert.deepEqual(
      lines.map((l) => [l.reqId, l.msg, l.level]),
      [
        ['req-2', 'first', 50],
        ['req-2', 'second', 40],
      ],
    );
    assert.equal(lines[0]?.code, 'x');
    assert.equal(log.level, 'info');
    log.child({ step: 'inner' }).info('nested');
    assert.equal(lines[2]?.step, 'inner');
    assert.equal(lines[2]?.reqId, 'req-2');
  });
});
