/**
 * What an operator sees of each destination: its address (credentials
 * redacted), state, backlog and recent health, read from the store, so every
 * instance answers the same.
 */
import type { DestinationStates } from '../store/destinations.js';
import type { Store } from '../store/store.js';
import { type DestinationConfig, redactUrl } from './destination.js';

export interface DestinationOverview {
  name: string;
  url: string;
  state: 'closed' | 'open' | 'paused';
  /** Deliveries waiting to be sent, in flight (every instance), and waiting for a retry. */
  waiting: number;
  in_flight: number;
  scheduled: number;
  /** While open: when the next probe may go (RFC 3339). */
  open_until: string | null;
  last_error: string | null;
  last_error_at: string | null;
  /** Attempts that succeeded over all attempts in the last 5 minutes; null with none. */
  success_rate_5m: number | null;
  attempts_5m: number;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export async function destinationOverview(
  store: Store,
  d: DestinationConfig,
): Promise<DestinationOverview> {
  const [status, stats] = await Promise.all([
    store.destinations.status(d.name),
    store.lane(d.name).stats(),
  ]);
  const attempts = status.recent.delivered + status.recent.failed;
  return {
    name: d.name,
    url: redactUrl(d.url),
    state: status.paused ? 'paused' : status.breaker,
    waiting: stats.waiting,
    in_flight: stats.inProgress,
    scheduled: stats.scheduled,
    open_until: iso(status.openUntil),
    last_error: status.lastError ?? null,
    last_error_at: iso(status.lastErrorAt),
    success_rate_5m: attempts === 0 ? null : status.recent.delivered / attempts,
    attempts_5m: attempts,
  };
}

/** Pauses or resumes a destination on every instance. */
export function setPaused(states: DestinationStates, name: string, paused: boolean) {
  return states.setPaused(name, paused);
}
