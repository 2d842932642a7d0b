/**
 * A failover behind the service's address: two redis-servers, a primary and its
 * replica, and a proxy as the address the service knows (a managed Redis's
 * endpoint, a DNS name). The replica is promoted, the old primary becomes its
 * replica, and the address moves to the new primary for new connections while
 * the open ones stay on the old server, which now answers every write with
 * READONLY. The service must find the new primary by itself: ingest gets 202
 * again and jobs drain, without a restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Service } from '../../src/app.js';
import { postWebhook } from '../helpers/http.js';
import { RedisServer } from '../helpers/redis-server.js';
import { startedService, testConfig } from '../helpers/service.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';

async function replicaInSync(replica: Redis, primary: Redis): Promise<boolean> {
  const info = (await replica.info('replication')) as string;
  const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
  const primaryInfo = (await primary.info('replication')) as string;
  const primaryOffset = Number(/master_repl_offset:(\d+)/.exec(primaryInfo)?.[1]);
  return /master_link_status:up/.test(info) && offset === primaryOffset;
}

describe('Redis failover behind the address', () => {
  let first: RedisServer;
  let second: RedisServer;
  let toFirst: Redis;
  let toSecond: Redis;
  let proxy: TcpProxy;
  let service: Service;
  let queueName: string;
  const done: string[] = [];

  before(async () => {
    first = await RedisServer.start();
    second = await RedisServer.start(['--replicaof', '127.0.0.1', String(first.port)]);
    toFirst = new Redis(first.port, '127.0.0.1');
    toSecond = new Redis(second.port, '127.0.0.1');
    proxy = await TcpProxy.start(first.port);
    const config = testConfig({
      REDIS_ADDR: proxy.addr,
      REDIS_COMMAND_TIMEOUT: '500ms',
      BACKLOG_SAMPLE_INTERVAL: '100ms',
      WORKER_COUNT: '2',
    });
    queueName = config.queueName;
    service = await startedService(config, {
      handlers: { 'test.event': async (job: { id: string }) => void done.push(job.id) },
    });
  });
  after(async () => {
    await service.stop(2_000);
    await proxy.close();
    toFirst.disconnect();
    toSecond.disconnect();
    await first.stop();
    await second.stop();
  });

  const post = () => postWebhook(service.app, {}, { 'x-event-type': 'test.event' });

  it('reconnects on READONLY and carries on against the new primary', async () => {
    const before = await post();
    assert.equal(before.statusCode, 202);
    await waitFor(() => done.includes(before.json().id), { what: 'the first job to run' });
    await waitFor(() => replicaInSync(toSecond, toFirst), { what: 'the replica to catch up' });

    proxy.retarget(second.port);
    await toSecond.replicaof('NO', 'ONE');
    await toFirst.replicaof('127.0.0.1', String(second.port));
    // The service's open connections still lead to the old primary, now a replica.
    await assert.rejects(toFirst.set('probe', '1'), /READONLY/);

    const accepted = await waitFor(
      async () => {
        const res = await post();
        assert.ok([202, 503].includes(res.statusCode), `unexpected ${res.statusCode}`);
        return res.statusCode === 202 ? res : undefined;
      },
      { what: 'ingest to get 202 again', timeoutMs: 15_000, intervalMs: 100 },
    );
    await waitFor(() => done.includes(accepted.json().id), {
      what: 'the job accepted after the failover to run',
      timeoutMs: 15_000,
    });
    await waitFor(async () => (await toSecond.xlen(queueName)) === 0, {
      what: 'the stream on the new primary to be empty',
    });
    const health = await service.app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
  });
});
