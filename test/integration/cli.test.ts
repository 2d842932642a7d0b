/**
 * The `webhook-processor` command, run as a child process against a running
 * service (itself a child process, started by the same entry point), on both
 * stores: status, send, and dlq list/show/replay/purge, with their exit codes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  killServiceProcesses,
  MAIN,
  type ServiceProcess,
  startServiceProcess,
} from '../helpers/child.js';
import { dropQueue, REDIS_ADDR, redisClient, uniqueQueue } from '../helpers/redis.js';
import { freePort } from '../helpers/redis-server.js';
import {
  SECRETS,
  sourcesEnv,
  TEST_SOURCES,
  type TestSource,
  writeSourcesFile,
} from '../helpers/sources.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'ADMINtokenVALUE-0123456789abcdef';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args`; the environment holds only PATH and `env`. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    proc.on('error', reject);
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `send`'s options for the settings of a test source (sourcesYaml()), where it has any. */
function settingArgs(source: TestSource): string[] {
  if (source === 'hmac')
    return [
      '--header',
      'X-Signature',
      '--algorithm',
      'sha512',
      '--encoding',
      'base64',
      '--prefix',
      'sha512=',
    ];
  if (source === 'hmac-hex')
    return [
      '--header',
      'X-Hook-Signature',
      '--event-header',
      'X-Hook-Event',
      '--id-header',
      'X-Hook-Id',
    ];
  return [];
}

const STORE_ENV: Record<string, () => Record<string, string>> = {
  redis: () => ({ REDIS_ADDR, QUEUE_NAME: uniqueQueue('cli') }),
  sqlite: () => ({ STORE: 'sqlite', DATA_DIR: mkdtempSync(join(tmpdir(), 'wp-cli-')) }),
};

after(killServiceProcesses);

describe('webhook-processor command line', () => {
  it('prints help (exit 0), refuses unknown commands and options (exit 2) and a missing token (exit 4)', async () => {
    const [help, dlqHelp, unknown, badOption, noToken, serveHelp] = await Promise.all([
      cli(['--help']),
      cli(['dlq', '--help']),
      cli(['frobnicate']),
      cli(['status', '--frobnicate']),
      cli(['dlq', 'list', '--url', 'http://127.0.0.1:9']),
      cli(['serve', '--help']),
    ]);
    assert.equal(serveHelp.code, 0);
    assert.match(serveHelp.stdout, /every setting comes from the\s+environment/);
    assert.equal(help.code, 0);
    for (const command of ['serve', 'status', 'dlq', 'send'])
      assert.match(help.stdout, new RegExp(command));
    assert.equal(dlqHelp.code, 0);
    assert.match(dlqHelp.stdout, /dlq replay \(filters \| --all\)/);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.equal(badOption.code, 2);
    // A missing token is a credentials failure, like a refused one: 4, not 2.
    assert.equal(noToken.code, 4);
    assert.match(noToken.stderr, /no admin token/);
  });

  it('exits 3 when the service cannot be reached', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const [status, list] = await Promise.all([
      cli(['status', '--url', url]),
      cli(['dlq', 'list', '--url', url, '--token', TOKEN]),
    ]);
    assert.equal(status.code, 3);
    assert.match(status.stderr, /cannot reach/);
    assert.equal(list.code, 3);
  });
});

