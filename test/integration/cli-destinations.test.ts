/**
 * `webhook-processor destinations list|pause|resume` against a running service
 * (real HTTP), on the embedded store.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Service } from '../../src/app.js';
import { createService } from '../../src/app.js';
import { runCommand } from '../../src/cli/cli.js';
import type { Io } from '../../src/cli/io.js';
import { type Receiver, startReceiver } from '../helpers/recording-receiver.js';
import { silentLog, testConfig } from '../helpers/service.js';

const TOKEN = 'cli-destinations-admin-token';

function io(env: Record<string, string>): Io & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    interactive: false,
    env,
    out(t: string) {
      o.stdout += t;
    },
    err(t: string) {
      o.stderr += t;
    },
  };
  return o;
}

describe('webhook-processor destinations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wp-cli-dest-'));
  let receiver: Receiver;
  let service: Service;
  let url: string;
  before(async () => {
    receiver = await startReceiver();
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      `destinations:\n  billing: { url: "http://user:hunter2@127.0.0.1:1/hooks" }\n  ci: { url: ${receiver.url} }\nroutes:\n  - { source: "*", to: [billing, ci] }\n`,
    );
    const config = testConfig({
      STORE: 'sqlite',
      DATA_DIR: dir,
      CONFIG_FILE: file,
      ADMIN_TOKEN: TOKEN,
    });
    service = createService({ config, log: silentLog, processMetrics: false });
    url = await service.start();
  });
  after(async () => {
    await service.stop(2_000);
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every destination with its state, and never a credential', async () => {
    const o = io({ ADMIN_TOKEN: TOKEN, WEBHOOK_PROCESSOR_URL: url });
    assert.equal(await runCommand(['destinations', 'list'], o), 0, o.stderr);
    assert.match(o.stdout, /^billing {2}closed {2}waiting=\d+/m);
    assert.match(o.stdout, /^ci {2}closed/m);
    assert.doesNotMatch(o.stdout, /hunter2/);
    const j = io({ ADMIN_TOKEN: TOKEN, WEBHOOK_PROCESSOR_URL: url });
    assert.equal(await runCommand(['destinations', 'list', '--json'], j), 0);
    const list = JSON.parse(j.stdout) as { name: string; url: string }[];
    assert.deepEqual(
      list.map((d) => d.name),
      ['billing', 'ci'],
    );
    assert.ok(list[0]?.url.includes('redacted'), list[0]?.url);
  });

  it('pauses and resumes a destination', async () => {
    const env = { ADMIN_TOKEN: TOKEN, WEBHOOK_PROCESSOR_URL: url };
    const p = io(env);
    assert.equal(await runCommand(['destinations', 'pause', 'ci'], p), 0, p.stderr);
    assert.match(p.stdout, /^ci {2}paused/);
    const r = io(env);
    assert.equal(await runCommand(['destinations', 'resume', 'ci'], r), 0, r.stderr);
    assert.match(r.stdout, /^ci {2}closed/);
  });

  it('exits 1 for an unknown destination, 2 for a wrong command line, 4 for a wrong token', async () => {
    const unknown = io({ ADMIN_TOKEN: TOKEN, WEBHOOK_PROCESSOR_URL: url });
    assert.equal(await runCommand(['destinations', 'pause', 'nope'], unknown), 1);
    assert.match(unknown.stderr, /unknown_destination|No destination/);
    const usage = io({ ADMIN_TOKEN: TOKEN, WEBHOOK_PROCESSOR_URL: url });
    assert.equal(await runCommand(['destinations', 'pause'], usage), 2);
    const wrong = io({ ADMIN_TOKEN: 'wrong-token-value-000000', WEBHOOK_PROCESSOR_URL: url });
    assert.equal(await runCommand(['destinations', 'list'], wrong), 4);
  });
});
