/**
 * How the store calls its Lua scripts: the script itself (EVAL) the first time
 * on each socket, EVALSHA after that, and EVAL again when the server has lost
 * its script cache (SCRIPT FLUSH) without the connection noticing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { QueueScripts } from '../../src/store/redis/scripts.js';
import { RedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

describe('redis script calls', () => {
  // A server of our own: the test reads its command statistics and flushes its scripts.
  let server: RedisServer;
  let admin: Redis;
  let cmd: Redis;
  let scripts: QueueScripts;
  const limiter = `wp-test:${randomUUID()}:rate`;

  before(async () => {
    server = await RedisServer.start();
    admin = new Redis(server.port, '127.0.0.1');
    // As the store's command connection: auto-pipelined, no offline queue.
    cmd = new Redis(server.port, '127.0.0.1', {
      enableAutoPipelining: true,
      enableOfflineQueue: false,
    });
    await once(cmd, 'ready');
    scripts = new QueueScripts(cmd);
  });
  after(async () => {
    cmd.disconnect();
    admin.disconnect();
    await server.stop();
  });

  const calls = async () => {
    const stats = (await admin.info('commandstats')) as string;
    const count = (name: string) =>
      Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return { eval: count('eval'), evalsha: count('evalsha') };
  };
  // Each call counts one more request in the window: its reply shows the script ran.
  let expected = 0;
  const take = async () => {
    const [count] = await scripts.rateLimit(limiter, 600_000);
    expected++;
    return count === expected;
  };

  it('sends the script once per socket, then its digest', async () => {
    await admin.config('RESETSTAT');
    assert.deepEqual(await Promise.all([take(), take(), take()]), [true, true, true]);
    assert.equal(await take(), true);
    assert.deepEqual(await calls(), { eval: 1, evalsha: 3 });
  });

  it('sends the script again after the server lost it, and the call succeeds', async () => {
    await admin.script('FLUSH');
    await admin.config('RESETSTAT');
    assert.equal(await take(), true);
    // The digest met NOSCRIPT, and the script went again whole.
    const after = await calls();
    assert.equal(after.evalsha, 1);
    assert.equal(after.eval, 1);
    assert.equal(await take(), true);
    assert.equal((await calls()).evalsha, 2);
  });

  it('sends the script whole on a new socket', async () => {
    const before = await calls();
    const closed = once(cmd, 'close');
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await closed;
    await waitFor(async () => cmd.status === 'ready', { what: 'a reconnect', timeoutMs: 10_000 });
    await admin.script('FLUSH');
    // A new socket: the first call is EVAL, so it never meets NOSCRIPT.
    assert.equal(await take(), true);
    const now = await calls();
    assert.equal(now.eval - before.eval, 1);
    assert.equal(now.evalsha, before.evalsha);
  });

  it('sends the script whole again after a call the socket could not take yet', async () => {
    const closed = once(cmd, 'close');
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await closed;
    // Connected but not ready: the call is refused before anything is written.
    await once(cmd, 'connect');
    await assert.rejects(take(), /writeable|enableOfflineQueue/);
    await waitFor(async () => cmd.status === 'ready', { what: 'a reconnect', timeoutMs: 10_000 });
    await admin.script('FLUSH');
    await admin.config('RESETSTAT');
    assert.equal(await take(), true);
    const now = await calls();
    assert.deepEqual(now, { eval: 1, evalsha: 0 }, 'the script went whole, not its digest');
  });
});
