/**
 * What the delivery fault scenarios share on top of a fault rig: real HTTP
 * receivers in the test process, one per destination, a config file whose one
 * route fans every event out to all of them, and a settle step that waits until
 * every pair arrived and no delivery is left to come (waiting, in flight or
 * scheduled, as GET /admin/destinations reports them).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { type DeliveryTally, deliveryTallyOf, pairKey } from './delivery-tally.js';
import type { Load } from './load.js';
import { type Receiver, startReceiver } from './recording-receiver.js';
import { waitFor } from './wait.js';

export const ADMIN_TOKEN = 'delivery-faults-admin-token';

export interface DestinationSpec {
  /** How long the receiver takes to answer each request. */
  delayMs: number;
  /** Requests in flight to it from each instance. */
  concurrency: number;
}

export interface DeliveryRig {
  /** Destination name -> its receiver. */
  receivers: Map<string, Receiver>;
  /** The config file (CONFIG_FILE) naming them, with a route from every source to all. */
  configFile: string;
  /** Environment for a service process delivering to them. */
  env: Record<string, string>;
  tally(load: Load): DeliveryTally;
  /**
   * Waits until every accepted event reached every destination and `url`'s
   * destinations have nothing waiting, in flight or scheduled (so no re-send is
   * still to come), or the deadline; then tallies.
   */
  settle(load: Load, url: () => string, timeoutMs: number): Promise<DeliveryTally>;
}

/**
 * Starts a receiver per destination and writes the config file; registers their
 * teardown. `timeout` is every destination's request timeout: a delivery held
 * by a dead instance is taken back after it plus a margin (see the dispatcher).
 */
export async function deliveryRig(
  specs: Record<string, DestinationSpec>,
  timeout = '2s',
): Promise<DeliveryRig> {
  const dir = mkdtempSync(join(tmpdir(), 'wp-delivery-fault-'));
  const receivers = new Map<string, Receiver>();
  after(async () => {
    await Promise.all([...receivers.values()].map((r) => r.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  const lines = ['destinations:'];
  for (const [name, spec] of Object.entries(specs)) {
    const receiver = await startReceiver(() => ({ status: 200, delayMs: spec.delayMs }));
    receivers.set(name, receiver);
    lines.push(
      `  ${name}: { url: ${receiver.url}, timeout: ${timeout}, concurrency: ${spec.concurrency} }`,
    );
  }
  lines.push('routes:', `  - { source: "*", to: [${[...receivers.keys()].join(', ')}] }`, '');
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, lines.join('\n'));

  const tally = (load: Load) => deliveryTallyOf(load.accepted, load.idOfEvent, receivers);
  return {
    receivers,
    configFile,
    env: { CONFIG_FILE: configFile, ADMIN_TOKEN },
    tally,
    async settle(load, url, timeoutMs) {
      try {
        await waitFor(async () => tally(load).lost === 0 && (await nothingLeft(url())), {
          what: 'every accepted event to reach every destination',
          timeoutMs,
          intervalMs: 200,
        });
      } catch {
        // The tally below says what is missing; the scenario fails on it.
      }
      return tally(load);
    },
  };
}

/** True when no destination of the service at `url` has a delivery waiting, in flight or scheduled. */
async function nothingLeft(url: string): Promise<boolean> {
  const res = await fetch(`${url}/admin/destinations`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (res.status !== 200) return false;
  const body = (await res.json()) as {
    destinations: { waiting: number; in_flight: number; scheduled: number }[];
  };
  return body.destinations.every((d) => d.waiting + d.in_flight + d.scheduled === 0);
}

/** Pairs (`<destination> <event id>`) the service logged with `msg`, from its log lines. */
export function loggedPairs(lines: readonly Record<string, unknown>[], msg: string): Set<string> {
  const out = new Set<string>();
  for (const l of lines) {
    if (l.msg === msg && typeof l.job_id === 'string' && typeof l.destination === 'string') {
      out.add(pairKey(l.destination, l.job_id));
    }
  }
  return out;
}
