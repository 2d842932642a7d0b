/**
 * Our service, built exactly as `runService` builds it (configuration from the
 * environment, so WORKER_COUNT, HTTP_INGEST, STORE… apply), with a no-op handler
 * for every event type.
 *
 * With BENCH_E2E=1 it also measures, in this one process and on one clock, the
 * time from a 202 being written to the socket to its job's handler starting.
 * With BENCH_E2E=sent / started it marks those two events per job id for the
 * bench to pair (separate ingest and worker instances).
 */
import { createService } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { HandlerRegistry } from '../../src/handlers/registry.js';
import { createLogger } from '../../src/logger.js';
import { E2eClock, E2eMarks } from './e2e-clock.js';
import { JobCounter, serve } from './ipc.js';

const config = loadConfig(process.env);
const counter = new JobCounter();
const e2e = process.env.BENCH_E2E === '1' ? new E2eClock() : undefined;
// Separate roles: `sent` on the ingest-only instance, `started` on the worker-only one.
const marks =
  process.env.BENCH_E2E === 'sent' || process.env.BENCH_E2E === 'started'
    ? new E2eMarks()
    : undefined;

const service = createService({
  config,
  log: createLogger(config.logLevel),
  handlers: new HandlerRegistry(async (job) => {
    counter.started();
    e2e?.handlerStarted(job.id, job.receivedAt.getTime());
    marks?.started(job.id);
    counter.finished();
  }),
});
if (e2e) e2e.install(service.app);
if (marks && process.env.BENCH_E2E === 'sent') marks.installSent(service.app);
const url = await service.start();
serve({
  url,
  store: service.store.kind,
  report: () => ({ ...counter.report(), ...e2e?.report(), ...marks?.report() }),
  stop: () => service.stop(),
});
