/**
 * A destination: an HTTP endpoint that events are forwarded to, with its own
 * delivery policy. Built from the config file's `destinations` section (or from
 * FORWARD_URL), validated at start-up; secrets are already resolved from the
 * environment and are never logged.
 */

/** How many requests a destination may receive in a window, across all instances. */
export interface DestinationRateLimit {
  /** Requests allowed per window. */
  count: number;
  /** The window: 1000 for `N/s`, 60000 for `N/m`. */
  perMs: number;
}

export interface DestinationConfig {
  /** `[a-z0-9][a-z0-9_-]*`, unique; the label in metrics and the DLQ. */
  name: string;
  /** http or https; may carry credentials (redacted wherever it is shown). */
  url: string;
  /** The whole request, connect to last body byte. Default 30s. */
  timeoutMs: number;
  /** Retries after the first attempt. Default MAX_RETRIES. */
  maxRetries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Requests in flight to it, per instance. Default 10. */
  concurrency: number;
  rateLimit: DestinationRateLimit | undefined;
  /**
   * Standard Webhooks signing keys (the bytes after `whsec_`, base64-decoded),
   * current first; every one signs, so receivers can rotate. Empty: unsigned.
   */
  signingKeys: Buffer[];
  /** Extra request headers, values resolved. */
  headers: Record<string, string>;
  /** Retry 4xx answers (other than 410) instead of dead-lettering them at once. */
  retry4xx: boolean;
  /** Consecutive failed attempts that open the circuit breaker. Default 10. */
  breakerFailures: number;
  /** First cool-down once open; doubles on each failed probe up to the maximum. */
  breakerCooldownMs: number;
  breakerMaxCooldownMs: number;
}

/** Where a route sends: a destination name, or the in-process handlers. */
export { HANDLERS_TARGET } from '../store/event-log.js';

export interface RouteConfig {
  /** Source names the route applies to, or `*` for every source (`default` is POST /webhooks). */
  sources: '*' | string[];
  /** Event type globs (`*` matches any run of characters); undefined = every type. */
  eventTypes: string[] | undefined;
  /** Conditions on the parsed payload by dotted path; all must hold. */
  filter: Record<string, unknown> | undefined;
  /** Destination names, in order; `handlers` means the in-process handlers. */
  to: string[];
}

/** The URL with any credentials replaced, for logs, the admin API and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = u.username ? 'redacted' : '';
      u.password = u.password ? 'redacted' : '';
    }
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
