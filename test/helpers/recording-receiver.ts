/**
 * A real HTTP receiver for delivery tests: records every request (time, headers,
 * exact body bytes) and answers as the test says.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

export type Responder = (req: Received, n: number) => Answer;

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Requests being answered right now. */
  readonly open: number;
  respond: Responder;
  close(): Promise<void>;
}

export async function startReceiver(
  respond: Responder = () => ({ status: 200 }),
): Promise<Receiver> {
  const received: Received[] = [];
  let open = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { at: Date.now(), headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      const answer = receiver.respond(r, received.length);
      open++;
      const send = () => {
        open--;
        if (res.destroyed) return;
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, answer.delayMs);
        timers.add(t);
        res.on('close', () => {
          if (timers.delete(t)) {
            clearTimeout(t);
            open--;
          }
        });
      } else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    get open() {
      return open;
    },
    respond,
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}
