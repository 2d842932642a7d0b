/**
 * Fault scenario, embedded store: fault 10 on SQLite. The service is SIGKILLed
 * while it forwards events to two destinations (one fast, one slower), webhooks
 * keep arriving, and it is restarted on the same data directory. Every accepted
 * event reaches every destination; a pair may arrive twice only if its delivery
 * was running at the kill (or an attempt failed), with the same webhook-id.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { queueFile } from '../../src/store/sqlite/sqlite-store.js';
import { killServiceProcesses, startServiceProcess } from '../helpers/child.js';
import { ADMIN_TOKEN, deliveryRig, loggedPairs } from '../helpers/delivery-rig.js';
import {
  assertEveryPairDelivered,
  assertRepeatsExplained,
  pairKey,
  printDeliveryTally,
} from '../helpers/delivery-tally.js';
import { Load } from '../helpers/load.js';
import { freePort } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';

const EVENTS = 1_200;
const QUEUE = 'deliveries';

const dir = mkdtempSync(join(tmpdir(), 'wp-fault-dkill9-'));
after(async () => {
  await killServiceProcesses();
  rmSync(dir, { recursive: true, force: true });
});

/** Deliveries running when the process died (`<destination> <event id>`), read from its file. */
function runningDeliveries(file: string): Set<string> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(`SELECT job_id, lane FROM jobs WHERE state = 'running' AND lane != ''`)
      .all() as { job_id: string; lane: string }[];
    return new Set(rows.map((r) => pairKey(r.lane, r.job_id)));
  } finally {
    db.close();
  }
}

describe('SQLite store: kill -9 mid-delivery', () => {
  it('delivers every accepted event to every destination after a SIGKILL and a restart', {
    timeout: 120_000,
  }, async (tc) => {
    const d = await deliveryRig({
      fast: { delayMs: 0, concurrency: 8 },
      slow: { delayMs: 30, concurrency: 8 },
    });
    const fast = d.receivers.get('fast');
    const slow = d.receivers.get('slow');
    assert.ok(fast && slow);
    const dataDir = join(dir, 'data');
    const env = {
      STORE: 'sqlite',
      DATA_DIR: dataDir,
      QUEUE_NAME: QUEUE,
      PORT: String(await freePort()),
      WORKER_COUNT: '2',
      TIMEOUT: '2s',
      RECLAIM_IDLE: '3s',
      QUEUE_SIZE: '100000',
      ...d.env,
    };
    const first = await startServiceProcess(env);
    let service = first;
    const load = new Load({
      target: () => service.url,
      concurrency: 16,
      requestTimeoutMs: 5_000,
    }).start(EVENTS);
    // A failed step must not leave the sender resending forever.
    tc.after(() => load.stop());

    await waitFor(
      () => load.accepted.size >= EVENTS * 0.4 && fast.received.length > 0 && slow.open > 0,
      { what: 'deliveries under way', timeoutMs: 30_000, intervalMs: 5 },
    );
    const openAtSlow = slow.open;
    first.proc.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    const acceptedAtKill = load.accepted.size;
    const inFlight = runningDeliveries(queueFile(dataDir, QUEUE));

    service = await startServiceProcess(env);
    await load.done();
    const t = await d.settle(load, () => service.url, 50_000);
    const failedAttempts = loggedPairs(
      [...first.lines, ...service.lines],
      'delivery attempt failed',
    );
    printDeliveryTally('sqlite delivery kill -9', t, {
      sent: load.started,
      accepted_at_kill: acceptedAtKill,
      in_flight_at_kill: inFlight.size,
      open_at_slow_receiver: openAtSlow,
      failed_attempts: failedAttempts.size,
      first_on_later_attempt: t.firstOnLaterAttempt.size,
      delivered_without_seen_202: t.deliveredWithoutSeen202,
      webhook_id_mismatches: t.webhookIdMismatches.length,
    });

    assertEveryPairDelivered(t);
    assert.equal(
      load.accepted.size,
      EVENTS,
      `every event is accepted in the end: ${load.summary()}`,
    );
    assert.ok(inFlight.size > 0, 'the kill hit while deliveries were running');
    const explained = (pair: string) => inFlight.has(pair) || failedAttempts.has(pair);
    assertRepeatsExplained(t, explained, 'it was running at the kill or an attempt of it failed');
    assert.deepEqual(load.dedupeMismatches, [], 'a resent event gets its original job id');
    const dlq = await fetch(`${service.url}/admin/dlq`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(((await dlq.json()) as { items: unknown[] }).items.length, 0, 'no dead letters');
    service.proc.kill('SIGTERM');
    assert.equal((await service.exited).code, 0);
  });
});
