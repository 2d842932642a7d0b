/**
 * The response body: its first KiB is kept for the delivery log, the rest is
 * read and thrown away. An unread body holds its connection, and requests
 * queued behind it wait even past their own deadline, so every body is
 * finished one way or the other before the attempt ends.
 */
import type { Readable } from 'node:stream';

/** Bytes of the response kept for the outcome. */
export const RESPONSE_BODY_LIMIT = 1024;

/**
 * The most of a body read (and discarded) so its connection can carry the next
 * request; past this, closing the connection is cheaper than reading on.
 */
export const DRAIN_LIMIT = 1024 * 1024;

/** Up to `limit` bytes of the body, decoded as UTF-8 (invalid bytes replaced); never rejects. */
export function readHead(body: Readable, limit = RESPONSE_BODY_LIMIT): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      body.off('data', onData).off('end', finish).off('error', finish).off('close', finish);
      // stream: true holds back a character cut in half at the limit instead of mangling it.
      resolve(new TextDecoder().decode(Buffer.concat(chunks, size), { stream: true }));
    };
    const onData = (chunk: Buffer) => {
      const take = Math.min(chunk.length, limit - size);
      if (take > 0) {
        chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
        size += take;
      }
      if (size >= limit) {
        body.pause();
        finish();
      }
    };
    body.on('data', onData).once('end', finish).once('error', finish).once('close', finish);
  });
}

/** Reads the rest of the body into nothing (up to DRAIN_LIMIT), or closes it; never rejects. */
export async function discardRest(
  body: Readable & { dump(opts?: { signal?: AbortSignal; limit?: number }): Promise<unknown> },
  signal: AbortSignal,
): Promise<void> {
  // dump() on an aborted signal rejects without touching the body, which would stay open.
  if (signal.aborted) {
    body.destroy();
    return;
  }
  await body.dump({ signal, limit: DRAIN_LIMIT }).catch(() => {});
}
