/**
 * Redis with a password, with an ACL user limited to the queue's keys, and over
 * TLS (server verified, client certificate presented), each against a
 * redis-server this test starts. Each working setup runs a job end to end, so
 * both the command and the blocking connection are proven.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createService, type Service } from '../../src/app.js';
import { HandlerRegistry } from '../../src/handlers/registry.js';
import { captureLogs } from '../helpers/logs.js';
import { RedisServer, redisTlsSupported } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/service.js';
import { makeTestCerts, type TestCerts } from '../helpers/tls-certs.js';
import { waitFor } from '../helpers/wait.js';

const PASSWORD = 'REDISpassVALUE-4f1c9a';
const ACL_PASSWORD = 'ACLpassVALUE-77ab02';

/**
 * Starts a service on `env`, posts one webhook and waits until a worker ran it.
 * The rate limiter is on, and must have worked (it fails open, so check its log).
 */
async function runsAJob(env: Record<string, string>): Promise<void> {
  const done: string[] = [];
  const logs = captureLogs('warn');
  const config = testConfig({ RATE_LIMIT_PER_IP: '100', ...env });
  const service = createService({
    config,
    log: logs.log,
    processMetrics: false,
    handlers: new HandlerRegistry(async (job) => {
      done.push(job.id);
    }),
  });
  try {
    await service.start();
    const res = await service.app.inject({
      method: 'POST',
      url: '/webhooks',
      headers: { 'content-type': 'application/json' },
      payload: '{"type":"a.b","id":"k1"}',
    });
    assert.equal(res.statusCode, 202, res.body);
    await waitFor(() => done.includes(res.json().id), { what: 'the job to run' });
    const limiter = logs.lines.filter((l) => l.component === 'limits');
    assert.deepEqual(limiter, [], 'the rate limiter worked (e.g. ACL allowed its keys)');
  } finally {
    await service.stop(2_000);
  }
}

/** Starts a service on `env` and returns the start-up error (it must fail). */
async function startFails(env: Record<string, string>): Promise<{ message: string; logs: string }> {
  const logs = captureLogs('trace');
  const config = testConfig({ REDIS_CONNECT_TIMEOUT: '2s', ...env });
  const service: Service = createService({ config, log: logs.log, processMetrics: false });
  try {
    await service.start();
  } catch (err) {
    return { message: String((err as Error).message), logs: logs.text() };
  } finally {
    await service.stop(2_000);
  }
  assert.fail('start-up should have failed');
}

describe('Redis with requirepass', () => {
  let server: RedisServer;
  before(async () => {
    server = await RedisServer.start(['--requirepass', PASSWORD], {
      probe: { password: PASSWORD },
    });
  });
  after(() => server.stop());

  it('works with the password in REDIS_URL', async () => {
    await runsAJob({ REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${server.port}/0` });
  });

  it('works with REDIS_ADDR and REDIS_PASSWORD', async () => {
    await runsAJob({ REDIS_ADDR: server.addr, REDIS_PASSWORD: PASSWORD });
  });

  it('refuses to start with a wrong or missing password, without printing it', async () => {
    const wrong = await startFails({
      REDIS_URL: `redis://:not-${PASSWORD}@127.0.0.1:${server.port}`,
    });
    assert.match(wrong.message, /WRONGPASS|invalid username-password|NOAUTH/i);
    const missing = await startFails({ REDIS_ADDR: server.addr });
    assert.match(missing.message, /NOAUTH|Authentication required/i);
    for (const r of [wrong, missing]) {
      assert.ok(!r.message.includes(PASSWORD));
      assert.ok(!r.logs.includes(PASSWORD));
    }
  });
});

