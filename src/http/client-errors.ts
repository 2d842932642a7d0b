/**
 * Requests Node's HTTP parser rejects before Fastify sees them (a header block
 * over the limit, a malformed request line, a bad Content-Length, a request that
 * did not arrive within the request timeout) are answered here, on the raw
 * socket, in the catalogue's shape like every other error, and the connection
 * is closed.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ErrorCode } from '../errors.js';
import { renderedRefusal } from './error-handler.js';

type ClientError = Error & { code?: string };

/** The catalogue code for an error of Node's HTTP parser or server. */
export function clientErrorCode(err: ClientError): ErrorCode {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'headers_too_large';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'payload_too_large';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'request_timeout';
    default:
      return 'bad_request';
  }
}

const wire = new Map<ErrorCode, string>();

/** The whole HTTP/1.1 response for `code`, rendered once per code. */
export function clientErrorResponse(code: ErrorCode): string {
  let text = wire.get(code);
  if (text === undefined) {
    const r = renderedRefusal(code);
    const headers = Object.entries({ ...r.headers, connection: 'close' })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    text = `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? ''}\r\n${headers}\r\n${r.body}`;
    wire.set(code, text);
  }
  return text;
}

/**
 * A `clientError` listener (Fastify's `clientErrorHandler`). It answers once:
 * a socket already destroyed, by a reset or by an earlier listener, is left
 * alone, so it may be attached to a server more than once.
 */
export function clientErrorHandler(log: Logger): (err: ClientError, socket: Duplex) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const code = clientErrorCode(err);
    log.trace({ err: err.message, code: err.code }, 'client error');
    // As Node itself does: write only if no response on this socket has begun.
    const inFlight = (socket as Duplex & { _httpMessage?: { _headerSent?: boolean } | null })
      ._httpMessage;
    if (socket.writable && !inFlight?._headerSent) socket.write(clientErrorResponse(code));
    socket.destroy();
  };
}
