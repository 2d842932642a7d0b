/**
 * Standard Webhooks signing: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`,
 * over the exact bytes sent, one signature per key (current first) so that
 * receivers can rotate.
 */
import { createHmac } from 'node:crypto';

export function signatureHeader(
  keys: readonly Buffer[],
  id: string,
  timestamp: number,
  body: Buffer,
): string {
  return keys
    .map((key) => {
      const mac = createHmac('sha256', key);
      mac.update(`${id}.${timestamp}.`);
      mac.update(body);
      return `v1,${mac.digest('base64')}`;
    })
    .join(' ');
}
