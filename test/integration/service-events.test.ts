/**
 * The service's outcome events: one per job or delivery outcome, typed, emitted
 * only once the store holds that outcome; a listener that throws changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { PermanentError, RetryLaterError } from '../../src/handlers/handler.js';
import type { ServiceEventMap, ServiceEventName } from '../../src/service-events.js';
import { postWebhook } from '../helpers/http.js';
import { type Receiver, startReceiver } from '../helpers/recording-receiver.js';
import { withService } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

type Seen = {
  [K in ServiceEventName]: { name: K; event: ServiceEventMap[K][0] };
}[ServiceEventName];

const NAMES: ServiceEventName[] = [
  'job:completed',
  'job:failed',
  'job:retrying',
  'job:dead',
  'delivery:delivered',
  'delivery:failed',
  'delivery:dead',
];

function record(service: Service): Seen[] {
  const seen: Seen[] = [];
  for (const name of NAMES) {
    service.on(name, (event) => seen.push({ name, event } as Seen));
  }
  return seen;
}

async function send(service: Service, type: string, id: string): Promise<string> {
  const res = await postWebhook(service.app, { id }, { 'x-event-type': type });
  assert.equal(res.statusCode, 202, res.body);
  return String(res.json().id);
}

const FAST = { RETRY_BASE_DELAY: '1ms', RETRY_MAX_DELAY: '5ms', MAX_RETRIES: '1' };

describe('service events', () => {
  it('reports each job outcome after the store has it', async () => {
    let flakyRuns = 0;
    let laterRuns = 0;
    await withService(
      FAST,
      async (service) => {
        const seen = record(service);
        const deadInStore: Promise<boolean>[] = [];
        service.on('job:dead', (e) => {
          deadInStore.push(
            service.store.peekDead(10).then((d) => d.some((x) => x.job.id === e.jobId)),
          );
        });
        const ok = await send(service, 'ev.ok', 'a');
        const bad = await send(service, 'ev.bad', 'b');
        const flaky = await send(service, 'ev.flaky', 'c');
        const later = await send(service, 'ev.later', 'd');
        await waitFor(() => seen.filter((s) => s.name === 'job:completed').length === 3, {
          what: 'three completions',
        });
        await waitFor(() => seen.some((s) => s.name === 'job:dead'), { what: 'the dead letter' });
        const of = (id: string) =>
          seen.filter((s) => s.event.jobId === id).map((s) => [s.name, s.event.attempt]);
        assert.deepEqual(of(ok), [['job:completed', 1]]);
        assert.deepEqual(of(bad), [
          ['job:failed', 1],
          ['job:dead', 1],
        ]);
        assert.deepEqual(of(flaky), [
          ['job:failed', 1],
          ['job:retrying', 1],
          ['job:completed', 2],
        ]);
        assert.deepEqual(of(later), [
          ['job:retrying', 1],
          ['job:completed', 1],
        ]);
        const dead = seen.find((s) => s.name === 'job:dead');
        assert.ok(dead?.name === 'job:dead');
        assert.equal(dead.event.reason, 'permanent');
        assert.equal(dead.event.error, 'PermanentError: refused');
        assert.equal(dead.event.type, 'ev.bad');
        const retry = seen.find((s) => s.name === 'job:retrying' && s.event.jobId === later);
        assert.ok(retry?.name === 'job:retrying');
        assert.equal(retry.event.attemptSpent, false);
        assert.deepEqual(await Promise.all(deadInStore), [true], 'in the DLQ when reported');
      },
      {
        handlers: {
          'ev.ok': () => undefined,
          'ev.bad': () => {
            throw new PermanentError('refused');
          },
          'ev.flaky': () => {
            if (++flakyRuns === 1) throw new Error('once');
          },
          'ev.later': () => {
            if (++laterRuns === 1) throw new RetryLaterError(1);
          },
        },
      },
    );
  });

  it('ignores a listener that throws', async () => {
    let runs = 0;
    await withService(
      FAST,
      async (service) => {
        const completed: string[] = [];
        service.on('job:completed', () => {
          throw new Error('listener bug');
        });
        service.on('job:completed', (e) => completed.push(e.jobId));
        const id = await send(service, 'ev.once', 'x');
        await waitFor(() => completed.includes(id), { what: 'the second listener' });
        assert.equal(runs, 1, 'the job ran once: a listener error is not a job failure');
        assert.equal((await service.store.stats()).inProgress, 0);
      },
      { handlers: { 'ev.once': () => void runs++ } },
    );
  });

  describe('deliveries', () => {
    let receiver: Receiver;
    before(async () => {
      receiver = await startReceiver((req) => {
        const body = JSON.parse(req.body.toString()) as { id: string };
        if (body.id === 'refused') return { status: 400 };
        const tries = receiver.received.filter((r) => r.body.equals(req.body)).length;
        return { status: tries === 1 ? 503 : 200 };
      });
    });
    after(() => receiver.close());

    it('reports delivered, failed and dead deliveries after the queue has them', async () => {
      await withService({ ...FAST, FORWARD_URL: receiver.url }, async (service) => {
        const seen = record(service);
        const retried = await send(service, 'ev.forward', 'retried');
        const refused = await send(service, 'ev.forward', 'refused');
        await waitFor(() => seen.some((s) => s.name === 'delivery:delivered'), {
          what: 'the delivery',
        });
        await waitFor(() => seen.some((s) => s.name === 'delivery:dead'), {
          what: 'the refusal',
        });
        const of = (id: string) =>
          seen
            .filter((s) => s.name.startsWith('delivery:') && s.event.jobId === id)
            .map((s) => [s.name, s.event.attempt, 'status' in s.event ? s.event.status : '']);
        assert.deepEqual(of(retried), [
          ['delivery:failed', 1, 503],
          ['delivery:delivered', 2, 200],
        ]);
        assert.deepEqual(of(refused), [
          ['delivery:failed', 1, 400],
          ['delivery:dead', 1, 400],
        ]);
        const dead = seen.find((s) => s.name === 'delivery:dead');
        assert.ok(dead?.name === 'delivery:dead');
        assert.equal(dead.event.destination, 'default');
        assert.equal(dead.event.reason, 'permanent');
      });
    });
  });
});
