/**
 * Delivery keeps its secrets: a destination's signing secret, the values of its
 * headers and the credentials in its URL never appear in a log line (even at
 * trace), an admin answer, /health or /metrics; and no event body is logged at
 * info, whether its delivery succeeds, fails or is dead-lettered.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { captureLogs } from '../helpers/logs.js';
import { type Receiver, startReceiver } from '../helpers/recording-receiver.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { startedService, testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'delivery-secrets-admin-token';
const SIGNING_KEY = Buffer.from('SIGNINGkey-for-delivery-secrets!');
const SIGNING_SECRET = `whsec_${SIGNING_KEY.toString('base64')}`;
const HEADER_VALUE = 'HEADERsecretVALUE-7f3a91';
const URL_PASSWORD = 'URLsecretPASSWORD-42c1';
const BODY_MARKER = 'BODYmarker-e5d0b7';
const SECRETS = [SIGNING_SECRET, SIGNING_KEY.toString('base64'), HEADER_VALUE, URL_PASSWORD];

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

for (const store of ['sqlite', 'redis'] as const) {
  describe(`delivery secrets (${store})`, () => {
    it('no secret in logs or answers, no body at info', async () => {
      const ok: Receiver = await startReceiver(() => ({ status: 204 }));
      const refusing: Receiver = await startReceiver(() => ({ status: 400, body: 'nope' }));
      const dir = mkdtempSync(join(tmpdir(), 'wp-delivery-secrets-'));
      dirs.push(dir);
      const withPassword = (url: string) => url.replace('http://', `http://user:${URL_PASSWORD}@`);
      writeFileSync(
        join(dir, 'config.yaml'),
        `
destinations:
  ok:
    url: ${withPassword(ok.url)}
    signing_secret_env: DEST_SIGNING_SECRET
    headers: { X-Api-Key: { env: DEST_API_KEY } }
  refusing:
    url: ${withPassword(refusing.url)}
    signing_secret_env: DEST_SIGNING_SECRET
  down:
    url: ${withPassword('http://127.0.0.1:9/hooks')}
    max_retries: 1
    retry_base_delay: 10ms
routes:
  - { source: "*", to: [ok, refusing, down] }
`,
      );
      const traced = captureLogs('trace');
      const env = {
        CONFIG_FILE: join(dir, 'config.yaml'),
        DEST_SIGNING_SECRET: SIGNING_SECRET,
        DEST_API_KEY: HEADER_VALUE,
        ADMIN_TOKEN: TOKEN,
        LOG_LEVEL: 'trace',
        ...(store === 'sqlite' ? { STORE: 'sqlite', DATA_DIR: dir } : {}),
      };
      const config = testConfig(env);
      const s: Service = await startedService(config, { log: traced.log });
      const answers: string[] = [];
      const get = async (url: string) => {
        const res = await s.app.inject({
          method: 'GET',
          url,
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        answers.push(res.body);
        return res;
      };
      try {
        const res = await s.app.inject({
          method: 'POST',
          url: '/webhooks',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ type: 't.secret', id: 'sec-1', marker: BODY_MARKER }),
        });
        assert.equal(res.statusCode, 202);
        await waitFor(async () => {
          const dead = (await get('/admin/dlq')).json().items as unknown[];
          return ok.received.length === 1 && dead.length === 2;
        });
        assert.equal(ok.received[0]?.headers['x-api-key'], HEADER_VALUE, 'the header was sent');
        for (const url of ['/admin/config', '/admin/destinations', '/health', '/metrics']) {
          await get(url);
        }
        const logText = traced.text();
        for (const secret of SECRETS) {
          assert.ok(!logText.includes(secret), `a log line holds ${secret.slice(0, 12)}…`);
          assert.ok(
            !answers.join('\n').includes(secret),
            `an answer holds ${secret.slice(0, 12)}…`,
          );
        }
        const atInfo = traced.lines.filter((l) => Number(l.level) >= 30);
        assert.ok(
          atInfo.some((l) => l.msg === 'delivered' && l.source === 'default'),
          'the delivery was logged at info, with its source',
        );
        assert.ok(
          !atInfo.some((l) => JSON.stringify(l).includes(BODY_MARKER)),
          'no body at info or above',
        );
      } finally {
        await s.stop(2_000);
        await ok.close();
        await refusing.close();
        if (store === 'redis') {
          const redis = redisClient();
          await dropQueue(redis, config.queueName);
          redis.disconnect();
        }
      }
    });
  });
}
