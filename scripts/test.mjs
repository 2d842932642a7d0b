// Runs the test suites with node's own test runner (TypeScript through tsx), in tiers:
//   node scripts/test.mjs            the fast tier: unit, conformance, integration (both stores)
//   node scripts/test.mjs all        every suite: the fast tier, then faults, fuzz and browser
//   node scripts/test.mjs unit       only the named suites (unit, integration, faults, fuzz, …)
// It ends with each suite's wall time, then the line "N passed, N failed" that CI reads.
// When no Redis answers at REDIS_ADDR (default 127.0.0.1:6379), a redis-server of the
// run's own is started on a free port (the binary must be on PATH) and stopped at the end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The fast tier is what a developer runs before every commit; the slow suites start
// processes, Redis servers and a browser of their own and take minutes.
const FAST = ['unit', 'conformance', 'integration'];
const SLOW = ['faults', 'fuzz', 'browser'];
const SUITES = [...FAST, ...SLOW];

/** The suites the arguments name: none is the fast tier, `all` every suite. */
function suitesOf(args) {
  if (args.length === 0) return FAST;
  if (args.length === 1 && args[0] === 'all') return SUITES;
  const unknown = args.filter((a) => !SUITES.includes(a));
  if (unknown.length > 0) {
    console.error(
      `unknown suite ${unknown.join(', ')}: name none (the fast tier), all, or some of ${SUITES.join(', ')}`,
    );
    process.exit(2);
  }
  return args;
}

const wanted = suitesOf(process.argv.slice(2));

function testFiles(dir) {
  try {
    statSync(dir);
  } catch {
    return [];
  }
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(dir, f))
    .sort();
}

/** True when a Redis answers PING at host:port within a second. */
function redisAnswers(addr) {
  const i = addr.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host: addr.slice(0, i), port: Number(addr.slice(i + 1)) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a throwaway redis-server if the tests need Redis and none answers. */
async function ensureRedis() {
  const addr = process.env.REDIS_ADDR ?? '127.0.0.1:6379';
  if (wanted.every((s) => s === 'unit') || (await redisAnswers(addr))) return undefined;
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  server.on('error', (err) => console.log(`could not start redis-server: ${err.message}`));
  for (let i = 0; i < 50 && !(await redisAnswers(`127.0.0.1:${port}`)); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  process.env.REDIS_ADDR = `127.0.0.1:${port}`;
  console.log(
    `no Redis answers at ${addr}: started redis-server on 127.0.0.1:${port} for this run`,
  );
  return server;
}

/** The closing table: one line per suite run, then the total. */
function wallTimes(rows) {
  const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`.padStart(8);
  const total = rows.reduce((sum, r) => sum + r.ms, 0);
  const lines = rows.map(
    (r) =>
      `  ${r.suite.padEnd(12)}${seconds(r.ms)}  ${String(r.files).padStart(3)} file${r.files === 1 ? ' ' : 's'}${r.ok ? '' : '  FAILED'}`,
  );
  return ['wall time:', ...lines, `  ${'total'.padEnd(12)}${seconds(total)}`].join('\n');
}

const ownRedis = await ensureRedis();
const tapDir = mkdtempSync(join(tmpdir(), 'wp-test-'));
let failed = false;
let passed = 0;
let failures = 0;
/** Per suite run: its name, file count and wall time, for the closing table. */
const timings = [];
for (const suite of wanted) {
  const files = testFiles(join('test', suite));
  if (files.length === 0) continue;
  const started = performance.now();
  // Fault scenarios start their own Redis and child processes: one file at a time.
  const concurrency = suite === 'faults' ? 1 : 4;
  console.log(`\n=== ${suite}: ${files.length} files ===`);
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${join(tapDir, `${suite}.tap`)}`,
      ...files,
    ],
    { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
  );
  timings.push({ suite, files: files.length, ms: performance.now() - started, ok: r.status === 0 });
  if (r.status !== 0) failed = true;
  const tap = readFileSync(join(tapDir, `${suite}.tap`), 'utf8');
  passed += Number(/^# pass (\d+)$/m.exec(tap)?.[1] ?? 0);
  failures += Number(/^# fail (\d+)$/m.exec(tap)?.[1] ?? 0);
}
ownRedis?.kill();
if (failed && failures === 0) failures = 1; // a crashed runner counts as a failure
console.log(`\n${wallTimes(timings)}\n${passed} passed, ${failures} failed`);
process.exit(failed ? 1 : 0);
