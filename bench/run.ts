/**
 * `npm run bench`: one command, one run, side by side on one machine and one Redis.
 *
 *   npm run bench                    the full run (a few minutes)
 *   npm run bench -- --quick         short phases, for development
 *   npm run bench -- --only=ingest,drain   some measurements only (ingest, drain, e2e,
 *                                          overload, forward)
 *   npm run bench -- --rate=12000    ours' max ingest rate, when ingest is not measured
 *   npm run bench -- --profile       CPU profiles of every server, in bench/results/profiles/
 *   npm run bench -- --rounds=5      interleaved ingest rounds (default 3; 1 with --quick)
 *
 * BENCH_STORES=redis,sqlite (the default) runs ours on each store; a store this
 * build does not support is skipped and said so. BENCH_APPENDFSYNC=always|everysec
 * (default everysec) sets the Redis AOF policy.
 *
 * Prints a table with the ratios and writes every figure to bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { BenchContext, FULL, QUICK, StoreNotSupported } from './context.js';
import { drainBullmq, drainOurs } from './phases/drain.js';
import { measureE2e, measureE2eSeparateRoles } from './phases/e2e.js';
import { forwardBareUndici, forwardOurs, routeAllTo } from './phases/forward.js';
import { INGEST_ONLY, type IngestFigures, measureIngest, medianFigures } from './phases/ingest.js';
import { measureOverload } from './phases/overload.js';
import { BenchRedis, type Fsync } from './redis.js';
import { type Results, render, targets } from './report.js';

const PHASES = ['ingest', 'drain', 'e2e', 'overload', 'forward'] as const;
type Phase = (typeof PHASES)[number];

function parseArgs(argv: string[]) {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string) =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = value('only')?.split(',') ?? [...PHASES];
  for (const p of only)
    if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--only: unknown phase ${p}`);
  const rate = value('rate') === undefined ? undefined : Number(value('rate'));
  if (rate !== undefined && !(rate > 0)) throw new Error('--rate: expected requests per second');
  const rounds = value('rounds') === undefined ? undefined : Number(value('rounds'));
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds > 0))
    throw new Error('--rounds: expected a whole number of rounds');
  return { quick: flag('quick'), profile: flag('profile'), only: only as Phase[], rate, rounds };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const stores = (process.env.BENCH_STORES ?? 'redis,sqlite').split(',').filter(Boolean);
  const fsync = (process.env.BENCH_APPENDFSYNC ?? 'everysec') as Fsync;
  if (fsync !== 'everysec' && fsync !== 'always')
    throw new Error('BENCH_APPENDFSYNC: expected everysec or always');
  const base = args.quick ? QUICK : FULL;
  const settings = args.rounds === undefined ? base : { ...base, ingestRounds: args.rounds };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = new URL('./results/', import.meta.url).pathname;
  const profileDir = args.profile ? join(resultsDir, 'profiles', stamp) : undefined;
  mkdirSync(profileDir ?? resultsDir, { recursive: true });

  const redis = await BenchRedis.start(fsync);
  const ctx = new BenchContext(settings, redis, profileDir);
  const machine = {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    redis: redis.version,
    appendfsync: fsync,
    loadavgAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
  const header = `webhook-processor bench${args.quick ? ' (QUICK: short phases, for development only)' : ''}
machine: ${machine.nproc} × ${machine.cpu}, node ${machine.node}, redis ${machine.redis} (appendonly yes, appendfsync ${fsync}, noeviction), load average at start ${machine.loadavgAtStart.join(' ')}`;
  ctx.progress(header.replace(/\n/g, ' | '));

  const r: Results = {
    ingest: {},
    ingestRounds: [],
    drain: {},
    e2e: {},
    e2eSeparateRoles: {},
    overload: {},
    forward: {},
    skipped: {},
  };
  const wants = (p: Phase) => args.only.includes(p);
  const live = (store: string) => !r.skipped[store];
  /** Runs one measurement of ours; an unsupported store is skipped from then on. */
  const forStore = async (store: string, f: () => Promise<void>) => {
    if (!live(store)) return;
    try {
      await f();
    } catch (err) {
      if (!(err instanceof StoreNotSupported)) throw err;
      r.skipped[store] = err.message;
      ctx.progress(`skipping ours on ${store}: ${err.message}`);
    }
  };
  const maxRate = (store: string) => args.rate ?? r.ingest[`ours:${store}`]?.rps;

  /** The 1-minute load average when each phase began and ended: how quiet the machine was. */
  const load: Record<string, { start: number; end: number }> = {};
  const load1 = () => Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const phase = async (name: Phase, f: () => Promise<void>) => {
    if (!wants(name)) return;
    const start = load1();
    await f();
    load[name] = { start, end: load1() };
  };

  try {
    await phase('ingest', async () => {
      // Interleaved rounds: a burst of outside load then hits every server alike,
      // and the ratios are taken within each round.
      const rounds: Record<string, IngestFigures>[] = [];
      for (let i = 0; i < settings.ingestRounds; i++) {
        const round: Record<string, IngestFigures> = {};
        const label = (name: string) =>
          settings.ingestRounds > 1 ? `${name}, round ${i + 1}/${settings.ingestRounds}` : name;
        round.bare = await measureIngest(ctx, label('bare Fastify'), () => ctx.peer('bare.ts'));
        for (const store of stores)
          await forStore(store, async () => {
            round[`ours:${store}`] = await measureIngest(ctx, label(`ours (${store})`), () =>
              ctx.ours('ingest', store, INGEST_ONLY),
            );
            // The cost of routing at ingest: every event to one destination's queue
            // instead of the handlers'. Nothing is sent (no workers).
            round[`routed:${store}`] = await measureIngest(
              ctx,
              label(`ours (${store}), every event routed to one destination`),
              () =>
                ctx.ours('ingest-routed', store, {
                  ...INGEST_ONLY,
                  ...routeAllTo(ctx, 'http://127.0.0.1:9/unused'),
                }),
            );
            // The cost of the event log: recorded in the enqueue itself, on by default.
            round[`nolog:${store}`] = await measureIngest(
              ctx,
              label(`ours (${store}), event log off`),
              () => ctx.ours('ingest-nolog', store, { ...INGEST_ONLY, EVENT_LOG_MAX: '0' }),
            );
          });
        round.bullmq = await measureIngest(ctx, label('BullMQ route'), () =>
          ctx.peer('bullmq-ingest.ts'),
        );
        rounds.push(round);
      }
      r.ingestRounds = rounds;
      for (const name of Object.keys(rounds[0] ?? {})) {
        const all = rounds.map((round) => round[name]).filter((f) => f !== undefined);
        r.ingest[name] = medianFigures(all);
      }
    });
    await phase('drain', async () => {
      for (const store of stores)
        await forStore(store, async () => {
          r.drain[`ours:${store}`] = await drainOurs(ctx, store);
          r.drain[`nolog:${store}`] = await drainOurs(ctx, store, { EVENT_LOG_MAX: '0' });
        });
      r.drain.bullmq = await drainBullmq(ctx);
    });
    for (const name of ['e2e', 'overload'] as const) {
      await phase(name, async () => {
        for (const store of stores)
          await forStore(store, async () => {
            const rate = maxRate(store);
            if (rate === undefined)
              throw new Error(
                `${name} needs ours' max ingest rate: run ingest too, or pass --rate`,
              );
            if (name === 'e2e') {
              r.e2e[store] = await measureE2e(ctx, store, rate);
              // One process owns an embedded store: separate roles need Redis.
              if (store === 'redis')
                r.e2eSeparateRoles[store] = await measureE2eSeparateRoles(ctx, store, rate);
            } else r.overload[store] = await measureOverload(ctx, store, rate);
          });
      });
    }
    await phase('forward', async () => {
      r.forward.bareUndici = await forwardBareUndici(ctx);
      for (const store of stores)
        await forStore(store, async () => {
          r.forward[`ours:${store}`] = await forwardOurs(ctx, store);
        });
    });
  } finally {
    await redis.stop();
  }

  const t = targets(r, stores);
  const record = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      ...machine,
      loadavgAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
      loadavgByPhase: load,
    },
    settings,
    results: r,
    targets: t,
  };
  const json = JSON.stringify(record, null, 2);
  writeFileSync(join(resultsDir, `bench-${stamp}.json`), json);
  writeFileSync(join(resultsDir, 'latest.json'), json);
  const loadLine = Object.entries(load)
    .map(([name, l]) => `${name} ${l.start}→${l.end}`)
    .join(', ');
  process.stdout.write(
    `\n${render(r, t, header)}\n\n1-minute load average by phase (start→end): ${loadLine}\nfigures: bench/results/bench-${stamp}.json\n`,
  );
  if (profileDir) process.stdout.write(`profiles: ${profileDir}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