describe('Redis with an ACL user', () => {
  let server: RedisServer;
  // The user may touch only the job stream (named as the queue) and the keys under
  // the queue's hash tag: that proves every other key the service writes (retries,
  // DLQ, dedupe, rate limits) carries the tag.
  const queue = `acl_${Math.random().toString(36).slice(2, 8)}`;
  before(async () => {
    server = await RedisServer.start(
      [
        '--user',
        'default',
        'off',
        '--user',
        'webhooks',
        'on',
        `>${ACL_PASSWORD}`,
        `~${queue}`,
        `~{${queue}}*`,
        '+@all',
      ],
      { probe: { username: 'webhooks', password: ACL_PASSWORD } },
    );
  });
  after(() => server.stop());

  it('works as that user, with the job stream and the keys under the queue hash tag', async () => {
    await runsAJob({
      REDIS_URL: `redis://webhooks:${ACL_PASSWORD}@127.0.0.1:${server.port}/0`,
      QUEUE_NAME: queue,
    });
  });

  it('names the keys to allow when the user has only the hash-tagged ones', async () => {
    const tagOnly = `tagonly_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new Redis({
      port: server.port,
      username: 'webhooks',
      password: ACL_PASSWORD,
      maxRetriesPerRequest: 1,
    });
    try {
      await admin.acl('SETUSER', tagOnly, 'on', `>${ACL_PASSWORD}`, `~{${queue}}*`, '+@all');
    } finally {
      admin.disconnect();
    }
    const r = await startFails({
      REDIS_URL: `redis://${tagOnly}:${ACL_PASSWORD}@127.0.0.1:${server.port}/0`,
      QUEUE_NAME: queue,
    });
    assert.match(r.message, /NOPERM/);
    assert.ok(r.message.includes(`~${queue} ~{${queue}}*`), r.message);
  });

  it('refuses to start as an unknown user or with the default user off', async () => {
    const r = await startFails({
      REDIS_URL: `redis://nobody:${ACL_PASSWORD}@127.0.0.1:${server.port}/0`,
      QUEUE_NAME: queue,
    });
    assert.match(r.message, /WRONGPASS|invalid username-password/i);
    assert.ok(!r.message.includes(ACL_PASSWORD) && !r.logs.includes(ACL_PASSWORD));
    const anonymous = await startFails({ REDIS_ADDR: server.addr, QUEUE_NAME: queue });
    assert.match(anonymous.message, /NOAUTH|Authentication required|WRONGPASS/i);
  });
});

describe('Redis over TLS', {
  skip: !redisTlsSupported() && 'redis-server built without TLS',
}, () => {
  let certs: TestCerts;
  let mutual: RedisServer;
  let serverOnly: RedisServer;
  before(async () => {
    certs = makeTestCerts();
    const tls = {
      cert: certs.serverCert,
      key: certs.serverKey,
      ca: certs.ca,
      probeCert: certs.clientCert,
      probeKey: certs.clientKey,
    };
    mutual = await RedisServer.start(['--requirepass', PASSWORD], {
      tls: { ...tls, authClients: 'yes' },
      probe: { password: PASSWORD },
    });
    serverOnly = await RedisServer.start([], { tls: { ...tls, authClients: 'no' } });
  });
  after(async () => {
    await mutual?.stop();
    await serverOnly?.stop();
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  it('works over rediss:// with the CA, a client certificate and a password', async () => {
    await runsAJob({
      REDIS_URL: `rediss://:${PASSWORD}@127.0.0.1:${mutual.port}/0`,
      REDIS_TLS_CA: certs.ca,
      REDIS_TLS_CERT: certs.clientCert,
      REDIS_TLS_KEY: certs.clientKey,
    });
  });

  it('works with the CA alone when the server does not ask for a client certificate', async () => {
    await runsAJob({
      REDIS_URL: `rediss://127.0.0.1:${serverOnly.port}/0`,
      REDIS_TLS_CA: certs.ca,
    });
  });

  it('verifies the server: without the CA the self-signed chain is refused', async () => {
    const r = await startFails({ REDIS_URL: `rediss://127.0.0.1:${serverOnly.port}/0` });
    assert.match(r.message, /certificate|self.signed|unable to verify/i);
  });

  it('refuses a client without a certificate when the server requires one', async () => {
    const r = await startFails({
      REDIS_URL: `rediss://:${PASSWORD}@127.0.0.1:${mutual.port}/0`,
      REDIS_TLS_CA: certs.ca,
    });
    // TLS 1.3 reports a refused client certificate after the handshake: the alert, or
    // the reset it causes when the first command is written, whichever comes first.
    assert.match(r.message, /certificate required|ECONNRESET/);
  });

  it('does not fall back to plain text on a TLS port', async () => {
    const r = await startFails({ REDIS_ADDR: serverOnly.addr });
    assert.match(r.message, /ECONNRESET|Connection is closed/);
  });
});
