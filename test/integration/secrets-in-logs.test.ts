/**
 * Secrets never reach a log line, an error response, /health or /metrics.
 *
 * Runs the real service process at LOG_LEVEL=trace with known secret values
 * (every source's signing secrets, the admin token, the Redis password), drives
 * it through accepted, refused and admin requests and a graceful stop, and
 * searches everything it printed and answered. Start-up failures (a wrong Redis
 * password, a bad admin token) are searched too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  killServiceProcesses,
  type ServiceProcess,
  startServiceProcess,
} from '../helpers/child.js';
import { uniqueQueue } from '../helpers/redis.js';
import { RedisServer } from '../helpers/redis-server.js';
import {
  SECRETS,
  signedDelivery,
  sourcesEnv,
  TEST_SOURCES,
  writeSourcesFile,
} from '../helpers/sources.js';
import { waitFor } from '../helpers/wait.js';

const REDIS_PASSWORD = 'REDISsecretPASSWORD-9d2e71';
const ADMIN_TOKEN = 'ADMINsecretTOKEN-5c0b8a44e1f3';
const SECRET_VALUES = [
  REDIS_PASSWORD,
  ADMIN_TOKEN,
  ...TEST_SOURCES.flatMap((s) => [SECRETS[s].current, SECRETS[s].previous]),
];

function assertNoSecret(what: string, text: string): void {
  for (const secret of SECRET_VALUES) {
    assert.ok(!text.includes(secret), `${what} contains the secret ${secret.slice(0, 10)}…`);
    // Also the encodings a careless line could use.
    assert.ok(
      !text.includes(Buffer.from(secret).toString('base64')),
      `${what}: base64 of a secret`,
    );
    assert.ok(!text.includes(encodeURIComponent(secret)), `${what}: URL-encoded secret`);
  }
}

describe('secrets in a full run', () => {
  let redis: RedisServer;
  let svc: ServiceProcess;
  const responses: string[] = [];
  const env = () => ({
    ...sourcesEnv(),
    SOURCES_FILE: writeSourcesFile(),
    ADMIN_TOKEN,
    REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}/0`,
    QUEUE_NAME: uniqueQueue('secrets'),
    LOG_LEVEL: 'trace',
    WORKER_COUNT: '2',
    RATE_LIMIT_PER_IP: '1000',
  });

  async function call(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ) {
    const res = await fetch(`${svc.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    responses.push(`${res.status} ${JSON.stringify([...res.headers])} ${text}`);
    return { status: res.status, text };
  }

  before(async () => {
    redis = await RedisServer.start(['--requirepass', REDIS_PASSWORD], {
      probe: { password: REDIS_PASSWORD },
    });
  });
  after(async () => {
    await killServiceProcesses();
    await redis.stop();
  });

  it('prints and answers no secret across accepted, refused and admin requests', async () => {
    svc = await startServiceProcess(env());
    let accepted = 0;
    for (const source of TEST_SOURCES) {
      const good = await signedDelivery(source, { type: 'secret.check', id: `ok-${source}` });
      const res = await call('POST', `/webhooks/${source}`, good.headers, good.body);
      assert.equal(res.status, 202, res.text);
      accepted++;
      // Rotation: the previous secret verifies too.
      const old = await signedDelivery(source, {
        type: 'secret.check',
        id: `old-${source}`,
        secret: SECRETS[source].previous,
      });
      assert.equal((await call('POST', `/webhooks/${source}`, old.headers, old.body)).status, 202);
      accepted++;
      const forged = await signedDelivery(source, {
        type: 'secret.check',
        id: `bad-${source}`,
        secret: SECRETS[source].other,
      });
      assert.equal(
        (await call('POST', `/webhooks/${source}`, forged.headers, forged.body)).status,
        401,
      );
    }
    // Secrets sent where they do not belong must not be echoed either.
    await call(
      'POST',
      '/webhooks/github',
      {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${SECRETS.github.current}`,
        authorization: `Bearer ${ADMIN_TOKEN}`,
      },
      JSON.stringify({ leak: SECRETS.stripe.current }),
    );
    assert.equal(
      (await call('GET', '/admin/config', { authorization: 'Bearer wrong-token-0000000' })).status,
      401,
    );
    assert.equal(
      (await call('GET', '/admin/config', { authorization: `Bearer ${ADMIN_TOKEN}` })).status,
      200,
    );
    assert.equal((await call('GET', '/health')).status, 200);
    assert.equal((await call('GET', '/metrics')).status, 200);

    // Let the workers run every accepted job (their trace/debug lines count too).
    await waitFor(() => svc.lines.filter((l) => l.msg === 'job completed').length >= accepted, {
      what: 'jobs to run',
      timeoutMs: 20_000,
    });
    svc.proc.kill('SIGTERM');
    assert.equal((await svc.exited).code, 0);

    assert.ok(svc.lines.length > 20, 'the run logged at trace level');
    assert.ok(
      svc.lines.some((l) => l.msg === 'webhook signature not verified'),
      'failures were logged',
    );
    assertNoSecret('stdout', svc.lines.map((l) => JSON.stringify(l)).join('\n'));
    assertNoSecret('stderr', svc.stderr.join(''));
    assertNoSecret('responses', responses.join('\n'));
  });

  it('prints no secret when start-up fails on a wrong Redis password or a bad admin token', async () => {
    const wrongRedis = await startServiceProcess(
      { ...env(), REDIS_URL: `redis://:${REDIS_PASSWORD}x@127.0.0.1:${redis.port}/0` },
      { waitReady: false },
    );
    assert.equal((await wrongRedis.exited).code, 1);
    assert.ok(wrongRedis.lines.some((l) => l.msg === 'start-up failed'));
    assertNoSecret('stdout', wrongRedis.lines.map((l) => JSON.stringify(l)).join('\n'));
    assertNoSecret('stderr', wrongRedis.stderr.join(''));

    const shortToken = 'tooShortSECRET';
    const badConfig = await startServiceProcess(
      { ...env(), ADMIN_TOKEN: shortToken },
      { waitReady: false },
    );
    assert.equal((await badConfig.exited).code, 2);
    const text = badConfig.stderr.join('') + badConfig.lines.map((l) => JSON.stringify(l)).join('');
    assert.match(text, /ADMIN_TOKEN/);
    assert.ok(!text.includes(shortToken));
    assertNoSecret('config error', text);
  });
});
