/**
 * Embedded stores for the event-log tests: each on a file of its own, with the
 * destinations `billing` and `crm`, on a clock the test can move forward (wall
 * and monotonic together, so the store sees time pass, not a step).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventLogOptions } from '../../src/store/event-log.js';
import type { TimeSource } from '../../src/store/sqlite/clock.js';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/sqlite-store.js';
import type { JobRecord } from '../../src/store/store.js';
import { silentLog } from './service.js';

export class MovableTime implements TimeSource {
  private offset = 0;
  wallMs = () => Date.now() + this.offset;
  monotonicMs = () => performance.now() + this.offset;
  advance(ms: number): void {
    this.offset += ms;
  }
}

export const DESTINATIONS = ['billing', 'crm'] as const;

export class EventLogStores {
  private readonly root = mkdtempSync(join(tmpdir(), 'wp-event-log-'));
  private readonly opened: SqliteStore[] = [];

  async open(
    eventLog?: EventLogOptions,
    time: TimeSource = new MovableTime(),
    file = join(this.root, `${randomUUID()}.sqlite`),
    more: Partial<SqliteStoreOptions> = {},
  ): Promise<SqliteStore> {
    const store = new SqliteStore({
      ...more,
      file,
      consumer: `c-${randomUUID()}`,
      log: silentLog,
      commitWindowMs: 1,
      time,
      ...(eventLog ? { eventLog } : {}),
    });
    for (const d of DESTINATIONS) store.lane(d);
    await store.init();
    this.opened.push(store);
    return store;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.opened.splice(0).map((s) => s.close()));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A job envelope as ingest makes one; `over` replaces any field. */
export function job(over: Partial<JobRecord> = {}): JobRecord {
  return {
    id: randomUUID(),
    type: 'order.created',
    source: 'default',
    payload: JSON.stringify({ order: randomUUID() }),
    receivedAt: Date.now(),
    headers: { 'user-agent': 'test' },
    contentType: 'application/json',
    ...over,
  };
}