for (const [storeName, storeEnv] of Object.entries(STORE_ENV)) {
  describe(`webhook-processor against a running service: ${storeName}`, () => {
    let service: ServiceProcess;
    let env: Record<string, string>;
    const storeVars = storeEnv();
    before(async () => {
      service = await startServiceProcess(
        {
          ...storeVars,
          WORKER_COUNT: '2',
          MAX_RETRIES: '0',
          ADMIN_TOKEN: TOKEN,
          ...sourcesEnv(),
          SOURCES_FILE: writeSourcesFile(),
        },
        { entry: MAIN },
      );
      env = { WEBHOOK_PROCESSOR_URL: service.url, ADMIN_TOKEN: TOKEN };
    });
    after(async () => {
      service.proc.kill('SIGTERM');
      await service.exited;
      if (storeVars.QUEUE_NAME) {
        const redis = redisClient();
        await dropQueue(redis, storeVars.QUEUE_NAME);
        redis.disconnect();
      }
    });

    const health = async () =>
      (await (await fetch(`${service.url}/health`)).json()) as { dlq_size: number };

    /** Posts `n` payments the built-in handler refuses (bad amount), through `send --file`. */
    async function deadPayments(n: number): Promise<void> {
      const before = (await health()).dlq_size;
      const file = join(mkdtempSync(join(tmpdir(), 'wp-cli-body-')), 'bad.json');
      writeFileSync(file, JSON.stringify({ id: 'pay_bad', amount: 'ten', currency: 'USD' }));
      const runs = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          cli(
            [
              'send',
              '--file',
              file,
              '--event',
              'payment.succeeded',
              '--id',
              `bad-${Date.now()}-${i}`,
            ],
            env,
          ),
        ),
      );
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      await waitFor(async () => (await health()).dlq_size === before + n, {
        what: `${n} dead letters`,
      });
    }

    it('the service printed its configuration at start, with the token redacted', () => {
      const line = service.lines.find((l) => l.msg === 'configuration');
      assert.ok(line, 'a configuration line');
      const config = line.config as Record<string, unknown>;
      assert.equal(config.adminToken, '[redacted]');
      assert.equal(config.dlqMaxLength, 100_000);
      assert.ok(!JSON.stringify(line).includes(TOKEN));
    });

    it('status prints the figures and exits 0 when healthy and ready', async () => {
      const [text, json] = await Promise.all([
        cli(['status'], env),
        cli(['status', '--json'], env),
      ]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^status\s+healthy, ready$/m);
      assert.match(text.stdout, new RegExp(`^store\\s+${storeName} \\(up\\)$`, 'm'));
      assert.match(text.stdout, /^workers\s+\d+ of 2 busy \(running\)$/m);
      assert.equal(json.code, 0);
      const parsed = JSON.parse(json.stdout);
      assert.equal(parsed.health.status, 'healthy');
      assert.equal(parsed.ready.status, 'ready');
    });

    it('send posts an example, unsigned or signed for a source, and exits 1 when refused', async () => {
      const unsigned = await cli(['send'], env);
      assert.equal(unsigned.code, 0, unsigned.stderr);
      assert.match(unsigned.stdout, /^202 .*"status":"queued"/);
      const sources = storeName === 'redis' ? TEST_SOURCES : (['stripe', 'github'] as const);
      const runs = await Promise.all(
        sources.map((source) => {
          const scheme = source === 'hmac-hex' ? 'hmac' : source;
          return cli(
            [
              'send',
              '--source',
              source,
              '--scheme',
              scheme,
              '--event',
              'order.created',
              '--json',
              ...settingArgs(source),
            ],
            { ...env, WEBHOOK_SECRET: SECRETS[source].current },
          );
        }),
      );
      runs.forEach((r, i) => {
        assert.equal(r.code, 0, `${sources[i]}: ${r.stdout} ${r.stderr}`);
        assert.equal(JSON.parse(r.stdout).status, 'queued', String(sources[i]));
      });
      const forged = await cli(
        ['send', '--source', 'stripe', '--secret', SECRETS.stripe.other],
        env,
      );
      assert.equal(forged.code, 1);
      assert.match(forged.stdout, /^401 .*invalid_signature/);
      const noSecret = await cli(['send', '--source', 'stripe'], env);
      assert.equal(noSecret.code, 2);
    });

    it("send without --event posts each scheme's example, and the built-in handlers process it", async () => {
      const sources: readonly TestSource[] =
        storeName === 'redis' ? TEST_SOURCES : ['stripe', 'github', 'svix'];
      const stamp = Date.now();
      const sent = await Promise.all(
        sources.map(async (source) => {
          const id = `cli-example-${source}-${stamp}`;
          const r = await cli(
            [
              'send',
              '--source',
              source,
              ...(source === 'hmac-hex' ? ['--scheme', 'hmac'] : []),
              '--id',
              id,
              '--json',
              ...settingArgs(source),
            ],
            { ...env, WEBHOOK_SECRET: SECRETS[source].current },
          );
          assert.equal(r.code, 0, `${source}: ${r.stdout} ${r.stderr}`);
          return { source, id, type: JSON.parse(r.stdout).event as string };
        }),
      );
      assert.equal(sent.find((s) => s.source === 'stripe')?.type, 'payment_intent.succeeded');
      for (const { source, id, type } of sent) {
        await waitFor(
          async () => {
            const r = await cli(['events', 'list', '--key', id, '--json'], env);
            const [item] = JSON.parse(r.stdout).items as { state: string; type: string }[];
            assert.notEqual(item?.state, 'dead', `${source}: ${type} was dead-lettered`);
            return item?.state === 'delivered';
          },
          { what: `the ${source} example (${type}) processed` },
        );
      }
    });

    it('dlq list shows a table, pages, filters and JSON', async () => {
      await deadPayments(3);
      const [table, json, paged, none] = await Promise.all([
        cli(['dlq', 'list', '--type', 'payment.succeeded'], env),
        cli(['dlq', 'list', '--type', 'payment.succeeded', '--json', '--since', '1h'], env),
        cli(['dlq', 'list', '--limit', '2'], env),
        cli(['dlq', 'list', '--type', 'nothing.here'], env),
      ]);
      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.trim().split('\n');
      assert.match(
        lines[0] ?? '',
        /^ID\s+EVENT TYPE\s+SOURCE\s+ATTEMPTS\s+FAILED AT\s+LAST ERROR$/,
      );
      assert.equal(lines.length, 4);
      assert.match(lines[1] ?? '', /payment\.succeeded\s+default\s+1\s+\S+Z\s+PermanentError/);
      assert.equal(JSON.parse(json.stdout).items.length, 3);
      assert.equal(paged.code, 0);
      assert.match(paged.stdout, /^more: --cursor \S+$/m);
      assert.equal(none.stdout, 'no dead letters\n');
    });

    it('dlq show prints one entry; dlq replay <id> queues it once', async () => {
      const listed = JSON.parse((await cli(['dlq', 'list', '--json'], env)).stdout);
      const id = listed.items[0].id as string;
      const shown = await cli(['dlq', 'show', id], env);
      assert.equal(shown.code, 0, shown.stderr);
      const entry = JSON.parse(shown.stdout);
      assert.equal(entry.id, id);
      assert.deepEqual(entry.payload, { id: 'pay_bad', amount: 'ten', currency: 'USD' });
      assert.equal(entry.headers['content-type'], 'application/json');
      const replayed = await cli(['dlq', 'replay', id], env);
      assert.equal(replayed.code, 0, replayed.stderr);
      assert.match(replayed.stdout, new RegExp(`^replayed ${id}: job \\S+ queued$`, 'm'));
      const again = await cli(['dlq', 'replay', id], env);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /no dead letter/);
      assert.equal((await cli(['dlq', 'show', id], env)).code, 1);
    });

    it('dlq replay with a filter replays in batches with a progress line', async () => {
      await waitFor(async () => (await health()).dlq_size >= 3, { what: 'the replayed job back' });
      const count = (await health()).dlq_size;
      const refused = await cli(['dlq', 'replay'], env);
      assert.equal(refused.code, 2, 'no id, filter or --all');
      const run = await cli(['dlq', 'replay', '--type', 'payment.succeeded', '--batch', '2'], env);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /^replayed 2 dead letters…$/m);
      assert.match(run.stdout, new RegExp(`^replayed ${count} dead letters$`, 'm'));
      // They fail again (the payload is still bad) and come back.
      await waitFor(async () => (await health()).dlq_size === count, { what: 'back in the DLQ' });
    });

    it('events list, show and replay: by filter, one event, in bulk with a dry run', async () => {
      const key = `cli-evt-${Date.now()}`;
      const sent = await cli(['send', '--event', 'cli.events', '--id', key], env);
      assert.equal(sent.code, 0, sent.stderr);
      const listed = await waitFor(
        async () => {
          const r = await cli(['events', 'list', '--key', key, '--json'], env);
          assert.equal(r.code, 0, r.stderr);
          const items = JSON.parse(r.stdout).items as { id: string; state: string }[];
          return items.length === 1 && items[0]?.state === 'delivered' ? items : undefined;
        },
        { what: 'the event delivered in the log' },
      );
      const id = listed[0]?.id as string;
      const table = await cli(['events', 'list', '--type', 'cli.events'], env);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^ID\s+RECEIVED\s+SOURCE\s+TYPE\s+STATE\s+DESTINATIONS$/m);
      assert.match(
        table.stdout,
        new RegExp(
          `^${id}\\s+\\S+Z\\s+default\\s+cli\\.events\\s+delivered\\s+handlers:delivered$`,
          'm',
        ),
      );
      const shown = await cli(['events', 'show', id], env);
      assert.equal(shown.code, 0, shown.stderr);
      const detail = JSON.parse(shown.stdout);
      assert.equal(detail.idempotency_key, key);
      assert.equal(detail.deliveries[0].attempts[0].outcome, 'delivered');
      const again = await cli(['events', 'replay', id], env);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, new RegExp(`^replayed ${id}: queued for handlers$`, 'm'));
      await waitFor(
        async () => {
          const d = JSON.parse((await cli(['events', 'show', id, '--json'], env)).stdout);
          return d.state === 'delivered' && d.deliveries[0].attempts.length === 2;
        },
        { what: 'the replay delivered' },
      );
      const dry = await cli(['events', 'replay', '--key', key, '--dry-run'], env);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^would replay 1 events$/m);
      const bulk = await cli(['events', 'replay', '--key', key, '--json'], env);
      assert.deepEqual(JSON.parse(bulk.stdout), { dry_run: false, replayed: 1, skipped: 0 });
      const bare = await cli(['events', 'replay'], env);
      assert.equal(bare.code, 2);
      const missing = await cli(['events', 'show', 'no-such-event'], env);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no event no-such-event/);
      const bad = await cli(['events', 'list', '--state', 'bogus'], env);
      assert.equal(bad.code, 1);
    });

    it('dlq purge needs --yes, deletes by id or filter, and a wrong token exits 4', async () => {
      const count = (await health()).dlq_size;
      assert.ok(count >= 3);
      const unconfirmed = await cli(['dlq', 'purge', '--all'], env);
      assert.equal(unconfirmed.code, 2);
      assert.match(unconfirmed.stderr, /--yes/);
      const listed = JSON.parse((await cli(['dlq', 'list', '--json'], env)).stdout);
      const one = await cli(['dlq', 'purge', listed.items[0].id], env);
      assert.equal(one.code, 0, one.stderr);
      const all = await cli(['dlq', 'purge', '--type', 'payment.succeeded', '--yes'], env);
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stdout, new RegExp(`^purged ${count - 1} dead letters$`, 'm'));
      assert.equal((await health()).dlq_size, 0);
      const wrong = await cli(['dlq', 'list'], { ...env, ADMIN_TOKEN: `${TOKEN}x` });
      assert.equal(wrong.code, 4);
      assert.match(wrong.stderr, /token was refused/);
    });
  });
}
