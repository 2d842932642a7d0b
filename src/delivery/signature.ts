/**
 * Standard Webhooks signing: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`,
 * over the exact bytes sent, one signature per key (current first), separated
 * by spaces so a receiver part-way through a key rotation accepts either.
 */
import { createHmac } from 'node:crypto';

/** The `webhook-signature` value, or undefined when there are no keys (unsigned). */
export function signatureHeader(
  keys: readonly Buffer[],
  webhookId: string,
  timestampSeconds: number,
  body: Buffer,
): string | undefined {
  if (keys.length === 0) return undefined;
  const prefix = `${webhookId}.${timestampSeconds}.`;
  return keys
    .map((key) => `v1,${createHmac('sha256', key).update(prefix).update(body).digest('base64')}`)
    .join(' ');
}
