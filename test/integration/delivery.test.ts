/**
 * Delivery to destinations, end to end on both stores: real services, real HTTP
 * receivers, events sent the way providers send them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { Service, ServiceOptions } from '../../src/app.js';
import { captureLogs } from '../helpers/logs.js';
import { type Receiver, startReceiver } from '../helpers/recording-receiver.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { startedService, testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const SIGNING_SECRET = `whsec_${Buffer.from('a test signing key of 32 bytes!!').toString('base64')}`;
const STORES = ['sqlite', 'redis'] as const;
const TOKEN = 'delivery-test-admin-token';

interface Running {
  service: Service;
  queueName: string;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function configFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wp-delivery-'));
  dirs.push(dir);
  const file = join(dir, 'config.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** Starts a service on `store` with the config file `yaml` (and `env`). */
async function start(
  store: (typeof STORES)[number],
  yaml: string | undefined,
  env: Record<string, string> = {},
  queueName?: string,
  opts: Omit<ServiceOptions, 'config'> = {},
): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wp-delivery-data-'));
  dirs.push(dataDir);
  const config = testConfig({
    ...(yaml !== undefined ? { CONFIG_FILE: configFile(yaml) } : {}),
    ADMIN_TOKEN: TOKEN,
    TEST_SIGNING_SECRET: SIGNING_SECRET,
    RETRY_BASE_DELAY: '100ms',
    RETRY_MAX_DELAY: '2s',
    ...(store === 'sqlite' ? { STORE: 'sqlite', DATA_DIR: dataDir } : {}),
    ...(queueName ? { QUEUE_NAME: queueName } : {}),
    ...env,
  });
  const service = await startedService(config, opts);
  return { service, queueName: config.queueName };
}

async function post(service: Service, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await service.app.inject({
    method: 'POST',
    url: '/webhooks',
    headers: { 'content-type': 'application/json', ...headers },
    payload: body,
  });
  assert.equal(res.statusCode, 202, res.body);
  return res.json() as { id: string };
}

