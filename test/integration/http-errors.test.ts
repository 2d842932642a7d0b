/**
 * Errors raised before a route runs (by Node's HTTP parser or by Fastify's
 * router) answer in the catalogue's shape like every other error: a header block
 * over the limit, a malformed request line or Content-Length, a path that does
 * not decode, a path parameter over the router's length limit. None of them
 * echoes the request, and an over-long parameter under /admin still meets the
 * bearer guard first.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { ERRORS } from '../../src/errors.js';
import { serviceForSuite } from '../helpers/service.js';
import { sourcesEnv, writeSourcesFile } from '../helpers/sources.js';

const TOKEN = 'ADMINtokenVALUE-0123456789abcdef';
const LONG = 'x'.repeat(101);

/** Sends `request` as is on a new connection; resolves with everything received until close. */
function rawExchange(service: Service, request: string): Promise<string> {
  const address = service.app.server.address();
  if (!address || typeof address !== 'object') throw new Error('the server is not listening');
  return new Promise((resolve, reject) => {
    const socket = connect(address.port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`the server did not close the connection; got ${JSON.stringify(data)}`));
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => undefined); // A reset after the answer is fine: the data is kept.
    socket.on('close', () => resolve(data));
    socket.write(request);
  });
}

/** Status, headers (lower-cased names) and JSON body of a raw HTTP/1.1 response. */
function parseResponse(raw: string) {
  const split = raw.indexOf('\r\n\r\n');
  assert.ok(split > 0, `a complete response: ${JSON.stringify(raw)}`);
  const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const body = raw.slice(split + 4);
  assert.equal(Buffer.byteLength(body), Number(headers['content-length']), 'content-length');
  return { status: Number(statusLine?.split(' ')[1]), headers, body: JSON.parse(body) };
}

function assertCatalogue(
  res: { status: number; body: unknown },
  code: keyof typeof ERRORS,
  what: string,
) {
  assert.equal(res.status, ERRORS[code].status, what);
  assert.deepEqual(res.body, { error: { code, message: ERRORS[code].message } }, what);
}

