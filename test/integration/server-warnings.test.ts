/**
 * The start-up warnings about Redis settings that weaken the delivery guarantee,
 * against real redis-servers of the test's own (the shared one is never reconfigured).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DURABLE_REDIS } from '../helpers/fault-rig.js';
import { captureLogs } from '../helpers/logs.js';
import { RedisServer } from '../helpers/redis-server.js';
import { testConfig, testStore } from '../helpers/service.js';

const servers: RedisServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

/** Starts a store on a fresh redis-server with `args`; returns its warning lines. */
async function startupWarnings(args: string[]): Promise<string[]> {
  const server = await RedisServer.start(args);
  servers.push(server);
  const config = testConfig({ REDIS_ADDR: server.addr });
  const logs = captureLogs('info');
  const store = testStore(config, 'warnings', logs.log);
  try {
    await store.init();
  } finally {
    await store.close();
  }
  return logs.lines.filter((l) => l.level === 40).map((l) => String(l.msg));
}

describe('start-up warnings about Redis settings', () => {
  it('warns about an evicting policy and about persistence being off', async () => {
    const warnings = await startupWarnings([
      '--maxmemory-policy',
      'allkeys-lru',
      '--appendonly',
      'no',
    ]);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings.join('\n'), /maxmemory-policy is "allkeys-lru"/);
    assert.match(warnings.join('\n'), /persistence is off/);
  });

  it('says nothing when Redis runs as the guarantee requires', async () => {
    assert.deepEqual(await startupWarnings(DURABLE_REDIS), []);
  });
});
