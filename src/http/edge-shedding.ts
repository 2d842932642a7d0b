/**
 * Load shedding at the edge of the HTTP server.
 *
 * Under overload most requests are refused, and a refusal must then cost much
 * less than an accept: otherwise refusing alone saturates the process and every
 * answer, 202 or 503, waits in line. A POST to an ingest route that ingest would
 * refuse right now is therefore answered by Node's HTTP server itself, before
 * Fastify builds a request and a reply, routes, or reads the body. The answer is
 * the one the route's own check gives (same status, headers and body; tests
 * compare them), and it is counted the same way. Everything else, and every
 * request that may be accepted, goes to Fastify unchanged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../errors.js';
import { renderedRefusal } from './error-handler.js';

export interface EdgeShedding {
  /** True for the paths of ingest routes (POST only is checked here). */
  isIngestPath(url: string): boolean;
  /** Why ingest would refuse now, if it would (no store call). */
  refusal(): ErrorCode | undefined;
  /** Counts a refusal, as the route's own check does. */
  counted(code: ErrorCode): void;
}

/** The timeouts Fastify would have set on a server it made itself. */
export interface ServerTimeouts {
  keepAliveTimeout: number;
  requestTimeout: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

type ClientErrorListener = (err: Error & { code?: string }, socket: Duplex) => void;

/**
 * A Fastify `serverFactory`: an HTTP/1.1 server that sheds before handing over
 * (when `shed` is given; without it, every request goes to Fastify).
 *
 * `onClientError` is attached to every server made here. Fastify attaches its
 * `clientErrorHandler` only to the first server it gets; with HOST=localhost it
 * asks the factory for a second one (IPv4 and IPv6), which would otherwise
 * answer malformed requests in Node's bare form. The listener answers a socket
 * once, so the first server having it twice is harmless.
 */
export function sheddingServerFactory(
  shed: EdgeShedding | undefined,
  timeouts: ServerTimeouts,
  onClientError?: ClientErrorListener,
): (handler: Handler) => Server {
  return (handler) => {
    const server = createServer((req, res) => {
      if (shed && req.method === 'POST' && shed.isIngestPath(req.url ?? '')) {
        const code = shed.refusal();
        if (code !== undefined) {
          shed.counted(code);
          const r = renderedRefusal(code);
          // A stopping instance also closes the connection, as Fastify's hook does.
          res.writeHead(
            r.status,
            code === 'shutting_down' ? { ...r.headers, connection: 'close' } : r.headers,
          );
          res.end(r.body);
          return;
        }
      }
      handler(req, res);
    });
    server.keepAliveTimeout = timeouts.keepAliveTimeout;
    server.requestTimeout = timeouts.requestTimeout;
    if (onClientError) server.on('clientError', onClientError);
    return server;
  };
}
