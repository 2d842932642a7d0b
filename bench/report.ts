/**
 * The run's figures: the printed table, the targets, and the JSON record.
 */
import type { DrainFigures } from './phases/drain.js';
import type { E2eFigures } from './phases/e2e.js';
import type { IngestFigures } from './phases/ingest.js';
import type { OverloadFigures } from './phases/overload.js';
import { round } from './stats.js';

export interface Results {
  ingest: Record<string, IngestFigures>;
  drain: Record<string, DrainFigures>;
  e2e: Record<string, E2eFigures>;
  overload: Record<string, OverloadFigures>;
  /** Stores that were asked for and skipped, with the reason. */
  skipped: Record<string, string>;
}

export interface Target {
  store: string;
  name: string;
  value: number | undefined;
  goal: string;
  met: boolean | undefined;
}

/** The targets, for every store of ours that ran. */
export function targets(r: Results, stores: readonly string[]): Target[] {
  const out: Target[] = [];
  const add = (
    store: string,
    name: string,
    value: number | undefined,
    goal: string,
    ok: (v: number) => boolean,
  ) => out.push({ store, name, value, goal, met: value === undefined ? undefined : ok(value) });
  for (const store of stores) {
    if (r.skipped[store]) continue;
    const ours = r.ingest[`ours:${store}`];
    const bare = r.ingest.bare;
    const bull = r.ingest.bullmq;
    add(
      store,
      'ingest ÷ bare Fastify',
      ours && bare ? round(ours.rps / bare.rps) : undefined,
      '≥ 0.85',
      (v) => v >= 0.85,
    );
    add(
      store,
      'ingest ÷ BullMQ route',
      ours && bull ? round(ours.rps / bull.rps) : undefined,
      '≥ 1.6',
      (v) => v >= 1.6,
    );
    const d = r.drain[`ours:${store}`];
    const db = r.drain.bullmq;
    add(
      store,
      'drain ÷ BullMQ Worker',
      d && db ? round(d.jobsPerS / db.jobsPerS) : undefined,
      '≥ 2.5',
      (v) => v >= 2.5,
    );
    add(store, 'e2e p99 at half load (ms)', r.e2e[store]?.e2e.p99, '< 25', (v) => v < 25);
    const o = r.overload[store];
    add(store, 'overload RSS growth (MB)', o?.rssGrowthMB, '< 100', (v) => v < 100);
    add(store, 'overload lost', o?.lost, '= 0', (v) => v === 0);
    add(store, 'overload p99 of 503s (ms)', o?.p99of503Ms, '< 5', (v) => v < 5);
  }
  return out;
}

function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) =>
    r.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US') : c)),
  );
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length))) ?? [];
  return cells
    .map((r) =>
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

const LABELS: Record<string, string> = {
  bare: 'bare Fastify (ceiling)',
  bullmq: 'BullMQ Queue.add route',
};
const label = (key: string) =>
  LABELS[key] ?? key.replace(/^ours:(.*)$/, 'ours, POST /webhooks ($1)');

export function render(r: Results, t: Target[], header: string): string {
  const parts: string[] = [header];
  if (Object.keys(r.ingest).length > 0) {
    parts.push(
      '1. Ingest (closed loop, autocannon, same settings for all)',
      table([
        [
          'server',
          'req/s',
          'p50 ms',
          'p99 ms',
          'non-2xx',
          'errors',
          'CPU µs/req',
          'Redis µs/req',
          'cores: server/redis/loadgen',
          'cmds/write',
        ],
        ...Object.entries(r.ingest).map(([k, f]) => [
          label(k),
          f.rps,
          f.p50Ms,
          f.p99Ms,
          f.non2xx,
          f.errors,
          f.serverCpuUsPerReq,
          f.redisCpuUsPerReq,
          `${f.cores.server}/${f.cores.redis}/${f.cores.generator}`,
          f.redisCommandsPerRead,
        ]),
      ]),
    );
  }
  if (Object.keys(r.drain).length > 0) {
    parts.push(
      '2. Drain (preloaded jobs, no-op handler, same concurrency)',
      table([
        ['worker', 'jobs', 'seconds', 'jobs/s', 'CPU µs/job', 'Redis µs/job'],
        ...Object.entries(r.drain).map(([k, f]) => [
          k === 'bullmq' ? 'BullMQ Worker' : label(k).replace('POST /webhooks', 'worker pool'),
          f.jobs,
          round(f.seconds),
          f.jobsPerS,
          f.workerCpuUsPerJob,
          f.redisCpuUsPerJob,
        ]),
      ]),
    );
  }
  for (const [store, e] of Object.entries(r.e2e)) {
    parts.push(
      `3. End-to-end, ours (${store}): 202 sent → handler start, at ${e.rate.toLocaleString('en-US')} req/s (half of max)`,
      table([
        ['', 'count', 'p50 ms', 'p99 ms', 'max ms'],
        ['202 → handler start', e.e2e.count, e.e2e.p50, e.e2e.p99, e.e2e.max],
        ['client: request → 202', e.http202.count, e.http202.p50, e.http202.p99, e.http202.max],
      ]),
    );
  }
  for (const [store, o] of Object.entries(r.overload)) {
    parts.push(
      `4. Overload, ours (${store}): ${o.rate.toLocaleString('en-US')} req/s offered (2× max) for ${o.seconds}s`,
      table([
        [
          'offered',
          'accepted',
          '503s',
          '503 share',
          'p50/p99 503 ms',
          'p99 202 ms',
          'RSS before→after (peak) MB',
          'processed',
          'lost',
        ],
        [
          o.offered,
          o.accepted,
          o.byStatus['503'] ?? 0,
          `${round(o.share503 * 100, 1)}%`,
          `${o.p50of503Ms}/${o.p99of503Ms}`,
          o.p99of202Ms,
          `${o.rssBeforeMB}→${o.rssAfterMB} (${o.rssPeakMB})`,
          o.processed,
          o.lost,
        ],
      ]),
      `   503 codes: ${JSON.stringify(o.rejectedByCode)}; client errors: ${o.clientErrors}`,
    );
  }
  for (const [store, why] of Object.entries(r.skipped))
    parts.push(`(skipped ours on ${store}: ${why})`);
  parts.push(
    'Targets',
    table([
      ['store', 'metric', 'value', 'target', 'met'],
      ...t.map((x) => [
        x.store,
        x.name,
        x.value ?? '-',
        x.goal,
        x.met === undefined ? '-' : x.met ? 'yes' : 'NO',
      ]),
    ]),
  );
  return parts.join('\n\n');
}
