/**
 * A destination as it is safe to print (the start-up log, GET /admin/config):
 * the URL without credentials, header names without values, and how many
 * signing keys there are, never the keys.
 */
import { type DestinationConfig, redactUrl } from './destination.js';

export function describeDestination(d: DestinationConfig): Record<string, unknown> {
  const { url, headers, signingKeys, ...policy } = d;
  return {
    ...policy,
    url: redactUrl(url),
    headers: Object.keys(headers),
    signingKeyCount: signingKeys.length,
  };
}
