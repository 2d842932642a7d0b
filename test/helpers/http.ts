/** Request builders for POST /webhooks through Fastify's inject. */
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';

export function postWebhook(
  app: FastifyInstance,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: '/webhooks',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/**
 * Announces a 10 MiB body to `path` over a real socket and sends none of it;
 * resolves with the raw reply, which must come without the body being read.
 */
export async function replyToOversizedAnnouncement(
  app: FastifyInstance,
  path: string,
): Promise<string> {
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('the server is not listening');
  return new Promise<string>((resolve, reject) => {
    const socket = connect(address.port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`no answer; got ${JSON.stringify(data)}`));
    });
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n\r\n') && data.includes('}}')) {
        socket.destroy();
        resolve(data);
      }
    });
    socket.on('error', reject);
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`,
    );
  });
}
