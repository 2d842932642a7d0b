/**
 * The shedding edge: a POST to an ingest path that ingest refuses is answered by
 * the HTTP server itself; everything else reaches the application.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ErrorCode } from '../../src/errors.js';
import { sheddingServerFactory } from '../../src/http/edge-shedding.js';
import { renderedRefusal } from '../../src/http/error-handler.js';

describe('edge shedding', () => {
  let refusal: ErrorCode | undefined;
  const counted: ErrorCode[] = [];
  const reached: string[] = [];
  const server = sheddingServerFactory(
    {
      isIngestPath: (url) => url === '/webhooks',
      refusal: () => refusal,
      counted: (code) => counted.push(code),
    },
    { keepAliveTimeout: 1_000, requestTimeout: 5_000 },
  )((req, res) => {
    reached.push(`${req.method} ${req.url}`);
    res.writeHead(200).end('app');
  });
  let url = '';
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const post = (path = '/webhooks') =>
    fetch(`${url}${path}`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });

  it('answers a refused ingest POST itself, with the catalogue response, and counts it', async () => {
    refusal = 'queue_full';
    reached.length = 0;
    const res = await post();
    const expected = renderedRefusal('queue_full');
    assert.equal(res.status, expected.status);
    assert.equal(await res.text(), expected.body);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(res.headers.get('content-length'), String(expected.body.length), 'not chunked');
    assert.deepEqual(reached, [], 'the application never saw it');
    assert.deepEqual(counted.slice(-1), ['queue_full']);
  });

  it('closes the connection when refusing because it is shutting down', async () => {
    refusal = 'shutting_down';
    const res = await post();
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('connection'), 'close');
  });

  it('passes through what ingest would accept, other methods and other paths', async () => {
    reached.length = 0;
    refusal = undefined;
    assert.equal(await (await post()).text(), 'app');
    refusal = 'overloaded';
    assert.equal(await (await fetch(`${url}/webhooks`)).text(), 'app');
    assert.equal(await (await post('/health')).text(), 'app');
    assert.deepEqual(reached, ['POST /webhooks', 'GET /webhooks', 'POST /health']);
  });
});

describe('server factory without shedding', () => {
  it('hands every request over, and attaches the client error listener to each server it makes', async () => {
    const listener = () => undefined;
    const factory = sheddingServerFactory(
      undefined,
      { keepAliveTimeout: 1_000, requestTimeout: 5_000 },
      listener,
    );
    const handler = (_req: unknown, res: { writeHead(s: number): { end(b: string): void } }) =>
      res.writeHead(200).end('app');
    // Fastify asks again for a second binding (HOST=localhost on IPv4 and IPv6).
    const servers = [factory(handler), factory(handler)];
    for (const server of servers) assert.deepEqual(server.listeners('clientError'), [listener]);
    const server = servers[0] as (typeof servers)[0];
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/webhooks`, { method: 'POST', body: '{}' });
      assert.equal(await res.text(), 'app');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
