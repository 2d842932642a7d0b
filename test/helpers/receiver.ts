/**
 * A real HTTP receiver on 127.0.0.1 for outbound delivery tests: records every
 * request it gets (raw body bytes, headers, the client socket's port, which
 * tells a reused connection from a new one) and how many were open at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationConfig } from '../../src/delivery/destination.js';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The client's port: the same value means the same connection. */
  remotePort: number;
}

/** Answers a request; the body has been read already (unless `readBody` is false). */
export type Reply = (req: IncomingMessage, res: ServerResponse, received: Received) => void;

export class Receiver {
  readonly received: Received[] = [];
  open = 0;
  maxOpen = 0;
  /** Connections accepted so far. */
  connections = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(reply: Reply): Promise<Receiver> {
    let receiver: Receiver | undefined;
    const server = createServer((req, res) => {
      const r = receiver as Receiver;
      r.open++;
      r.maxOpen = Math.max(r.maxOpen, r.open);
      res.on('close', () => r.open--);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rec: Received = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
          remotePort: req.socket.remotePort ?? 0,
        };
        r.received.push(rec);
        reply(req, res, rec);
      });
    });
    server.on('connection', () => {
      if (receiver) receiver.connections++;
    });
    // A slow or silent reply must not be cut by node's own server timeouts.
    server.requestTimeout = 0;
    server.headersTimeout = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new Receiver(server, (server.address() as AddressInfo).port);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A destination with test-friendly defaults. */
export function destination(
  overrides: Partial<DestinationConfig> & Pick<DestinationConfig, 'url'>,
): DestinationConfig {
  return {
    name: 'dest',
    timeoutMs: 5_000,
    maxRetries: 3,
    retryBaseDelayMs: 1_000,
    retryMaxDelayMs: 60_000,
    concurrency: 4,
    rateLimit: undefined,
    signingKeys: [],
    headers: {},
    retry4xx: false,
    breakerFailures: 10,
    breakerCooldownMs: 30_000,
    breakerMaxCooldownMs: 600_000,
    ...overrides,
  };
}
