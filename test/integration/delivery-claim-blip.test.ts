/**
 * A delivery claimed in the instant its instance's command connection drops:
 * the claim (on the reader connection) got it, but the breaker cannot be asked
 * again before sending. It must go out once the connection is back, as its
 * first attempt, instead of staying held by a live instance until the reclaim
 * counts it as a lost run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Receiver, startReceiver } from '../helpers/recording-receiver.js';
import { dropQueue, redisClient } from '../helpers/redis.js';
import { startedService, testConfig, testStore } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

describe('a claim that meets a dropped command connection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wp-claim-blip-'));
  const redis = redisClient();
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the delivery once the connection is back, on its first attempt, without waiting for the reclaim', async () => {
    const receiver: Receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    const file = join(dir, 'config.yaml');
    // Timeout 1s: a delivery held by a live instance would wait 16s for the reclaim.
    writeFileSync(
      file,
      `destinations:\n  d: { url: ${receiver.url}, timeout: 1s, max_retries: 0 }\nroutes:\n  - { source: "*", to: [d] }\n`,
    );
    const config = testConfig({ CONFIG_FILE: file, WORKER_COUNT: '1' });
    const service = await startedService(config);
    cleanup.push(() => dropQueue(redis, config.queueName));
    cleanup.push(() => service.stop(2_000));
    // Another instance, which accepts the event while this one's connection is down.
    const ingest = testStore(config);
    ingest.lane('d');
    await ingest.init();
    cleanup.push(() => ingest.close());

    const clients = async () => ((await redis.client('LIST')) as string).split('\n');
    const readerName = `name=webhook-processor:${service.consumer}:reader `;
    // Every reader of the instance (the handlers' and the destination's) waits in XREADGROUP.
    await waitFor(
      async () => {
        const readers = (await clients()).filter((l) => l.includes(readerName));
        return readers.length >= 2 && readers.every((l) => /\bflags=b\b/.test(l));
      },
      { what: 'the readers to block waiting for work' },
    );
    const cmd = (await clients()).find((l) =>
      l.includes(` name=webhook-processor:${service.consumer} `),
    );
    const cmdId = cmd && /\bid=(\d+)/.exec(cmd)?.[1];
    assert.ok(cmdId, 'the command connection is listed');
    await redis.client('KILL', 'ID', cmdId);
    const id = randomUUID();
    await ingest.enqueue(
      {
        id,
        type: 't.blip',
        source: 'default',
        payload: '{"blip":true}',
        receivedAt: Date.now(),
      },
      undefined,
      { handlers: false, destinations: ['d'] },
    );

    await waitFor(() => receiver.received.length === 1, {
      what: 'the delivery, soon after the connection is back',
      timeoutMs: 8_000,
    });
    const [got] = receiver.received;
    assert.equal(got?.headers['x-webhook-event-id'], id);
    assert.equal(got?.headers['x-webhook-attempt'], '1', 'waiting spent no attempt');
    await waitFor(
      async () => {
        const stats = await service.store.lane('d').stats();
        return stats.waiting + stats.inProgress + stats.scheduled === 0;
      },
      { what: 'the delivery to be recorded' },
    );
    assert.equal((await service.store.stats()).dead, 0, 'nothing was dead-lettered');
    assert.equal(receiver.received.length, 1, 'sent once');
  });
});