const PARSER_REJECTS: [string, string, keyof typeof ERRORS][] = [
  [
    'a header block over 16 KB',
    `POST /webhooks HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(17 * 1024)}\r\nContent-Length: 2\r\n\r\n{}`,
    'headers_too_large',
  ],
  [
    'a request line over 16 KB',
    `GET /health?${'q'.repeat(17 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    'headers_too_large',
  ],
  [
    'Content-Length: abc',
    'POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}',
    'bad_request',
  ],
  ['a malformed request line', 'NOT A REQUEST\r\n\r\n', 'bad_request'],
  ['a bad HTTP version', 'GET /health HTTP/9\r\nHost: x\r\n\r\n', 'bad_request'],
  ['a bad header name', 'GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', 'bad_request'],
];

for (const [role, env] of [
  // POST /webhooks is served: the server comes from the shedding server factory.
  ['ingest instance', {}],
  // Worker-only: no shedding, the same client error answers.
  ['worker-only instance', { HTTP_INGEST: 'false', WORKER_COUNT: '1' }],
] as const) {
  describe(`errors before routing: ${role}`, () => {
    const suite = serviceForSuite({
      WORKER_COUNT: '0',
      ADMIN_TOKEN: TOKEN,
      ...sourcesEnv(),
      SOURCES_FILE: writeSourcesFile(),
      ...env,
    });

    for (const [what, request, code] of PARSER_REJECTS) {
      it(`answers ${what} with ${ERRORS[code].status} ${code} on the socket, then closes it`, async () => {
        const raw = await rawExchange(suite.service, request);
        const res = parseResponse(raw);
        assertCatalogue(res, code, what);
        assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
        assert.equal(res.headers.connection, 'close');
        assert.ok(!/FST_|Client Error|"statusCode"/.test(raw), raw);
      });
    }

    it('answers a path that does not decode with 400 bad_request, without echoing it', async () => {
      for (const [method, url] of [
        ['POST', '/webhooks/%ZZ'],
        ['GET', '/health/%ZZ'],
        ['GET', '/admin/dlq/%ZZ'],
        ['GET', '/%ZZ'],
      ] as const) {
        const res = await suite.service.app.inject({ method, url });
        assertCatalogue({ status: res.statusCode, body: res.json() }, 'bad_request', url);
        assert.ok(!res.body.includes('%ZZ'), res.body);
      }
      // And the same over a real socket.
      const res = parseResponse(
        await rawExchange(
          suite.service,
          'POST /webhooks/%ZZ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
        ),
      );
      assertCatalogue(res, 'bad_request', 'raw');
    });

    it('answers an over-long parameter elsewhere with 404 not_found', async () => {
      for (const url of [`/health/${LONG}`, `/${LONG}`, `/webhooks/${LONG}/more`]) {
        const res = await suite.service.app.inject({ method: 'GET', url });
        assertCatalogue({ status: res.statusCode, body: res.json() }, 'not_found', url);
        assert.ok(!res.body.includes(LONG));
      }
    });

    it('meets the admin guard first for an over-long parameter under /admin', async () => {
      for (const [method, url] of [
        ['GET', `/admin/dlq/${LONG}`],
        ['DELETE', `/admin/dlq/${LONG}`],
        ['POST', `/admin/dlq/${LONG}/replay`],
        ['GET', `/admin/${LONG}`],
        ['GET', `/adm%69n/dlq/${LONG}`],
      ] as const) {
        for (const authorization of [undefined, `Bearer ${TOKEN}x`, TOKEN]) {
          const res = await suite.service.app.inject({
            method,
            url,
            headers: authorization === undefined ? {} : { authorization },
          });
          const what = `${method} ${url} ${authorization}`;
          assertCatalogue({ status: res.statusCode, body: res.json() }, 'unauthorized', what);
          assert.equal(res.headers['www-authenticate'], 'Bearer realm="admin"', what);
        }
      }
    });

    it('with the token, answers what the route answers for an id that names nothing', async () => {
      const headers = { authorization: `Bearer ${TOKEN}` };
      for (const [method, url, code] of [
        ['GET', `/admin/dlq/${LONG}`, 'dlq_entry_not_found'],
        ['DELETE', `/admin/dlq/${LONG}`, 'dlq_entry_not_found'],
        ['POST', `/admin/dlq/${LONG}/replay`, 'dlq_entry_not_found'],
        ['PUT', `/admin/dlq/${LONG}`, 'method_not_allowed'],
        ['GET', `/admin/${LONG}`, 'not_found'],
      ] as const) {
        const res = await suite.service.app.inject({ method, url, headers });
        assertCatalogue({ status: res.statusCode, body: res.json() }, code, `${method} ${url}`);
      }
    });
  });
}

describe('an over-long source name', () => {
  const suite = serviceForSuite({
    WORKER_COUNT: '0',
    ...sourcesEnv(),
    SOURCES_FILE: writeSourcesFile(),
  });

  it('is an unknown source: 404 unknown_source, counted like one', async () => {
    const res = await suite.service.app.inject({
      method: 'POST',
      url: `/webhooks/${LONG}`,
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    assertCatalogue({ status: res.statusCode, body: res.json() }, 'unknown_source', 'POST');
    assert.ok(!res.body.includes(LONG));
    const metrics = (await suite.service.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /webhooks_rejected_total\{code="unknown_source"\} [1-9]/);
    // Over a real socket too (the shedding server factory hands it to Fastify).
    const raw = parseResponse(
      await rawExchange(
        suite.service,
        `POST /webhooks/${LONG} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      ),
    );
    assertCatalogue(raw, 'unknown_source', 'raw');
  });

  it('with another method is a known path: 405 method_not_allowed', async () => {
    const res = await suite.service.app.inject({ method: 'GET', url: `/webhooks/${LONG}` });
    assertCatalogue({ status: res.statusCode, body: res.json() }, 'method_not_allowed', 'GET');
    assert.equal(res.headers.allow, 'POST');
  });
});

describe('a known path with a method it does not take', () => {
  const suite = serviceForSuite({
    WORKER_COUNT: '0',
    ADMIN_TOKEN: TOKEN,
    ...sourcesEnv(),
    SOURCES_FILE: writeSourcesFile(),
  });

  it('answers 405 method_not_allowed with the methods it takes in Allow', async () => {
    for (const [method, url, allow] of [
      ['GET', '/webhooks', 'POST'],
      ['PUT', '/webhooks?x=1', 'POST'],
      ['GET', '/webhooks/github', 'POST'],
      ['POST', '/health', 'GET, HEAD'],
      ['DELETE', '/metrics', 'GET, HEAD'],
    ] as const) {
      const res = await suite.service.app.inject({ method, url });
      const what = `${method} ${url}`;
      assertCatalogue({ status: res.statusCode, body: res.json() }, 'method_not_allowed', what);
      assert.equal(res.headers.allow, allow, what);
    }
  });

  it('keeps 404 not_found for a path no route takes', async () => {
    for (const url of ['/webhookz', '/health/nope', '/']) {
      const res = await suite.service.app.inject({ method: 'POST', url });
      assertCatalogue({ status: res.statusCode, body: res.json() }, 'not_found', url);
      assert.equal(res.headers.allow, undefined, url);
    }
  });

  it('under /admin, meets the guard first, then answers 405', async () => {
    const anonymous = await suite.service.app.inject({ method: 'PUT', url: '/admin/dlq' });
    assertCatalogue(
      { status: anonymous.statusCode, body: anonymous.json() },
      'unauthorized',
      'no token',
    );
    const res = await suite.service.app.inject({
      method: 'PUT',
      url: '/admin/dlq',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assertCatalogue({ status: res.statusCode, body: res.json() }, 'method_not_allowed', 'token');
    assert.match(String(res.headers.allow), /\bGET\b.*\bDELETE\b/);
  });
});
