/**
 * The config file at start-up, through the real entry point: a destination no
 * route sends to is a warning in the log, not a failure; a bad route stops
 * start-up with exit code 2 and a message naming it; and neither the log nor
 * the message holds a destination secret.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { killServiceProcesses, MAIN, startServiceProcess } from '../helpers/child.js';

const dir = mkdtempSync(join(tmpdir(), 'wp-config-file-'));
after(async () => {
  await killServiceProcesses();
  rmSync(dir, { recursive: true, force: true });
});

const API_KEY = 'APIkeyVALUEinENV-0123456789';
const SIGNING = `whsec_${Buffer.from('SIGNINGkeyBYTES-0123456789abcdef').toString('base64')}`;
const env = {
  DATA_DIR: join(dir, 'data'),
  BILLING_API_KEY: API_KEY,
  BILLING_SIGNING_SECRET: SIGNING,
};

function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const DESTINATIONS = `destinations:
  billing:
    url: http://svc:URLpasswordVALUE@127.0.0.1:9/hooks
    signing_secret_env: BILLING_SIGNING_SECRET
    headers:
      X-Api-Key: { env: BILLING_API_KEY }
  idle:
    url: http://127.0.0.1:9/idle
`;

describe('the config file at start-up', () => {
  it('logs a destination no route sends to as a warning, and no secret', async () => {
    const path = configFile(
      'warn.yaml',
      `${DESTINATIONS}routes:\n  - { source: "*", to: [billing] }\n`,
    );
    const service = await startServiceProcess({ ...env, CONFIG_FILE: path }, { entry: MAIN });
    const warning = await service.waitForLog(
      (l) => l.level === 40 && String(l.msg).includes('destination "idle"'),
      'the warning',
    );
    assert.match(String(warning.msg), /is not named in any route's "to"/);
    const config = service.lines.find((l) => l.msg === 'configuration')?.config as
      | { destinations?: { name: string; url: string; headers: string[] }[] }
      | undefined;
    const billing = config?.destinations?.find((d) => d.name === 'billing');
    assert.equal(billing?.url, 'http://redacted:redacted@127.0.0.1:9/hooks');
    assert.deepEqual(billing?.headers, ['x-api-key']);
    const printed = JSON.stringify(service.lines) + service.stderr.join('');
    for (const secret of [API_KEY, SIGNING, SIGNING.slice(6), 'URLpasswordVALUE']) {
      assert.ok(!printed.includes(secret), `leaked ${secret.slice(0, 8)}…`);
    }
    service.proc.kill('SIGTERM');
    assert.equal((await service.exited).code, 0);
  });

  it('stops on a route to an unknown destination: exit 2, naming the route and field', async () => {
    const path = configFile(
      'bad.yaml',
      `${DESTINATIONS}routes:\n  - { source: "*", to: [billing, idle] }\n  - { source: default, to: [biling] }\n`,
    );
    const service = await startServiceProcess(
      { ...env, CONFIG_FILE: path, BILLING_API_KEY: '' },
      { entry: MAIN, waitReady: false },
    );
    const { code } = await service.exited;
    assert.equal(code, 2);
    const stderr = service.stderr.join('');
    assert.match(
      stderr,
      /routes\[1\] \(source "default"\): "to" names "biling", which is not a destination/,
    );
    assert.match(
      stderr,
      /destination "billing": "headers.X-Api-Key" names BILLING_API_KEY, which is set but empty/,
    );
    for (const secret of [SIGNING, 'URLpasswordVALUE']) assert.ok(!stderr.includes(secret));
  });
});
