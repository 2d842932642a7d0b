/**
 * The delivery queues of destinations that left the configuration: found with
 * SCAN, and emptied into the DLQ one atomic batch at a time (retire-lane-6.lua),
 * each delivery recorded dead in the event log.
 */
import type { Redis } from 'ioredis';
import type { RetiredLane } from '../store.js';
import { laneKeys, queueKeys } from './keys.js';
import type { OutcomeLog, QueueScripts } from './scripts.js';

/** Deliveries moved per script call: a short step for Redis, few round trips. */
const RETIRE_BATCH = 200;
const SCAN_COUNT = 1_000;
const LANE_SUFFIXES = [':delayed', ':delayed:data'];

/**
 * Names of the destinations with a delivery queue (its stream or its retry
 * schedule). Destination names cannot contain ':', so any longer key under the
 * prefix is one of a lane's own keys.
 */
export async function storedLaneNames(cmd: Redis, queueName: string): Promise<string[]> {
  const prefix = queueKeys(queueName).lanePrefix;
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await cmd.scan(
      cursor,
      'MATCH',
      `${escapeGlob(prefix)}*`,
      'COUNT',
      SCAN_COUNT,
    );
    cursor = next;
    for (const key of keys) {
      let rest = key.slice(prefix.length);
      for (const suffix of LANE_SUFFIXES) {
        if (rest.endsWith(suffix)) rest = rest.slice(0, -suffix.length);
      }
      if (rest !== '' && !rest.includes(':')) names.add(rest);
    }
  } while (cursor !== '0');
  return [...names].sort();
}

export async function retireLane(
  scripts: QueueScripts,
  queueName: string,
  destination: string,
  idleMs: number,
  error: string,
  outcomes: () => OutcomeLog,
): Promise<RetiredLane> {
  const keys = laneKeys(queueName, destination);
  let deadLettered = 0;
  for (;;) {
    const [moved, held, , more] = await scripts.retireLane(
      keys,
      keys.group,
      idleMs,
      RETIRE_BATCH,
      error,
      outcomes(),
    );
    deadLettered += moved;
    if (more !== 1) return { deadLettered, held };
  }
}

/** The queue name may hold glob characters; SCAN MATCH must take them literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
