/**
 * The run's figures: the printed table, the targets, and the JSON record.
 */
import type { DrainFigures } from './phases/drain.js';
import type { E2eFigures } from './phases/e2e.js';
import type { ForwardFigures } from './phases/forward.js';
import { type IngestFigures, medianRatio } from './phases/ingest.js';
import type { OverloadFigures } from './phases/overload.js';
import { round } from './stats.js';

export interface Results {
  /** Median of the rounds, per server. */
  ingest: Record<string, IngestFigures>;
  /** Every interleaved round. */
  ingestRounds: Record<string, IngestFigures>[];
  drain: Record<string, DrainFigures>;
  e2e: Record<string, E2eFigures>;
  /** The same, with an ingest-only and a worker-only instance. */
  e2eSeparateRoles: Record<string, E2eFigures>;
  overload: Record<string, OverloadFigures>;
  /** `bareUndici` and `ours:<store>`: deliveries to a no-op receiver. */
  forward: Record<string, ForwardFigures>;
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

const atLeast = (min: number) => ({ goal: `≥ ${min}`, ok: (v: number) => v >= min });
const below = (max: number) => ({ goal: `< ${max}`, ok: (v: number) => v < max });
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined ? round(a / b) : undefined;

const e2eP99 = (e: Results['e2e'][string] | undefined) => {
  if (e === undefined) return undefined;
  const sinceAccept = e.acceptToStart?.p99;
  return sinceAccept === undefined || Number.isNaN(sinceAccept)
    ? e.e2e.p99
    : Math.max(e.e2e.p99, sinceAccept);
};

/** The issue's targets, for every store of ours that ran. */
export function targets(r: Results, stores: readonly string[]): Target[] {
  const out: Target[] = [];
  for (const store of stores) {
    if (r.skipped[store]) continue;
    const oursKey = `ours:${store}`;
    const o = r.overload[store];
    const rows: [string, number | undefined, { goal: string; ok: (v: number) => boolean }][] = [
      ['ingest ÷ bare Fastify', medianRatio(r.ingestRounds, oursKey, 'bare'), atLeast(0.85)],
      ['ingest ÷ BullMQ route', medianRatio(r.ingestRounds, oursKey, 'bullmq'), atLeast(1.6)],
      [
        'drain ÷ BullMQ Worker',
        ratio(r.drain[`ours:${store}`]?.jobsPerS, r.drain.bullmq?.jobsPerS),
        atLeast(2.5),
      ],
      // The stricter of the two: where handlers start before their 202 (SQLite
      // answers after its fsync), "202 → start" alone would read 0.
      ['e2e p99 at half load (ms)', e2eP99(r.e2e[store]), below(25)],
      ['e2e p99 at half load, separate roles (ms)', e2eP99(r.e2eSeparateRoles?.[store]), below(25)],
      ['overload RSS growth (MB)', o?.rssGrowthMB, below(100)],
      ['overload lost', o?.lost, { goal: '= 0', ok: (v) => v === 0 }],
      [
        'overload p99 of 503s (ms)',
        (o?.byStatus['503'] ?? 0) > 0 ? o?.p99of503Ms : undefined,
        below(5),
      ],
    ];
    for (const [name, value, { goal, ok }] of rows)
      out.push({ store, name, value, goal, met: value === undefined ? undefined : ok(value) });
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
  LABELS[key] ??
  key
    .replace(/^ours:(.*)$/, 'ours, POST /webhooks ($1)')
    .replace(/^routed:(.*)$/, 'ours, POST /webhooks ($1), routed to one destination')
    .replace(/^nolog:(.*)$/, 'ours, POST /webhooks ($1), event log off');

/** Ingest in a variant (`prefix:<store>`) ÷ ours as configured by default, per store. */
function variantCost(r: Results, prefix: string, label: string): string | undefined {
  const re = new RegExp(`^${prefix}:(.*)$`);
  const stores = Object.keys(r.ingest).flatMap((k) => re.exec(k)?.[1] ?? []);
  const parts = stores.map(
    (store) =>
      `${store} ${medianRatio(r.ingestRounds, `${prefix}:${store}`, `ours:${store}`) ?? '-'}`,
  );
  return parts.length > 0
    ? `   ${label}, req/s (median of each round's ratio): ${parts.join(', ')}`
    : undefined;
}

const dash = (v: number | undefined) => v ?? '-';

function forwardSection(r: Results): string[] {
  const f = r.forward ?? {};
  const bare = f.bareUndici;
  if (Object.keys(f).length === 0) return [];
  const first = Object.values(f)[0] as ForwardFigures;
  return [
    `5. Forwarding: ${first.deliveries.toLocaleString('en-US')} events already accepted, each sent to a no-op receiver (200, empty body), ${first.concurrency} requests in flight; counted at the receiver`,
    table([
      [
        'sender',
        'deliveries',
        'seconds',
        'deliveries/s',
        '÷ bare undici',
        'to empty s',
        'duplicates',
        'CPU µs/delivery',
        'Redis µs/delivery',
        'receiver µs/req',
        'Redis cmds/writes per delivery',
        'cores: sender/redis/receiver',
      ],
      ...Object.entries(f).map(([k, x]) => [
        k === 'bareUndici'
          ? 'bare undici loop (baseline)'
          : label(k).replace('POST /webhooks', 'delivery-only instance'),
        x.deliveries,
        x.seconds,
        x.deliveriesPerS,
        dash(ratio(x.deliveriesPerS, bare?.deliveriesPerS)),
        dash(x.secondsToEmpty),
        x.duplicates,
        x.senderCpuUsPerDelivery,
        dash(x.redisCpuUsPerDelivery),
        x.receiverCpuUsPerDelivery,
        x.redisCommandsPerDelivery === undefined
          ? '-'
          : `${x.redisCommandsPerDelivery}/${x.redisWritesPerDelivery}`,
        `${x.cores.sender}/${x.cores.redis ?? '-'}/${x.cores.receiver}`,
      ]),
    ]),
  ];
}

export function render(r: Results, t: Target[], header: string): string {
  const parts: string[] = [header];
  if (Object.keys(r.ingest).length > 0) {
    parts.push(
      `1. Ingest (closed loop, autocannon, same settings for all; median of ${r.ingestRounds.length} interleaved round(s), ratios are medians of each round's ratio)`,
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
    for (const line of [
      variantCost(r, 'routed', 'routing at ingest: routed ÷ no routes'),
      variantCost(r, 'nolog', 'the event log: log off ÷ log on (the default)'),
    ]) {
      if (line) parts.push(line);
    }
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
    const logCost = Object.keys(r.drain)
      .flatMap((k) => /^nolog:(.*)$/.exec(k)?.[1] ?? [])
      .map((store) => {
        const off = r.drain[`nolog:${store}`]?.jobsPerS;
        const on = r.drain[`ours:${store}`]?.jobsPerS;
        return `${store} ${ratio(off, on) ?? '-'}`;
      });
    if (logCost.length > 0) {
      parts.push(`   the event log: log off ÷ log on (the default), jobs/s: ${logCost.join(', ')}`);
    }
  }
  for (const [store, e] of Object.entries(r.e2e)) {
    parts.push(
      `3. End-to-end, ours (${store}): 202 sent → handler start, at ${e.rate.toLocaleString('en-US')} req/s (half of max)`,
      table([
        ['', 'count', 'p50 ms', 'p99 ms', 'max ms'],
        ['202 → handler start', e.e2e.count, e.e2e.p50, e.e2e.p99, e.e2e.max],
        [
          'accepted → handler start (1 ms res.)',
          e.acceptToStart.count,
          e.acceptToStart.p50,
          e.acceptToStart.p99,
          e.acceptToStart.max,
        ],
        ['client: request → 202', e.http202.count, e.http202.p50, e.http202.p99, e.http202.max],
      ]),
      `   server used ${e.serverCores} cores, load generator ${e.generatorCores}; ${e.handlerBefore202} handlers started before their 202 was sent (counted as 0 ms); ${e.notAccepted} requests not accepted`,
    );
  }
  for (const [store, e] of Object.entries(r.e2eSeparateRoles ?? {})) {
    parts.push(
      `3b. End-to-end, ours (${store}) as separate ingest-only and worker-only instances: 202 sent → handler start, at ${e.rate.toLocaleString('en-US')} req/s (half of max)`,
      table([
        ['', 'count', 'p50 ms', 'p99 ms', 'max ms'],
        ['202 → handler start', e.e2e.count, e.e2e.p50, e.e2e.p99, e.e2e.max],
        ['client: request → 202', e.http202.count, e.http202.p50, e.http202.p99, e.http202.max],
      ]),
      `   both instances used ${e.serverCores} cores, load generator ${e.generatorCores}; ${e.handlerBefore202} handlers started before their 202 was sent (counted as 0 ms); ${e.notAccepted} requests not accepted`,
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
          // With no 503 there is no latency of one to show.
          (o.byStatus['503'] ?? 0) > 0 ? `${o.p50of503Ms}/${o.p99of503Ms}` : '-',
          o.p99of202Ms,
          `${o.rssBeforeMB}→${o.rssAfterMB} (${o.rssPeakMB})`,
          o.processed,
          o.lost,
        ],
      ]),
      `   503 codes: ${JSON.stringify(o.rejectedByCode)}; client errors: ${o.clientErrors}; server used ${o.serverCores} cores, load generator ${o.generatorCores}`,
    );
  }
  parts.push(...forwardSection(r));
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
