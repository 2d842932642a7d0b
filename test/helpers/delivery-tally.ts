/**
 * Fault scenarios: a bounded stream of webhooks, and a tally of what was
 * accepted against what the fixture recorded as processed (FIXTURE_RECORD_FILE).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { post } from './child.js';
import { waitFor } from './wait.js';

export interface Load {
  /** Job ids answered 202 queued. */
  readonly accepted: Set<string>;
  /** Status (or network error) -> count, for everything answered. */
  readonly outcomes: Map<string, number>;
  /** Stops sending; resolves when every sender has finished its request. */
  stop(): Promise<void>;
}

/**
 * Posts distinct webhooks from `concurrency` senders until stopped or `max`
 * were sent. Failures (refused connections while a service is down, 503s) are
 * counted, not thrown: a sender keeps going.
 */
export function sendLoad(
  url: () => string,
  opts: { concurrency: number; max: number; label: string },
): Load {
  const accepted = new Set<string>();
  const outcomes = new Map<string, number>();
  let sent = 0;
  let stopped = false;
  const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  const sender = async (n: number) => {
    while (!stopped && sent < opts.max) {
      const i = sent++;
      const r = await post(url(), { id: `${opts.label}-${n}-${i}`, n: i }, {}, 5_000);
      if ('error' in r) {
        count('error');
        await new Promise((res) => setTimeout(res, 20)); // the service is down: don't spin
        continue;
      }
      count(String(r.status));
      if (r.status === 202 && r.body.status === 'queued') accepted.add(String(r.body.id));
      if (r.status === 503) await new Promise((res) => setTimeout(res, 10));
    }
  };
  const senders = Array.from({ length: opts.concurrency }, (_, n) => sender(n));
  return {
    accepted,
    outcomes,
    async stop() {
      stopped = true;
      await Promise.all(senders);
    },
  };
}

/** Job id -> times processed, from a FIXTURE_RECORD_FILE. */
export function readRecord(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(file)) return counts;
  for (const id of readFileSync(file, 'utf8').split('\n')) {
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

export interface Tally {
  accepted: number;
  /** Accepted jobs processed at least once. */
  processed: number;
  /** Extra runs of accepted jobs (at-least-once re-runs). */
  duplicates: number;
  /** Accepted jobs never processed. */
  lost: string[];
}

export function tally(accepted: ReadonlySet<string>, record: ReadonlyMap<string, number>): Tally {
  let processed = 0;
  let duplicates = 0;
  const lost: string[] = [];
  for (const id of accepted) {
    const n = record.get(id) ?? 0;
    if (n === 0) lost.push(id);
    else processed++;
    if (n > 1) duplicates += n - 1;
  }
  return { accepted: accepted.size, processed, duplicates, lost };
}

export function formatTally(scenario: string, t: Tally): string {
  return `tally ${scenario}: accepted=${t.accepted} processed=${t.processed} duplicates=${t.duplicates} lost=${t.lost.length}`;
}

/**
 * Waits (bounded) until every accepted webhook shows in the record, prints the
 * tally line and the answers seen, and fails on any loss. Returns the tally.
 */
export async function expectNoLoss(scenario: string, load: Load, record: string): Promise<Tally> {
  await waitFor(() => tally(load.accepted, readRecord(record)).lost.length === 0, {
    what: 'every accepted webhook processed',
    timeoutMs: 60_000,
  }).catch(() => undefined); // the tally below says what is missing
  const t = tally(load.accepted, readRecord(record));
  console.log(formatTally(scenario, t));
  console.log(`answers: ${JSON.stringify(Object.fromEntries(load.outcomes))}`);
  assert.deepEqual(t.lost, [], 'no accepted webhook is lost');
  return t;
}
