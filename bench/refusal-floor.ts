/**
 * What a refusal costs, next to what an accept costs: the evidence behind the
 * overload figures in docs/benchmarks.md. Loads each server with the same
 * autocannon settings as `npm run bench` and reports responses per second and
 * the server's CPU per response:
 *   - a plain node:http server answering a pre-rendered 503 (the floor in Node);
 *   - ours refusing every request (QUEUE_SIZE=1, full): the shedding edge;
 *   - the bare Fastify 202 route;
 *   - ours accepting (ingest-only).
 *
 *   node --import tsx bench/refusal-floor.ts [rounds=2]
 */
import type { BenchServer } from './child.js';
import { BenchContext, QUICK } from './context.js';
import { saturate, warmUp } from './load.js';
import { BenchRedis } from './redis.js';

const rounds = Number(process.argv[2] ?? 2);
const redis = await BenchRedis.start('everysec');
const ctx = new BenchContext(QUICK, redis, undefined);
const servers: [string, () => Promise<BenchServer>][] = [
  ['node:http 503 (floor)', () => ctx.peer('raw-refusal.ts')],
  [
    'ours, refusing at the edge',
    () => ctx.ours('full', 'redis', { WORKER_COUNT: '0', QUEUE_SIZE: '1' }),
  ],
  ['bare Fastify 202', () => ctx.peer('bare.ts')],
  [
    'ours, accepting',
    () => ctx.ours('ingest', 'redis', { WORKER_COUNT: '0', QUEUE_SIZE: '100000000' }),
  ],
];
try {
  for (let round = 1; round <= rounds; round++) {
    for (const [name, start] of servers) {
      await redis.reset();
      const server = await start();
      try {
        await warmUp(server.url, QUICK.connections, 2);
        const before = (await server.report()).cpuUs;
        const r = await saturate(server.url, { connections: QUICK.connections, durationS: 5 });
        const cpuUs = (await server.report()).cpuUs - before;
        const n = r.ok + r.non2xx;
        process.stdout.write(
          `round ${round}  ${name.padEnd(28)} ${Math.round(n / r.durationS)
            .toString()
            .padStart(6)} responses/s  ${Math.round(cpuUs / n)} µs CPU per response\n`,
        );
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  await redis.stop();
}
process.exit(0);
