/**
 * The completion record of the embedded-store fault scenarios: the fixture
 * appends each completed job id to a file (FIXTURE_RECORD_FILE), which outlives
 * the service and needs no Redis.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Load } from './load.js';
import { assertNoneLost, printTally, type Tally, tallyOf } from './tally.js';
import { waitFor } from './wait.js';

/** Job id -> times processed. */
export function readRecord(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(file)) return counts;
  for (const id of readFileSync(file, 'utf8').split('\n')) {
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Waits (bounded) until every accepted webhook shows in the record, prints the
 * tally line and the answers seen, and fails on any loss. Returns the tally.
 */
export async function expectNoLoss(scenario: string, load: Load, file: string): Promise<Tally> {
  await waitFor(() => tallyOf(load.accepted, readRecord(file)).lost === 0, {
    what: 'every accepted webhook processed',
    timeoutMs: 60_000,
  }).catch(() => undefined); // the tally below says what is missing
  const t = tallyOf(load.accepted, readRecord(file));
  printTally(scenario, t);
  console.log(`answers: ${load.summary()}`);
  assertNoneLost(t);
  return t;
}
