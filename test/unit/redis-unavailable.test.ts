/**
 * Which Redis failures the store reports as "unavailable" (503 store_unavailable),
 * and which stay errors (a bug answers 500 and is logged).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplyError } from 'ioredis';
import { isUnavailable, storeError } from '../../src/store/redis/unavailable.js';
import { StoreUnavailableError } from '../../src/store/store.js';

describe('Redis errors as store errors', () => {
  it('treats connection failures and "not now" replies as unavailable', () => {
    for (const err of [
      new Error('Connection is closed.'),
      new Error('Command timed out'),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      new ReplyError('LOADING Redis is loading the dataset in memory'),
      new ReplyError("READONLY You can't write against a read only replica."),
      new ReplyError("OOM command not allowed when used memory > 'maxmemory'."),
      new ReplyError('BUSY Redis is busy running a script.'),
      new StoreUnavailableError('closed'),
    ]) {
      assert.equal(isUnavailable(err), true, err.message);
      assert.ok(storeError(err, 'x') instanceof StoreUnavailableError, err.message);
    }
  });

  it('leaves bugs and wrong commands as they are', () => {
    for (const err of [
      new ReplyError('ERR Error running script: attempt to index a nil value'),
      new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'),
      new TypeError('x is not a function'),
      new RangeError('bad'),
    ]) {
      assert.equal(isUnavailable(err), false, err.message);
      assert.equal(storeError(err, 'x'), err, err.message);
    }
    assert.equal(isUnavailable('a string'), false);
  });

  it('keeps the cause', () => {
    const cause = new Error('Connection is closed.');
    const err = storeError(cause, 'dead-letter list') as StoreUnavailableError;
    assert.equal(err.message, 'dead-letter list failed: Connection is closed.');
    assert.equal(err.cause, cause);
  });
});
