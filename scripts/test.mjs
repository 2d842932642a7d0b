// Runs the test suites with node's own test runner (TypeScript through tsx).
//   node scripts/test.mjs            every suite
//   node scripts/test.mjs unit       only the named suites (unit, integration, faults, fuzz, …)
// The summary at the end ("# pass N" / "# fail N") is what CI reads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ALL = ['unit', 'integration', 'conformance', 'faults', 'fuzz'];
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
if (failed && failures === 0) failures = 1; // a crashed runner counts as a failure
console.log(`\n${passed} passed, ${failures} failed`);
process.exit(failed ? 1 : 0);
