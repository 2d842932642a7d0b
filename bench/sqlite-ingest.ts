/**
 * What the embedded store's fsync costs the event loop, and what group commit's
 * window changes: ingest throughput, 202 latency and the server's event-loop
 * delay, for each place the fsync can run and each window, beside Redis.
 *
 *   node --import tsx bench/sqlite-ingest.ts [seconds=5] [connections=32] [rounds=3]
 *
 * Each scenario runs the real service (ingest only, WORKER_COUNT=0) in a child
 * process on a fresh queue, loads it with autocannon from this process, and
 * asks the child for its event-loop delay (1 ms resolution) and commit figures.
 * Prints a Markdown table; docs/sqlite-store.md keeps one.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { createService } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { optionsOf } from '../src/store/driver.js';
import { sqliteDriver } from '../src/store/sqlite/driver.js';
import type { FsyncMode } from '../src/store/sqlite/queue-database.js';
import { queueFile, SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { dropQueue, redisClient } from '../test/helpers/redis.js';

interface Scenario {
  name: string;
  store: 'redis' | 'sqlite';
  fsync?: FsyncMode;
  windowMs?: number;
}

interface ServerReport {
  eld: { p50: number; p99: number; max: number };
  commits?: { batches: number; items: number; commitMs: number; maxCommitMs: number };
}

const SCENARIOS: Scenario[] = [
  { name: 'redis (shared, default persistence)', store: 'redis' },
  { name: 'sqlite, fsync inline, window 0', store: 'sqlite', fsync: 'inline', windowMs: 0 },
  { name: 'sqlite, fsync inline, window 2ms', store: 'sqlite', fsync: 'inline', windowMs: 2 },
  { name: 'sqlite, fsync background, window 0', store: 'sqlite', fsync: 'background', windowMs: 0 },
  {
    name: 'sqlite, fsync background, window 2ms',
    store: 'sqlite',
    fsync: 'background',
    windowMs: 2,
  },
  {
    name: 'sqlite, fsync background, window 10ms',
    store: 'sqlite',
    fsync: 'background',
    windowMs: 10,
  },
];

const BODY = '{"id":"[<id>]","type":"payment.succeeded","amount":1000,"currency":"USD"}';

if (process.argv[2] === '--server') {
  await serve(JSON.parse(process.argv[3] ?? '{}') as Scenario);
} else {
  await main(
    Number(process.argv[2] ?? 5),
    Number(process.argv[3] ?? 32),
    Number(process.argv[4] ?? 3),
  );
}

interface Measured {
  rate: number;
  latP50: number;
  latP99: number;
  eldP50: number;
  eldP99: number;
  eldMax: number;
  perCommit: number;
  maxCommit: number;
  errors: number;
}

async function main(seconds: number, connections: number, rounds: number): Promise<void> {
  // autocannon ships no types; this is the part used here.
  const { default: autocannon } = (await import('autocannon' as string)) as {
    default: (o: Record<string, unknown>) => Promise<{
      requests: { average: number };
      latency: { p50: number; p99: number };
      non2xx: number;
      errors: number;
    }>;
  };
  const results = new Map<string, Measured[]>(SCENARIOS.map((s) => [s.name, []]));
  // Rounds interleave the scenarios, so that a burst of load from elsewhere on
  // the machine lands on all of them alike; the table shows medians.
  for (let round = 1; round <= rounds; round++) {
    for (const s of SCENARIOS) {
      const server = await startServer(s);
      if (!server) continue;
      const opts = {
        url: `${server.url}/webhooks`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        idReplacement: true,
        connections,
      };
      await autocannon({ ...opts, duration: 1 }); // warm up
      server.child.send('reset');
      const r = await autocannon({ ...opts, duration: seconds });
      const report = await askReport(server.child);
      await stopServer(server.child);
      const c = report.commits;
      results.get(s.name)?.push({
        rate: r.requests.average,
        latP50: r.latency.p50,
        latP99: r.latency.p99,
        eldP50: report.eld.p50,
        eldP99: report.eld.p99,
        eldMax: report.eld.max,
        perCommit: c && c.batches > 0 ? c.items / c.batches : Number.NaN,
        maxCommit: c ? c.maxCommitMs : Number.NaN,
        errors: r.non2xx + r.errors,
      });
      console.error(`round ${round}: ${s.name}: ${Math.round(r.requests.average)}/s`);
    }
  }
  console.log(
    `\n${seconds}s per scenario, ${connections} connections, WORKER_COUNT=0, median of ${rounds} interleaved rounds\n`,
  );
  console.log(
    '| scenario | 202/s | latency ms p50 / p99 | event-loop delay ms p50 / p99 / max | webhooks per commit | longest commit ms | errors |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const s of SCENARIOS) {
    const runs = results.get(s.name) ?? [];
    if (runs.length === 0) {
      console.log(`| ${s.name} | not run (no Redis on 127.0.0.1:6379) | | | | | |`);
      continue;
    }
    const m = (k: keyof Measured, digits = 0) => median(runs.map((r) => r[k])).toFixed(digits);
    const sqlite = s.store === 'sqlite';
    console.log(
      `| ${s.name} | ${m('rate')} | ${m('latP50')} / ${m('latP99')} | ${m('eldP50', 1)} / ${m('eldP99', 1)} / ${m('eldMax', 1)} | ${sqlite ? m('perCommit', 1) : ''} | ${sqlite ? m('maxCommit', 1) : ''} | ${runs.reduce((n, r) => n + r.errors, 0)} |`,
    );
  }
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function startServer(s: Scenario): Promise<{ child: ChildProcess; url: string } | undefined> {
  const child = fork(process.argv[1] as string, ['--server', JSON.stringify(s)], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  const url = await new Promise<string | undefined>((resolve) => {
    child.once('message', (m) =>
      resolve(typeof m === 'string' && m !== 'no-redis' ? m : undefined),
    );
    child.once('exit', () => resolve(undefined));
  });
  if (!url) {
    await stopServer(child);
    return undefined;
  }
  return { child, url };
}

function askReport(child: ChildProcess): Promise<ServerReport> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as ServerReport));
    child.send('report');
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function serve(s: Scenario): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wp-bench-sqlite-'));
  const config = loadConfig({
    STORE: s.store,
    REDIS_ADDR: '127.0.0.1:6379',
    QUEUE_NAME: `bench_sqlite_${process.pid}`,
    DATA_DIR: dir,
    WORKER_COUNT: '0',
    QUEUE_SIZE: '100000000',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
  });
  const log = pino({ level: 'silent' });
  const store =
    s.store === 'sqlite'
      ? new SqliteStore({
          file: queueFile(optionsOf(sqliteDriver, config).dataDir, config.queueName),
          consumer: 'bench',
          log,
          commitWindowMs: s.windowMs ?? 0,
          fsync: s.fsync ?? 'background',
        })
      : undefined;
  const service = createService({
    config,
    log,
    processMetrics: false,
    ...(store ? { store } : {}),
  });
  let url: string;
  try {
    url = await service.start();
  } catch {
    process.send?.('no-redis');
    process.exit(0);
  }
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  process.on('message', (m) => {
    if (m === 'reset') {
      eld.reset();
      if (store)
        Object.assign(store.commitStats, { batches: 0, items: 0, commitMs: 0, maxCommitMs: 0 });
    }
    if (m === 'report') {
      const ms = (ns: number) => ns / 1e6;
      const report: ServerReport = {
        eld: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) },
        ...(store ? { commits: { ...store.commitStats } } : {}),
      };
      process.send?.(report);
    }
  });
  process.once('SIGTERM', async () => {
    await service.stop(5_000);
    if (s.store === 'redis') await dropRedisQueue(config.queueName);
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
  process.send?.(url);
}

async function dropRedisQueue(queueName: string): Promise<void> {
  const redis = redisClient('127.0.0.1:6379');
  await dropQueue(redis, queueName);
  redis.disconnect();
}