async function admin(service: Service, method: 'GET' | 'POST', url: string) {
  const res = await service.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

for (const store of STORES) {
  describe(`delivery to destinations (${store})`, () => {
    const receivers: Receiver[] = [];
    const running: Running[] = [];
    afterEach(async () => {
      const stopped = running.splice(0);
      await Promise.all(stopped.map((r) => r.service.stop(2_000)));
      await Promise.all(receivers.splice(0).map((r) => r.close()));
      if (store === 'redis') {
        const redis = redisClient();
        for (const r of stopped) await dropQueue(redis, r.queueName);
        redis.disconnect();
      }
    });
    const receiver = async (...args: Parameters<typeof startReceiver>) => {
      const r = await startReceiver(...args);
      receivers.push(r);
      return r;
    };
    const service = async (...args: Parameters<typeof start>) => {
      const r = await start(...args);
      running.push(r);
      return r.service;
    };

    it('routes by source, type glob and filter; bodies arrive byte for byte, signed', async () => {
      const billing = await receiver();
      const ci = await receiver();
      const s = await service(
        store,
        `
destinations:
  billing:
    url: ${billing.url}
    signing_secret_env: TEST_SIGNING_SECRET
    headers: { X-Team: payments }
  ci:
    url: ${ci.url}
routes:
  - source: default
    event_types: ["invoice.*"]
    filter: { "data.livemode": true }
    to: [billing]
  - source: "*"
    event_types: [push]
    to: [ci, billing]
`,
      );
      const paid =
        '{"type":"invoice.paid",  "id":"evt_1", "data":{"livemode":true,"note":"café ✓"}}';
      const test = '{"type":"invoice.paid","id":"evt_2","data":{"livemode":false}}';
      const push = '{"type":"push","id":"evt_3","ref":"refs/heads/main"}';
      const a = await post(s, paid);
      await post(s, test);
      const c = await post(s, push);
      await waitFor(() => billing.received.length === 2 && ci.received.length === 1, {
        what: 'billing 2, ci 1',
      });
      const bodies = billing.received.map((r) => r.body.toString('utf8')).sort();
      assert.deepEqual(bodies, [paid, push].sort(), 'billing got exactly its events, as sent');
      assert.equal(ci.received[0]?.body.toString('utf8'), push);
      const first = billing.received.find((r) => r.body.toString('utf8') === paid);
      assert.ok(first);
      assert.equal(first.headers['x-webhook-event-id'], a.id);
      assert.equal(first.headers['x-webhook-source'], 'default');
      assert.equal(first.headers['x-webhook-event-type'], 'invoice.paid');
      assert.equal(first.headers['x-webhook-attempt'], '1');
      assert.equal(first.headers['x-team'], 'payments');
      assert.equal(first.headers['content-type'], 'application/json');
      assert.match(String(first.headers['user-agent']), /^webhook-processor\/\d/);
      const verified = new Webhook(SIGNING_SECRET).verify(first.body.toString('utf8'), {
        'webhook-id': String(first.headers['webhook-id']),
        'webhook-timestamp': String(first.headers['webhook-timestamp']),
        'webhook-signature': String(first.headers['webhook-signature']),
      });
      assert.deepEqual(verified, JSON.parse(paid));
      assert.equal(ci.received[0]?.headers['webhook-signature'], undefined, 'ci is unsigned');
      assert.equal(ci.received[0]?.headers['x-webhook-event-id'], c.id);
    });

    it('a body that starts with a UTF-8 byte order mark arrives with it, byte for byte', async () => {
      const r = await receiver();
      const s = await service(store, undefined, { FORWARD_URL: r.url });
      const sent = Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from('{"type":"t.bom","id":"bom-1"}'),
      ]);
      await post(s, sent);
      await waitFor(() => r.received.length === 1, { what: 'forwarded' });
      assert.deepEqual(r.received[0]?.body, sent);
    });

    it('FORWARD_URL alone forwards every event; /health and /metrics show the destination', async () => {
      const r = await receiver();
      const s = await service(store, undefined, { FORWARD_URL: r.url });
      const { id } = await post(s, '{"type":"anything.at_all","id":"f1"}');
      await waitFor(() => r.received.length === 1, { what: 'forwarded' });
      assert.equal(r.received[0]?.headers['x-webhook-event-id'], id);
      const health = await waitFor(async () => {
        const res = await s.app.inject({ method: 'GET', url: '/health' });
        const body = res.json() as { destinations?: { name: string; state: string }[] };
        return body.destinations?.[0]?.name === 'default' ? body : undefined;
      });
      assert.equal(health.destinations?.[0]?.state, 'closed');
      // The state and backlog gauges are sampled every few seconds.
      const metrics = await waitFor(async () => {
        const text = (await s.app.inject({ method: 'GET', url: '/metrics' })).body;
        return /webhook_destination_backlog\{destination="default"\} 0/.test(text)
          ? text
          : undefined;
      });
      assert.match(
        metrics,
        /webhook_deliveries_total\{destination="default",outcome="delivered"\} 1/,
      );
      assert.match(
        metrics,
        /webhook_delivery_status_total\{destination="default",code_class="2xx"\} 1/,
      );
      assert.match(metrics, /webhook_delivery_duration_seconds_count\{destination="default"\} 1/);
      assert.match(metrics, /webhook_destination_state\{destination="default"\} 0/);
      assert.match(metrics, /webhook_destination_backlog\{destination="default"\} 0/);
    });

    it('a route may name the handlers too; an unrouted event goes to the handlers alone', async () => {
      const r = await receiver();
      const ran: string[] = [];
      const s = (
        await start(
          store,
          `
destinations:
  audit: { url: ${r.url} }
routes:
  - { source: "*", event_types: ["order.*"], to: [audit, handlers] }
`,
          {},
          undefined,
          {
            handlers: {
              'order.paid': (job) => void ran.push(job.id),
              'other.event': (job) => void ran.push(job.id),
            },
          },
        )
      ).service;
      try {
        const both = await post(s, '{"type":"order.paid","id":"h1"}');
        const alone = await post(s, '{"type":"other.event","id":"h2"}');
        await waitFor(() => ran.length === 2 && r.received.length === 1, {
          what: 'handlers and audit',
        });
        assert.deepEqual(ran.sort(), [both.id, alone.id].sort());
        assert.equal(r.received[0]?.headers['x-webhook-event-id'], both.id);
      } finally {
        await s.stop(2_000);
      }
    });

    it('retries 503 with growing delays, keeping the webhook-id', async () => {
      const flaky = await receiver((_r, n) => ({ status: n <= 2 ? 503 : 200 }));
      const s = await service(
        store,
        `
destinations:
  flaky: { url: ${flaky.url}, retry_base_delay: 200ms }
routes:
  - { source: "*", to: [flaky] }
`,
      );
      await post(s, '{"type":"t.x","id":"r1"}');
      await waitFor(() => flaky.received.length === 3, { what: 'three attempts' });
      const [a, b, c] = flaky.received;
      assert.ok(a && b && c);
      assert.deepEqual(
        flaky.received.map((r) => r.headers['x-webhook-attempt']),
        ['1', '2', '3'],
      );
      assert.equal(new Set(flaky.received.map((r) => r.headers['webhook-id'])).size, 1);
      assert.ok(c.at - b.at > b.at - a.at, 'the second wait is longer than the first');
      await waitFor(async () => {
        const res = await admin(s, 'GET', '/admin/destinations');
        const d = (
          res.body.destinations as { name: string; waiting: number; scheduled: number }[]
        )[0];
        return d && d.waiting === 0 && d.scheduled === 0;
      });
    });

    it('honours Retry-After on 429, and caps it at retry_max_delay on 503', async () => {
      const limited = await receiver((_r, n) =>
        n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
      );
      const busy = await receiver((_r, n) =>
        n === 1 ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 },
      );
      const s = await service(
        store,
        `
destinations:
  limited: { url: ${limited.url}, retry_base_delay: 50ms }
  busy: { url: ${busy.url}, retry_base_delay: 50ms, retry_max_delay: 1s }
routes:
  - { source: "*", to: [limited, busy] }
`,
      );
      await post(s, '{"type":"t.ra","id":"ra1"}');
      await waitFor(() => limited.received.length === 2 && busy.received.length === 2, {
        what: 'both retried and delivered',
      });
      const [a, b] = limited.received;
      assert.ok(a && b && b.at - a.at >= 1_000, 'the retry waited the Retry-After second');
    });

    it('max_retries 2 makes three attempts, then dead-letters with attempts 3', async () => {
      const down = await receiver(() => ({ status: 503 }));
      const s = await service(
        store,
        `
destinations:
  down: { url: ${down.url}, max_retries: 2, retry_base_delay: 50ms }
routes:
  - { source: "*", to: [down] }
`,
      );
      await post(s, '{"type":"t.m","id":"m1"}');
      const [dead] = await waitFor(async () => {
        const items = (await admin(s, 'GET', '/admin/dlq?destination=down')).body.items as {
          attempts: number;
          last_error: string;
        }[];
        return items.length === 1 ? items : undefined;
      });
      assert.equal(dead?.attempts, 3);
      assert.equal(dead?.last_error, 'HTTP 503 Service Unavailable');
      assert.deepEqual(
        down.received.map((r) => r.headers['x-webhook-attempt']),
        ['1', '2', '3'],
      );
    });

    for (const status of [400, 410]) {
      it(`dead-letters a ${status} at once, naming the destination; a replay re-delivers there only`, async () => {
        let answer = status;
        const refusing = await receiver(() => ({ status: answer, body: 'no such customer' }));
        const other = await receiver();
        const s = await service(
          store,
          `
destinations:
  refusing: { url: ${refusing.url} }
  other: { url: ${other.url} }
routes:
  - { source: "*", to: [refusing, other] }
`,
        );
        const { id } = await post(s, '{"type":"t.y","id":"d1"}');
        const list = await waitFor(async () => {
          const res = await admin(s, 'GET', '/admin/dlq?destination=refusing');
          const entries = res.body.items as {
            job_id: string;
            destination: string;
            attempts: number;
            last_error: string;
            id: string;
          }[];
          return entries.length === 1 ? entries : undefined;
        });
        assert.equal(refusing.received.length, 1, 'one attempt only');
        assert.equal(list[0]?.job_id, id);
        assert.equal(list[0]?.destination, 'refusing');
        assert.equal(
          list[0]?.last_error,
          `${status === 410 ? 'HTTP 410 Gone' : 'HTTP 400 Bad Request'}; answered: no such customer`,
          'the status, said once, and the start of the answer',
        );
        await waitFor(() => other.received.length === 1);
        answer = 200;
        const replay = await admin(s, 'POST', `/admin/dlq/${list[0]?.id}/replay`);
        assert.equal(replay.status, 200);
        await waitFor(() => refusing.received.length === 2, { what: 'the replayed delivery' });
        assert.equal(other.received.length, 1, 'the other destination got it once');
      });
    }

    it("records the start of a refusing destination's answer", {}, async () => {
      const logs = captureLogs('info');
      const refusing = await receiver(() => ({ status: 422, body: 'amount: must be positive' }));
      const s = await service(
        store,
        `destinations:\n  strict: { url: ${refusing.url} }\nroutes:\n  - { source: "*", to: [strict] }\n`,
        {},
        undefined,
        { log: logs.log },
      );
      await post(s, '{"type":"t.z","id":"z1"}');
      const [dead] = await waitFor(async () => {
        const items = (await admin(s, 'GET', '/admin/dlq')).body.items as {
          last_error: string;
        }[];
        return items.length === 1 ? items : undefined;
      });
      const failed = logs.lines.find((l) => l.msg === 'delivery attempt failed');
      assert.ok(failed, 'the failed attempt is logged');
      const where = [dead?.last_error ?? '', JSON.stringify(failed)];
      assert.ok(
        where.some((text) => text.includes('amount: must be positive')),
        `the answer's body is recorded (${where.join(' | ')})`,
      );
    });

    it('a breaker opens on a receiver down for 20 s, spends no attempts while open, and every delivery arrives', async () => {
      const upAt = Date.now() + 20_000;
      const delivered = new Set<string>();
      const r = await receiver((req) => {
        if (Date.now() < upAt) return { status: 503 };
        delivered.add(String(req.headers['webhook-id']));
        return { status: 200 };
      });
      const s = await service(
        store,
        `
destinations:
  down:
    url: ${r.url}
    max_retries: 20
    retry_base_delay: 50ms
    breaker_failures: 3
    breaker_cooldown: 2s
    breaker_max_cooldown: 4s
routes:
  - { source: "*", to: [down] }
`,
      );
      for (let i = 0; i < 5; i++) await post(s, `{"type":"t.b","id":"b${i}"}`);
      await waitFor(
        async () =>
          (
            (await admin(s, 'GET', '/admin/destinations')).body.destinations as { state: string }[]
          )[0]?.state === 'open',
        { what: 'breaker open' },
      );
      const whenOpened = r.received.length;
      await waitFor(() => Date.now() >= upAt, { timeoutMs: 25_000, what: 'the receiver back' });
      // While open only probes go out, one per cool-down (2 s, then 4 s): about five in the
      // rest of the 20 s, besides the requests already in flight when it opened. Without
      // the breaker, five deliveries retrying from 50 ms up to 2 s would make about 70.
      const whileOpen = r.received.filter((x) => x.at < upAt).length - whenOpened;
      assert.ok(whileOpen <= 10, `only probes while open (${whileOpen} attempts)`);
      await waitFor(() => delivered.size === 5, { timeoutMs: 20_000, what: 'all five delivered' });
      const dead = await admin(s, 'GET', '/admin/dlq');
      assert.equal((dead.body.items as unknown[]).length, 0, 'nothing was dead-lettered');
      await waitFor(async () => {
        const d = (
          (await admin(s, 'GET', '/admin/destinations')).body.destinations as { state: string }[]
        )[0];
        return d?.state === 'closed';
      });
    });

    it('pause holds deliveries and resume sends them', async () => {
      const r = await receiver();
      const s = await service(
        store,
        `destinations:\n  held: { url: ${r.url} }\nroutes:\n  - { source: "*", to: [held] }\n`,
      );
      const paused = await admin(s, 'POST', '/admin/destinations/held/pause');
      assert.equal(paused.status, 200);
      assert.equal(paused.body.state, 'paused');
      await post(s, '{"type":"t.p","id":"p1"}');
      await waitFor(
        async () =>
          (
            (await admin(s, 'GET', '/admin/destinations')).body.destinations as {
              waiting: number;
            }[]
          )[0]?.waiting === 1,
      );
      assert.equal(r.received.length, 0);
      const unknown = await admin(s, 'POST', '/admin/destinations/nope/pause');
      assert.equal(unknown.status, 404);
      assert.equal((unknown.body.error as { code: string }).code, 'unknown_destination');
      await admin(s, 'POST', '/admin/destinations/held/resume');
      await waitFor(() => r.received.length === 1, { what: 'delivered after resume' });
    });

    it('on stop, a request still out after the grace period is aborted and handed back unspent', async () => {
      let hang = true;
      const r = await receiver(() => (hang ? { status: 200, delayMs: 60_000 } : { status: 200 }));
      const dataDir = mkdtempSync(join(tmpdir(), 'wp-delivery-stop-'));
      dirs.push(dataDir);
      const yaml = `destinations:\n  slow: { url: ${r.url}, timeout: 30s }\nroutes:\n  - { source: "*", to: [slow] }\n`;
      const first = await start(store, yaml, { DATA_DIR: dataDir });
      running.push(first);
      await post(first.service, '{"type":"t.s","id":"s1"}');
      await waitFor(() => r.open === 1, { what: 'the request out' });
      await first.service.stop(2_000);
      assert.equal(r.open, 0, 'the request was aborted before stop returned');
      hang = false;
      await service(store, yaml, { DATA_DIR: dataDir }, first.queueName);
      await waitFor(() => r.received.length === 2, { what: 'the delivery sent again' });
      assert.equal(
        r.received[1]?.headers['x-webhook-attempt'],
        '1',
        'the aborted run is not counted',
      );
      assert.equal(
        r.received[1]?.headers['webhook-id'],
        r.received[0]?.headers['webhook-id'],
        'the same delivery',
      );
    });

    it('a destination that hangs does not hold up another', async () => {
      const slow = await receiver(() => ({ status: 200, delayMs: 60_000 }));
      const fast = await receiver();
      const s = await service(
        store,
        `
destinations:
  slow: { url: ${slow.url}, timeout: 2s, concurrency: 2 }
  fast: { url: ${fast.url} }
routes:
  - { source: "*", to: [slow, fast] }
`,
      );
      const sent = new Map<string, number>();
      for (let i = 0; i < 20; i++)
        sent.set((await post(s, `{"type":"t.i","id":"i${i}"}`)).id, Date.now());
      await waitFor(() => fast.received.length === 20, { what: 'every fast delivery' });
      // Had the fast deliveries waited behind the slow ones, some would take the slow
      // destination's 2 s timeout or more.
      const slowest = Math.max(
        ...fast.received.map(
          (x) => x.at - (sent.get(String(x.headers['x-webhook-event-id'])) ?? 0),
        ),
      );
      assert.ok(
        slowest < 2_000,
        `each fast delivery arrived within the slow timeout (${slowest} ms)`,
      );
      assert.ok(
        slow.open <= 2,
        `the slow destination holds at most its concurrency (${slow.open})`,
      );
      assert.ok(slow.received.length < 20, 'the slow destination is still far behind');
    });
  });
}

describe('rate limit across instances', () => {
  it('two instances together stay under 20/s', async () => {
    const r = await startReceiver();
    const config = `
destinations:
  limited: { url: ${r.url}, rate_limit: 20/s }
routes:
  - { source: "*", to: [limited] }
`;
    const one = await start('redis', config);
    const two = await start('redis', config, {}, one.queueName);
    try {
      for (let i = 0; i < 60; i++)
        await post(i % 2 ? one.service : two.service, `{"type":"t.r","id":"r${i}"}`);
      await waitFor(() => r.received.length === 60, { timeoutMs: 20_000, what: 'all 60' });
      const times = r.received.map((x) => x.at).sort((a, b) => a - b);
      let worst = 0;
      for (let i = 0; i < times.length; i++) {
        let j = i;
        while (j < times.length && (times[j] as number) - (times[i] as number) < 1_000) j++;
        worst = Math.max(worst, j - i);
      }
      assert.ok(worst <= 21, `at most 20 (+1 at a window edge) in any second; saw ${worst}`);
    } finally {
      await Promise.all([one.service.stop(2_000), two.service.stop(2_000)]);
      await r.close();
      const redis = redisClient();
      await dropQueue(redis, one.queueName);
      redis.disconnect();
    }
  });
});
