/**
 * The HTTP sender against a real receiver: what goes out (the exact body, the
 * Standard Webhooks and provenance headers, a signature the standardwebhooks
 * library accepts) and how each answer is classified.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  type AttemptOutcome,
  DEFAULT_USER_AGENT,
  HttpSender,
  type OutboundMessage,
} from '../../src/delivery/http-sender.js';
import { destination, Receiver } from '../helpers/receiver.js';

const pkg = (await import('../../package.json', { with: { type: 'json' } })).default;

function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    webhookId: 'msg_evt1_dest',
    body: JSON.stringify({ id: 'evt_1', type: 'invoice.paid' }),
    contentType: 'application/json',
    source: 'stripe',
    eventType: 'invoice.paid',
    eventId: 'job-42',
    attempt: 1,
    ...overrides,
  };
}

const secret = (key: Buffer) => `whsec_${key.toString('base64')}`;

/** The headers standardwebhooks' verify() reads, from what the receiver got. */
function signed(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  return {
    'webhook-id': String(headers['webhook-id']),
    'webhook-timestamp': String(headers['webhook-timestamp']),
    'webhook-signature': String(headers['webhook-signature']),
  };
}

describe('HTTP sender: the request', () => {
  let receiver: Receiver;
  let sender: HttpSender;
  const keys = [randomBytes(32), randomBytes(24)];

  before(async () => {
    receiver = await Receiver.start((_req, res) => res.writeHead(204).end());
    sender = new HttpSender([
      destination({ name: 'plain', url: receiver.url }),
      destination({ name: 'signed', url: receiver.url, signingKeys: [keys[0] as Buffer] }),
      destination({ name: 'rotating', url: `${receiver.url}?v=2`, signingKeys: keys }),
      destination({
        name: 'extras',
        url: receiver.url.replace('http://', 'http://user%40x:p%3Ass@'),
        headers: { 'X-Tenant': 'acme', 'Webhook-Id': 'not-this-one' },
      }),
    ]);
  });
  after(async () => {
    await sender.close();
    await receiver.stop();
  });

  async function sendOne(dest: string, msg: OutboundMessage) {
    const n = receiver.received.length;
    const outcome = await sender.send(dest, msg);
    assert.equal(outcome.kind, 'delivered', JSON.stringify(outcome));
    const got = receiver.received[n];
    assert.ok(got);
    return got;
  }

  it('POSTs the body byte for byte, unicode and all, with the provider Content-Type', async () => {
    const body = JSON.stringify({ s: 'héllo wörld ✓ 日本 🎉 \u2028', n: 1.5e300, e: '' });
    const got = await sendOne(
      'plain',
      message({ body, contentType: 'application/json; charset=utf-8' }),
    );
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/hook');
    assert.ok(got.body.equals(Buffer.from(body, 'utf8')));
    assert.equal(got.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(got.headers['content-length'], String(Buffer.byteLength(body)));
  });

  it('POSTs a large body exactly, and its signature verifies', async () => {
    const body = JSON.stringify({ items: Array.from({ length: 60_000 }, (_, i) => `ítem ${i} ✓`) });
    assert.ok(Buffer.byteLength(body) > 700_000);
    const got = await sendOne('signed', message({ body }));
    assert.ok(got.body.equals(Buffer.from(body, 'utf8')));
    assert.ok(
      new Webhook(secret(keys[0] as Buffer)).verify(got.body.toString(), signed(got.headers)),
    );
  });

  it('sends the Standard Webhooks and provenance headers, and nothing of the provider', async () => {
    const got = await sendOne('plain', message({ attempt: 3, contentType: 'text/plain' }));
    const { headers } = got;
    assert.equal(headers['webhook-id'], 'msg_evt1_dest');
    assert.match(String(headers['webhook-timestamp']), /^\d+$/);
    assert.equal(headers['webhook-signature'], undefined, 'no keys: unsigned');
    assert.equal(headers['x-webhook-source'], 'stripe');
    assert.equal(headers['x-webhook-event-type'], 'invoice.paid');
    assert.equal(headers['x-webhook-event-id'], 'job-42');
    assert.equal(headers['x-webhook-attempt'], '3');
    assert.equal(headers['user-agent'], `webhook-processor/${pkg.version}`);
    assert.equal(DEFAULT_USER_AGENT, `webhook-processor/${pkg.version}`);
    assert.equal(headers['content-type'], 'text/plain');
    assert.deepEqual(Object.keys(headers).sort(), [
      'connection',
      'content-length',
      'content-type',
      'host',
      'user-agent',
      'webhook-id',
      'webhook-timestamp',
      'x-webhook-attempt',
      'x-webhook-event-id',
      'x-webhook-event-type',
      'x-webhook-source',
    ]);
  });

  it("adds the destination's headers and URL credentials, without letting them replace ours", async () => {
    const got = await sendOne('extras', message());
    assert.equal(got.headers['x-tenant'], 'acme');
    assert.equal(got.headers['webhook-id'], 'msg_evt1_dest');
    const basic = Buffer.from('user@x:p:ss').toString('base64');
    assert.equal(got.headers.authorization, `Basic ${basic}`);
  });

  it('signs with the key, and the standardwebhooks library verifies it', async () => {
    const msg = message({ body: '{"a":"ü"}' });
    const got = await sendOne('signed', msg);
    const sig = String(got.headers['webhook-signature']);
    assert.match(sig, /^v1,[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(
      new Webhook(secret(keys[0] as Buffer)).verify(got.body.toString(), signed(got.headers)),
      {
        a: 'ü',
      },
    );
    const tampered = got.body.toString().replace('ü', 'u');
    assert.throws(() =>
      new Webhook(secret(keys[0] as Buffer)).verify(tampered, signed(got.headers)),
    );
  });

  it('percent-encodes what a header cannot carry, and signs the id as sent', async () => {
    const got = await sendOne(
      'signed',
      message({
        webhookId: 'msg_ü✓',
        eventType: 'commande.créée',
        eventId: 'a\r\nb',
        source: 'src',
      }),
    );
    assert.equal(got.headers['webhook-id'], 'msg_%C3%BC%E2%9C%93');
    assert.equal(got.headers['x-webhook-event-type'], 'commande.cr%C3%A9%C3%A9e');
    assert.equal(got.headers['x-webhook-event-id'], 'a%0D%0Ab');
    assert.ok(
      new Webhook(secret(keys[0] as Buffer)).verify(got.body.toString(), signed(got.headers)),
    );
  });

  it('signs with every key during a rotation: either secret verifies, another does not', async () => {
    const got = await sendOne('rotating', message());
    assert.equal(got.url, '/hook?v=2');
    const sigs = String(got.headers['webhook-signature']).split(' ');
    assert.equal(sigs.length, 2);
    for (const key of keys) {
      assert.ok(new Webhook(secret(key)).verify(got.body.toString(), signed(got.headers)));
    }
    assert.throws(() =>
      new Webhook(secret(randomBytes(32))).verify(got.body.toString(), signed(got.headers)),
    );
  });

  it('stamps each attempt with its own send time, under the same webhook-id', async () => {
    const before = Math.floor(Date.now() / 1000);
    const got = await sendOne('signed', message());
    const after = Math.ceil(Date.now() / 1000);
    const ts = Number(got.headers['webhook-timestamp']);
    assert.ok(ts >= before && ts <= after, `${ts} in [${before}, ${after}]`);

    let now = Date.parse('2030-01-01T00:00:00.700Z');
    const clocked = new HttpSender(
      [destination({ name: 'signed', url: receiver.url, signingKeys: [keys[0] as Buffer] })],
      { now: () => now, userAgent: 'custom/1' },
    );
    try {
      const n = receiver.received.length;
      await clocked.send('signed', message({ attempt: 1 }));
      now += 3_600_000;
      await clocked.send('signed', message({ attempt: 2 }));
      const [first, second] = receiver.received.slice(n);
      assert.equal(
        first?.headers['webhook-timestamp'],
        String(Date.parse('2030-01-01T00:00:00Z') / 1000),
      );
      assert.equal(
        Number(second?.headers['webhook-timestamp']) - Number(first?.headers['webhook-timestamp']),
        3600,
      );
      assert.equal(first?.headers['webhook-id'], second?.headers['webhook-id']);
      assert.notEqual(first?.headers['webhook-signature'], second?.headers['webhook-signature']);
      assert.equal(first?.headers['user-agent'], 'custom/1');
    } finally {
      await clocked.close();
    }
  });

  it('answers an unknown destination with a dead outcome, not a rejection', async () => {
    const outcome = await sender.send('nope', message());
    assert.equal(outcome.kind, 'dead');
    assert.equal(outcome.kind === 'dead' && outcome.error, 'unknown destination nope');
  });
});

/** What the receiver answers next: status, headers, body. */
interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

describe('HTTP sender: classifying answers', () => {
  let receiver: Receiver;
  let sender: HttpSender;
  let next: Answer = { status: 200 };
  const NOW = Date.parse('2030-06-01T12:00:00Z');

  before(async () => {
    receiver = await Receiver.start((_req, res: ServerResponse) => {
      res.writeHead(next.status, next.headers ?? {}).end(next.body ?? '');
    });
    sender = new HttpSender(
      [
        destination({ name: 'strict', url: receiver.url }),
        destination({ name: 'lenient', url: receiver.url, retry4xx: true }),
      ],
      { now: () => NOW },
    );
  });
  after(async () => {
    await sender.close();
    await receiver.stop();
  });

  async function answer(a: Answer, dest = 'strict'): Promise<AttemptOutcome> {
    next = a;
    return sender.send(dest, message());
  }

  it('delivers on any 2xx, with the start of the response body', async () => {
    for (const status of [200, 201, 202, 204, 299]) {
      const o = await answer({ status, body: status === 204 ? '' : '{"ok":true}' });
      assert.equal(o.kind, 'delivered', `${status}`);
      assert.equal(o.kind === 'delivered' && o.status, status);
      assert.ok(o.durationMs >= 0);
    }
    const o = await answer({ status: 200, body: 'thanks ✓' });
    assert.deepEqual(
      { ...o, durationMs: 0 },
      {
        kind: 'delivered',
        status: 200,
        durationMs: 0,
        responseBody: 'thanks ✓',
      },
    );
  });

  it('does not follow a redirect: dead, naming the status and at most the target origin', async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const o = await answer({
        status,
        headers: { location: 'https://other.example:8443/next?token=s3cr3t' },
      });
      assert.equal(o.kind, 'dead', `${status}`);
      assert.ok(o.kind === 'dead');
      assert.equal(o.codeClass, '3xx');
      assert.equal(o.status, status);
      assert.match(
        o.error,
        new RegExp(
          `^HTTP ${status} .*: redirects are not followed \\(to https://other\\.example:8443\\)$`,
        ),
      );
      assert.doesNotMatch(o.error, /s3cr3t|next/);
    }
    assert.equal(receiver.received.at(-1)?.url, '/hook', 'only the destination was asked');
    const relative = await answer({ status: 302, headers: { location: '/elsewhere?k=1' } });
    assert.equal(
      relative.kind === 'dead' && relative.error,
      `HTTP 302 Found: redirects are not followed (to http://127.0.0.1:${receiver.port})`,
    );
  });

  it('dead-letters 4xx and 410; retries 408 and 429', async () => {
    for (const status of [400, 401, 403, 404, 410, 413, 422]) {
      const o = await answer({ status, body: 'nope' });
      assert.equal(o.kind, 'dead', `${status}`);
      assert.ok(o.kind === 'dead');
      assert.equal(o.codeClass, '4xx');
      assert.equal(o.status, status);
      assert.equal(o.responseBody, 'nope');
    }
    const gone = await answer({ status: 410 });
    assert.equal(gone.kind === 'dead' && gone.error, 'HTTP 410 Gone');
    for (const status of [408, 429]) {
      const o = await answer({ status });
      assert.equal(o.kind, 'retry', `${status}`);
      assert.ok(o.kind === 'retry');
      assert.equal(o.codeClass, '4xx');
      assert.equal(o.retryAfterMs, undefined);
    }
  });

  it('retries every 5xx', async () => {
    for (const status of [500, 502, 503, 504, 599]) {
      const o = await answer({ status, body: 'down' });
      assert.equal(o.kind, 'retry', `${status}`);
      assert.ok(o.kind === 'retry');
      assert.equal(o.codeClass, '5xx');
      assert.equal(o.status, status);
      assert.equal(o.responseBody, 'down');
    }
    const o = await answer({ status: 503 });
    assert.equal(o.kind === 'retry' && o.error, 'HTTP 503 Service Unavailable');
  });

  it('with retry4xx, retries 4xx other than 410', async () => {
    for (const status of [400, 401, 404, 422]) {
      const o = await answer({ status }, 'lenient');
      assert.equal(o.kind, 'retry', `${status}`);
      assert.equal(o.kind === 'retry' && o.codeClass, '4xx');
    }
    assert.equal((await answer({ status: 410 }, 'lenient')).kind, 'dead');
    assert.equal((await answer({ status: 301 }, 'lenient')).kind, 'dead');
  });

  it('reads Retry-After in seconds or as an HTTP-date on 429 and 503', async () => {
    for (const status of [429, 503]) {
      const secs = await answer({ status, headers: { 'retry-after': '120' } });
      assert.equal(secs.kind === 'retry' && secs.retryAfterMs, 120_000, `${status} seconds`);
      const date = new Date(NOW + 90_000).toUTCString();
      const dated = await answer({ status, headers: { 'retry-after': date } });
      assert.equal(dated.kind === 'retry' && dated.retryAfterMs, 90_000, `${status} date`);
      const zero = await answer({ status, headers: { 'retry-after': '0' } });
      assert.equal(zero.kind === 'retry' && zero.retryAfterMs, 0);
    }
  });

  it('ignores Retry-After on other statuses, and garbage anywhere', async () => {
    const on500 = await answer({ status: 500, headers: { 'retry-after': '120' } });
    assert.equal(on500.kind, 'retry');
    assert.equal(on500.kind === 'retry' && on500.retryAfterMs, undefined);
    for (const garbage of [
      '-5',
      'soon',
      'NaN',
      '1.5',
      '12abc',
      '',
      '1e3',
      '12 34',
      'Thu, 31 Feb 2030 10:00:00 GMT',
      new Date(NOW - 60_000).toUTCString(),
    ]) {
      const o = await answer({ status: 429, headers: { 'retry-after': garbage } });
      assert.equal(o.kind, 'retry');
      assert.ok(o.kind === 'retry');
      assert.equal(o.retryAfterMs, undefined, JSON.stringify(garbage));
      assert.equal('retryAfterMs' in o, false);
    }
  });
});
