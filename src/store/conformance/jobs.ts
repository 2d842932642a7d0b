/** Jobs and claiming for the conformance suite. */
import { randomUUID } from 'node:crypto';
import type { Delivery, JobQueue, JobRecord, Store } from '../store.js';
import { waitFor } from './wait.js';

export function job(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: randomUUID(),
    type: 'test.event',
    source: 'default',
    payload: JSON.stringify({ hello: 'world', n: Math.random() }),
    receivedAt: Date.now(),
    ...overrides,
  };
}

export const TTL = 60_000;

/** Claims until `n` deliveries arrived (claims may return fewer than asked). */
export async function claimN(store: JobQueue, n: number): Promise<Delivery[]> {
  const got: Delivery[] = [];
  await waitFor(
    async () => {
      got.push(...(await store.claim(n - got.length, 50)));
      return got.length >= n;
    },
    { what: `${n} deliveries` },
  );
  return got;
}

/** Enqueues `jobs`, claims them and dead-letters each with `attempts` and `error`. */
export async function deadLetterJobs(
  store: Store,
  jobs: readonly JobRecord[],
  attempts = 4,
  error = 'Error: gave up',
): Promise<void> {
  for (const j of jobs) await store.enqueue(j, undefined);
  const held = await claimN(store, jobs.length);
  for (const d of held) {
    if (!(await store.deadLetter(d, attempts, error))) throw new Error('dead-letter refused');
  }
}

/** Waits until the clock has passed `ms`, so that what follows happens strictly later. */
export async function clockPast(ms: number): Promise<void> {
  await waitFor(() => Date.now() > ms, { what: 'the clock to move on', intervalMs: 2 });
}

/** Claims exactly one delivery (failing the test if none comes). */
export async function claimOne(queue: JobQueue): Promise<Delivery> {
  const [d] = await claimN(queue, 1);
  if (!d) throw new Error('no delivery');
  return d;
}
