/**
 * The admin commands without an admin token: exit 4, as for a token the service
 * refuses, and never a request sent; a wrong command line still exits 2.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HELP, runCommand } from '../../src/cli/cli.js';
import type { Io } from '../../src/cli/io.js';

/** Nothing listens on port 9 (discard): a request sent would exit 3, not 4. */
const NOWHERE = 'http://127.0.0.1:9';

function io(env: Record<string, string> = {}): Io & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    interactive: false,
    env: { WEBHOOK_PROCESSOR_URL: NOWHERE, ...env },
    out(t: string) {
      o.stdout += t;
    },
    err(t: string) {
      o.stderr += t;
    },
  };
  return o;
}

const ADMIN_COMMANDS = [
  ['dlq', 'list'],
  ['dlq', 'show', '1-0'],
  ['events', 'list'],
  ['destinations', 'list'],
];

describe('admin commands without an admin token', () => {
  for (const argv of ADMIN_COMMANDS) {
    it(`${argv.join(' ')} exits 4 and says no token was given`, async () => {
      const run = io();
      assert.equal(await runCommand(argv, run), 4, run.stderr);
      assert.match(run.stderr, /no admin token: pass --token TOKEN or set ADMIN_TOKEN/);
    });
  }

  it('says ADMIN_TOKEN is empty when it is set to the empty string', async () => {
    const run = io({ ADMIN_TOKEN: '' });
    assert.equal(await runCommand(['dlq', 'list'], run), 4, run.stderr);
    assert.match(run.stderr, /ADMIN_TOKEN is empty/);
    assert.doesNotMatch(run.stderr, /not set|no admin token/);
  });

  it('says --token is empty, and does not fall back to ADMIN_TOKEN', async () => {
    const run = io({ ADMIN_TOKEN: 'a-token-that-would-be-sent-0000' });
    assert.equal(await runCommand(['events', 'list', '--token', ''], run), 4, run.stderr);
    assert.match(run.stderr, /--token is empty/);
  });

  it('still exits 2 for a wrong command line', async () => {
    for (const argv of [
      ['dlq', 'frobnicate'],
      ['dlq', 'show'],
      ['events', 'list', 'extra-id'],
      ['destinations', 'pause'],
    ]) {
      const run = io();
      assert.equal(await runCommand(argv, run), 2, `${argv.join(' ')}: ${run.stderr}`);
    }
  });

  it('sends the request once a token is given (here: nothing answers, exit 3)', async () => {
    const run = io({ ADMIN_TOKEN: 'a-token-that-would-be-sent-0000' });
    assert.equal(await runCommand(['dlq', 'list'], run), 3, run.stderr);
  });

  it('--help gives exit 4 for a missing token as for a refused one', () => {
    assert.match(
      HELP.replace(/\s+/g, ' '),
      /4 no admin token, the token was refused, or admin routes are off/,
    );
  });
});
