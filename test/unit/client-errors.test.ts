/**
 * Requests Node's HTTP parser rejects are answered on the raw socket in the
 * catalogue's shape, and the connection is closed.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ERRORS } from '../../src/errors.js';
import { clientErrorCode, clientErrorHandler } from '../../src/http/client-errors.js';

/** Writes `request` (a part of one, perhaps) and resolves with all that comes back before close. */
function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`no close; got ${JSON.stringify(data)}`));
    });
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(data));
    socket.write(request);
  });
}

function bodyOf(raw: string): unknown {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
}

describe('client errors', () => {
  it('maps parser and server errors to catalogue codes', () => {
    const err = (code?: string) => Object.assign(new Error('x'), { code });
    assert.equal(clientErrorCode(err('HPE_HEADER_OVERFLOW')), 'headers_too_large');
    assert.equal(clientErrorCode(err('ERR_HTTP_REQUEST_TIMEOUT')), 'request_timeout');
    assert.equal(clientErrorCode(err('HPE_CHUNK_EXTENSIONS_OVERFLOW')), 'payload_too_large');
    assert.equal(clientErrorCode(err('HPE_INVALID_METHOD')), 'bad_request');
    assert.equal(clientErrorCode(err(undefined)), 'bad_request');
  });

  describe('on a server with a short request timeout', () => {
    // Node checks request timeouts every connectionsCheckingInterval.
    let server: Server;
    let port = 0;
    before(async () => {
      server = createServer(
        { requestTimeout: 300, connectionsCheckingInterval: 50 },
        (req, res) => {
          req.resume();
          req.on('end', () => res.end('ok'));
        },
      );
      const handler = clientErrorHandler(pino({ level: 'silent' }));
      // Twice, as on a server from the factory: the second listener must not answer again.
      server.on('clientError', handler);
      server.on('clientError', handler);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it('answers a request that does not arrive in time with 408 request_timeout', async () => {
      const raw = await exchange(
        port,
        'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{"a"',
      );
      assert.match(raw, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.match(raw, /\r\nconnection: close\r\n/);
      assert.equal(raw.match(/HTTP\/1\.1/g)?.length, 1, 'answered once');
      assert.deepEqual(bodyOf(raw), {
        error: { code: 'request_timeout', message: ERRORS.request_timeout.message },
      });
    });

    it('answers headers that never end the same way', async () => {
      const raw = await exchange(port, 'GET /x HTTP/1.1\r\nHost: x\r\n');
      assert.match(raw, /^HTTP\/1\.1 408 /);
    });

    it('answers a malformed request with 400 bad_request, once', async () => {
      const raw = await exchange(port, 'BROKEN\r\n\r\n');
      assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.equal(raw.match(/HTTP\/1\.1/g)?.length, 1, 'answered once');
      assert.deepEqual(bodyOf(raw), {
        error: { code: 'bad_request', message: ERRORS.bad_request.message },
      });
    });
  });
});
