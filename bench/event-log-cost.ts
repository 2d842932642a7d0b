/**
 * What the embedded event log costs ingest: enqueues 20,000 webhooks of about
 * 1 KiB, in batches of 50 at once, through an SqliteStore on a scratch file,
 * with the log off, on without bodies, and on (the default), and prints the
 * event loop's time in ingest commits per webhook. With bodies it also waits
 * for the background payload index to catch up and prints its time per event.
 * Then it drains the queue as the workers do, claims of 10 and their
 * completions in one batch, and prints the event loop's time per job.
 *
 *   node --import tsx bench/event-log-cost.ts [events] [batch]
 *
 * Small and in-process, unlike `npm run bench`: it measures the store, not the
 * service, and runs in a few seconds.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { EventLogOptions } from '../src/store/event-log.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { JobRecord } from '../src/store/store.js';
import { bodyWithId } from './body.js';

const EVENTS = Number(process.argv[2] ?? 20_000);
const BATCH = Number(process.argv[3] ?? 50);

/** About 1 KiB of JSON shaped like a provider's, unique per event. */
function payload(i: number): string {
  const body = JSON.parse(bodyWithId(`${i}_${randomUUID()}`)) as Record<string, unknown>;
  body.lines = Array.from({ length: 9 }, (_, k) => ({
    sku: `sku_${(i * 7 + k) % 9973}`,
    description: `Line item ${k} of order ${i}`,
    quantity: (i + k) % 5,
  }));
  return JSON.stringify(body);
}

function webhook(payload: string): JobRecord {
  return {
    id: randomUUID(),
    type: 'payment.succeeded',
    source: 'default',
    payload,
    receivedAt: Date.now(),
  };
}

async function measure(name: string, eventLog: EventLogOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wp-log-cost-'));
  const store = new SqliteStore({
    file: join(dir, 'queue.sqlite'),
    consumer: 'bench',
    log: pino({ level: 'silent' }),
    commitWindowMs: 1,
    eventLog,
  });
  await store.init();
  try {
    const bodies = Array.from({ length: EVENTS }, (_, i) => payload(i));
    const started = performance.now();
    for (let i = 0; i < EVENTS; i += BATCH) {
      await Promise.all(
        bodies.slice(i, i + BATCH).map((p) => store.enqueue(webhook(p), undefined)),
      );
    }
    const wall = performance.now() - started;
    const c = store.commitStats;
    const bytes = Math.round(bodies.reduce((n, b) => n + b.length, 0) / EVENTS);
    let line = `${name}: ${(c.commitMs / c.items).toFixed(3)} ms commit per webhook (longest ${c.maxCommitMs.toFixed(1)} ms), ${(wall / EVENTS).toFixed(3)} ms wall, ${bytes} B bodies`;
    if (eventLog.payloads && eventLog.maxEvents > 0) {
      const idx = store.events.index;
      while (!idx.caughtUp()) await new Promise((r) => setTimeout(r, 50));
      line += `; index: ${(idx.stats.ms / Math.max(1, idx.stats.rows)).toFixed(3)} ms per event in ${idx.stats.batches} batches (longest ${idx.stats.maxMs.toFixed(1)} ms)`;
    }
    const drained = performance.now();
    let jobs = 0;
    for (;;) {
      const claimed = await store.claim(10, 0);
      if (claimed.length === 0) break;
      await store.complete(
        claimed,
        claimed.map(() => ({ startedAt: Date.now(), durationMs: 1 })),
      );
      jobs += claimed.length;
    }
    if (jobs !== EVENTS) throw new Error(`drained ${jobs} of ${EVENTS} jobs`);
    line += `; drain: ${((performance.now() - drained) / jobs).toFixed(3)} ms per job`;
    console.log(line);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = { maxEvents: 100_000, retentionMs: 3_600_000 };
await measure('log off', { ...base, maxEvents: 0, payloads: false });
await measure('log on, no bodies', { ...base, payloads: false });
await measure('log on', { ...base, payloads: true });
