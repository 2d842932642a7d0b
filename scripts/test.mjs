// Runs the test suites with node's own test runner (TypeScript through tsx).
//   node scripts/test.mjs            every suite
//   node scripts/test.mjs unit       only the named suites (unit, integration, faults, fuzz, …)
// The summary at the end ("# pass N" / "# fail N") is what CI reads.
// When no Redis answers at REDIS_ADDR (default 127.0.0.1:6379), a redis-server of the
// run's own is started on a free port (the binary must be on PATH) and stopped at the end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ALL = ['unit', 'integration', 'conformance', 'browser', 'faults', 'fuzz'];
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL;

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

const ownRedis = await ensureRedis();
const tapDir = mkdtempSync(join(tmpdir(), 'wp-test-'));
let failed = false;
let passed = 0;
let failures = 0;
for (const suite of wanted) {
  const files = testFiles(join('test', suite));
  if (files.length === 0) continue;
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
  if (r.status !== 0) failed = true;
  const tap = readFileSync(join(tapDir, `${suite}.tap`), 'utf8');
  passed += Number(/^# pass (\d+)$/m.exec(tap)?.[1] ?? 0);
  failures += Number(/^# fail (\d+)$/m.exec(tap)?.[1] ?? 0);
}
ownRedis?.kill();
if (failed && failures === 0) failures = 1; // a crashed runner counts as a failure
console.log(`\n${passed} passed, ${failures} failed`);
process.exit(failed ? 1 : 0);
