/**
 * The dashboard in headless Chromium against a running service (SQLite store,
 * two destinations that are real HTTP receivers on 127.0.0.1, one signed
 * source): signing in, each page, finding events as they arrive, replaying
 * events and dead letters until the receiver has them, pausing a destination.
 * Screenshots of every page go to test-results/dashboard/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Service } from '../../src/app.js';
import { type Browser, browserMissing, openBrowser } from '../helpers/browser.js';
import { dashboardBuilt } from '../helpers/dashboard.js';
import { type Receiver, startReceiver } from '../helpers/recording-receiver.js';
import { startedService, testConfig } from '../helpers/service.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'dashboard-browser-test-token-0123456789';
const SHOTS = join(import.meta.dirname, '../../test-results/dashboard');
const missing = browserMissing();
// In CI a missing browser is a failure (.ci/run installs it); elsewhere the suite says why it skips.
const skip = missing !== undefined && !process.env.CI ? missing : false;

describe('the dashboard in a browser', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'wp-dashboard-browser-'));
  let shop: Receiver;
  let crm: Receiver;
  /** What the shop answers: 400 dead-letters its delivery at once. */
  let shopAnswer = 200;
  let service: Service;
  let origin: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    if (missing) throw new Error(missing);
    await dashboardBuilt();
    mkdirSync(SHOTS, { recursive: true });
    shop = await startReceiver(() => ({ status: shopAnswer, body: 'unknown customer' }));
    crm = await startReceiver();
    const configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      `
destinations:
  # Refusals that dead-letter dozens in a row must not open its breaker here.
  shop: { url: ${shop.url}, breaker_failures: 10000 }
  crm: { url: ${crm.url} }
routes:
  - { source: "*", to: [shop, crm] }
sources:
  github: { scheme: github, secret_env: GITHUB_SECRET }
`,
    );
    service = await startedService(
      testConfig({
        STORE: 'sqlite',
        DATA_DIR: join(dir, 'data'),
        CONFIG_FILE: configFile,
        GITHUB_SECRET: 'dashboard-test-github-secret',
        ADMIN_TOKEN: TOKEN,
        RETRY_BASE_DELAY: '50ms',
        RETRY_MAX_DELAY: '500ms',
      }),
    );
    origin = originOf(service);
    browser = await openBrowser();
    page = browser.page;
  });

  after(async () => {
    await browser?.close();
    await service?.stop(2_000);
    await shop?.close();
    await crm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function originOf(s: Service): string {
    const a = s.app.server.address();
    assert.ok(a && typeof a === 'object');
    return `http://127.0.0.1:${a.port}`;
  }

  async function admin<T>(method: 'GET' | 'POST', url: string): Promise<T> {
    const res = await service.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return res.json() as T;
  }

  const dlqSize = async () =>
    (await admin<{ items: unknown[] }>('GET', '/admin/dlq?limit=500')).items.length;

  async function post(id: string, type = 'order.created'): Promise<string> {
    const res = await fetch(`${origin}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type, id, data: { customer: 'c-42', total: 1999 } }),
    });
    assert.equal(res.status, 202);
    return ((await res.json()) as { id: string }).id;
  }

  const shot = (name: string) =>
    page.screenshot({ path: join(SHOTS, `laptop-${name}.png`), fullPage: true });

  const text = async () => (await page.locator('body').textContent()) ?? '';

  async function open(link: string) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
    await page.getByRole('heading', { level: 1, name: link }).waitFor();
  }

  /** Opens an event's page by its link in the Events list, filtered to its id. */
  async function openEvent(id: string) {
    await open('Events');
    await page.getByLabel('Event id').fill(id);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator(`tr[data-event-id="${id}"]`).getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: `Event ${id}` }).waitFor();
  }

  /** The attempts the event page shows for one delivery. */
  const attempts = (target: string) => page.locator(`[data-delivery="${target}"] .attempts > li`);

  it('refuses a wrong token: an error, no data, nothing kept', async () => {
    await page.goto(`${origin}/admin/ui/`);
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'refused this token' }).waitFor();
    const body = await text();
    assert.doesNotMatch(body, /shop|crm|Dead letters|Backlog/);
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
    await shot('sign-in-refused');
  });

  it('cannot read or change anything through the API from the page without the token', async () => {
    // The page's own origin, as the dashboard calls it, without a token and with a wrong one.
    const answers = (await page.evaluate(async () => {
      const out: { url: string; status: number; keys: string[] }[] = [];
      for (const [method, url] of [
        ['GET', '../events'],
        ['GET', '../destinations'],
        ['GET', '../dlq'],
        ['GET', '../stats/history'],
        ['GET', '../stats/signatures'],
        ['POST', '../events/replay'],
        ['POST', '../destinations/shop/pause'],
      ]) {
        for (const headers of [{}, { authorization: 'Bearer not-the-token' }] as Record<
          string,
          string
        >[]) {
          const res = await fetch(url as string, { method, headers });
          const body = (await res.json()) as Record<string, unknown>;
          out.push({ url: `${method} ${url}`, status: res.status, keys: Object.keys(body) });
        }
      }
      return out;
    })) as { url: string; status: number; keys: string[] }[];
    for (const a of answers) {
      assert.equal(a.status, 401, a.url);
      assert.deepEqual(a.keys, ['error'], a.url);
    }
    const paused = await admin<{ destinations: { state: string }[] }>('GET', '/admin/destinations');
    assert.ok(paused.destinations.every((d) => d.state !== 'paused'));
  });

  it('signs in with the token, keeps it in sessionStorage, sets no cookie, shows the overview', async () => {
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.locator('tr[data-destination="shop"]').waitFor();
    await page.locator('tr[data-destination="crm"]').waitFor();
    await page.locator('.chart canvas').waitFor();
    await page.locator('[data-figure="Dead letters"]').filter({ hasText: '0' }).waitFor();
    assert.deepEqual(await page.evaluate('Object.values(sessionStorage)'), [TOKEN]);
    assert.deepEqual(await browser.context.cookies(), []);
    await shot('overview');
  });

  it('shows an event in Events within seconds of its arrival, without a reload', async () => {
    await open('Events');
    await page.evaluate('window.stillTheSamePage = true');
    const id = await post('o-0001', 'order.created');
    const row = page.locator(`tr[data-event-id="${id}"]`);
    await row.waitFor({ timeout: 5_000 });
    await row.locator('[data-target="shop"] [data-state="delivered"]').waitFor();
    await row.locator('[data-target="crm"] [data-state="delivered"]').waitFor();
    assert.equal(await page.evaluate('window.stillTheSamePage'), true, 'no reload');
    assert.match((await row.textContent()) ?? '', /default[\s\S]*order\.created/);
  });

  it("opens an event: its payload, headers and each delivery's attempts", async () => {
    const id = await post('o-0002', 'order.created');
    await waitFor(() => shop.received.some((r) => r.body.includes('o-0002')));
    await openEvent(id);
    await attempts('shop').first().waitFor();
    const body = await text();
    assert.match(body, /"id": "o-0002"/, 'the payload, pretty-printed');
    assert.match(body, /"customer": "c-42"/);
    assert.match(body, /content-type/, 'its headers');
    const attempt = attempts('shop').first();
    assert.equal(await attempt.locator('.attempt-n').textContent(), '#1');
    await attempt.locator('[data-state="delivered"]').waitFor();
    assert.equal(await attempt.locator('.status').textContent(), '200', 'the status code');
    assert.match((await attempt.locator('.duration').textContent()) ?? '', /^\d+(\.\d)? ms$/);
    assert.equal(await attempts('crm').count(), 1);
    await shot('event');
  });

  it('replays a delivered event to one destination from its page: a second attempt', async () => {
    const id = await post('o-0003', 'order.created');
    await waitFor(() => crm.received.some((r) => r.body.includes('o-0003')));
    await openEvent(id);
    await attempts('crm').first().waitFor();
    const crmBefore = crm.received.length;
    const shopBefore = shop.received.length;
    await page.getByRole('button', { name: 'Replay to crm' }).click();
    await page.getByRole('status').filter({ hasText: 'Replay queued to crm' }).waitFor();
    await waitFor(async () => (await attempts('crm').count()) === 2, {
      what: 'the second attempt on the page',
    });
    assert.match((await attempts('crm').nth(1).textContent()) ?? '', /#2[\s\S]*delivered/);
    assert.equal(crm.received.length, crmBefore + 1);
    assert.match(crm.received.at(-1)?.body.toString() ?? '', /o-0003/);
    assert.equal(shop.received.length, shopBefore, 'only to crm');
    assert.equal(await attempts('shop').count(), 1);

    await page.getByRole('button', { name: 'Replay to every destination' }).click();
    await waitFor(async () => (await attempts('shop').count()) === 2, { what: 'shop again' });
    await waitFor(async () => (await attempts('crm').count()) === 3, { what: 'crm again' });
  });

  it('counts the matches of a search in a dry run, then replays them with progress', async () => {
    const ids = [];
    for (const n of ['o-7001', 'o-7002', 'o-7003']) ids.push(await post(n, 'order.packed'));
    await waitFor(() => crm.received.filter((r) => r.body.includes('order.packed')).length === 3);
    await open('Events');
    await page.getByLabel('Type').fill('order.packed');
    await page.getByLabel('Destination').fill('crm');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/type=order\.packed/);
    await waitFor(async () => (await page.locator('tr[data-event-id]').count()) === 3);
    const shopBefore = shop.received.length;
    const crmBefore = crm.received.length;
    await page.getByRole('button', { name: 'Replay all matching…' }).click();
    const bulk = page.getByTestId('bulk-replay');
    await bulk.getByText(/Replay 3 events \(type order\.packed.*to crm only\)/).waitFor();
    await shot('events-bulk-confirm');
    assert.equal(crm.received.length, crmBefore, 'the dry run replayed nothing');
    // Arrivals after the count are not part of the run: it is bounded by the dry run.
    await post('o-7004', 'order.packed');
    await waitFor(() => crm.received.length === crmBefore + 1);
    await bulk.getByRole('button', { name: 'Replay 3' }).click();
    await bulk.getByText('Replayed 3.').waitFor();
    await waitFor(() => crm.received.length === crmBefore + 4, { what: 'three replays' });
    const replayed = crm.received.slice(crmBefore + 1).map((r) => r.body.toString());
    for (const n of ['o-7001', 'o-7002', 'o-7003']) {
      assert.ok(
        replayed.some((b) => b.includes(n)),
        `${n} replayed`,
      );
    }
    assert.ok(!replayed.some((b) => b.includes('o-7004')), 'the later arrival is left out');
    assert.equal(shop.received.length, shopBefore + 1, 'shop got only o-7004, no replay');
    await bulk.getByRole('button', { name: 'OK' }).click();
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.locator('tr[data-event-id]').nth(6).waitFor();
    await shot('events');
  });

  it('finds a dead-lettered delivery, shows it, replays it, and the receiver gets it', async () => {
    shopAnswer = 400;
    const jobId = await post('o-1001');
    await waitFor(async () => (await dlqSize()) === 1, { what: 'the dead letter' });
    await open('Dead letters');
    const row = page.locator('tr[data-dlq-id]').filter({ hasText: 'shop' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /order\.created[\s\S]*400/);
    await shot('dead-letters');

    await row.getByRole('link', { name: 'Inspect' }).click();
    await page.getByRole('heading', { level: 1, name: /Dead letter/ }).waitFor();
    // The heading comes with the page; the entry's payload once its request answers.
    const detail = await waitFor(
      async () => {
        const t = await text();
        return /"id": "o-1001"/.test(t) ? t : undefined;
      },
      { what: 'the payload, pretty-printed' },
    );
    assert.match(detail, /content-type/, 'its headers');
    assert.ok(detail.includes(jobId));
    await shot('dead-letter');

    shopAnswer = 200;
    const before = shop.received.length;
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Queued again' }).waitFor();
    await waitFor(() => shop.received.length === before + 1, { what: 'the replayed delivery' });
    assert.match(shop.received.at(-1)?.body.toString() ?? '', /o-1001/);
    await waitFor(async () => (await dlqSize()) === 0);
    await page.getByRole('link', { name: '← Dead letters' }).click();
    await page.getByText('No dead letters match.').waitFor();

    // The event log tells the same story: a refusal, then the replay delivered.
    await openEvent(jobId);
    await waitFor(async () => (await attempts('shop').count()) === 2, { what: 'both attempts' });
    assert.match((await attempts('shop').nth(0).textContent()) ?? '', /failed[\s\S]*400/);
    assert.match((await attempts('shop').nth(1).textContent()) ?? '', /delivered[\s\S]*200/);
    await page.locator('[data-delivery="shop"] .delivery-head [data-state="delivered"]').waitFor();
    await page.locator('.fields [data-state="delivered"]').waitFor();
    await shot('event-replayed');
  });

  it('bulk-replays every match after showing the count, with progress, and every one arrives', async () => {
    shopAnswer = 400;
    for (const id of ['o-2001', 'o-2002', 'o-2003']) await post(id, 'order.paid');
    await waitFor(async () => (await dlqSize()) === 3, { what: 'three dead letters' });
    await open('Dead letters');
    await page.locator('tr[data-dlq-id]').nth(2).waitFor();
    await page.getByRole('button', { name: 'Replay all matching…' }).click();
    const confirm = page.getByTestId('bulk-replay');
    await confirm.getByText(/Replay 3 dead letters/).waitFor();
    await shot('dead-letters-bulk-confirm');
    shopAnswer = 200;
    const before = shop.received.length;
    await confirm.getByRole('button', { name: 'Replay 3' }).click();
    await confirm.getByText('Replayed 3.').waitFor();
    await waitFor(() => shop.received.length === before + 3, { what: 'three replayed deliveries' });
    const bodies = shop.received.slice(before).map((r) => r.body.toString());
    for (const id of ['o-2001', 'o-2002', 'o-2003']) {
      assert.ok(
        bodies.some((b) => b.includes(id)),
        `${id} delivered`,
      );
    }
    await confirm.getByRole('button', { name: 'OK' }).click();
  });

  it('bulk-deletes the matches of a filter after confirming their count', async () => {
    shopAnswer = 400;
    for (const id of ['o-3001', 'o-3002']) await post(id, 'order.void');
    await waitFor(async () => (await dlqSize()) === 2, { what: 'two dead letters' });
    await page.getByLabel('Destination').fill('shop');
    await page.getByLabel('Event type').fill('order.void');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/destination=shop/);
    await page.locator('tr[data-dlq-id]').nth(1).waitFor();
    await page.getByRole('button', { name: 'Delete all matching…' }).click();
    const confirm = page.getByTestId('bulk-purge');
    await confirm.getByText(/Delete 2 dead letters .*type order\.void.*for good/).waitFor();
    await confirm.getByRole('button', { name: 'Delete 2' }).click();
    await confirm.getByText('Deleted 2.').waitFor();
    assert.equal(await dlqSize(), 0);
    shopAnswer = 200;
    await page.getByText('No dead letters match.').waitFor();
  });

  it('pages through the dead letters 50 at a time, loading no more than a page', async () => {
    shopAnswer = 400;
    await Promise.all(Array.from({ length: 55 }, (_, i) => post(`o-6${i}`, 'order.bulk')));
    await waitFor(async () => (await dlqSize()) === 55, { what: '55 dead letters' });
    shopAnswer = 200;
    await open('Dead letters');
    const rows = page.locator('tr[data-dlq-id]');
    await waitFor(async () => (await rows.count()) === 50, { what: 'a first page of 50' });
    const pager = page.getByRole('navigation', { name: 'Pagination' });
    await pager.getByRole('button', { name: 'Next →' }).click();
    await pager.getByText('Page 2').waitFor();
    await waitFor(async () => (await rows.count()) === 5, { what: 'the last 5' });
    await pager.getByRole('button', { name: '← Previous' }).click();
    await waitFor(async () => (await rows.count()) === 50, { what: 'the first page again' });
    const purge = await service.app.inject({
      method: 'DELETE',
      url: '/admin/dlq?confirm=true',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(purge.json().purged, 55);
  });

  it('pauses and resumes a destination from the Destinations page', async () => {
    await open('Destinations');
    const card = page.locator('article[data-destination="shop"]');
    await card.getByRole('button', { name: 'Pause' }).click();
    await card.locator('[data-state="paused"]').waitFor();
    type Overview = { destinations: { name: string; state: string }[] };
    const state = async () =>
      (await admin<Overview>('GET', '/admin/destinations')).destinations.find(
        (d) => d.name === 'shop',
      )?.state;
    assert.equal(await state(), 'paused');
    assert.match((await card.locator('[data-latency="p50"]').textContent()) ?? '', /\d ms$/);
    await shot('destinations');
    await card.getByRole('button', { name: 'Resume' }).click();
    await card.locator('[data-state="closed"]').waitFor();
    assert.equal(await state(), 'closed');
  });

  it('shows real per-minute history, latency and signature failures on the overview', async () => {
    const bad = await fetch(`${origin}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'd-1',
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
      body: '{"zen":"forged"}',
    });
    assert.equal(bad.status, 401);
    await open('Overview');
    await page.locator('tr[data-source="github"]').filter({ hasText: '1' }).waitFor();
    const p50 = page.locator('tr[data-destination="crm"] [data-latency="p50"]');
    await waitFor(async () => /\d+(\.\d)? ms/.test((await p50.textContent()) ?? ''), {
      what: 'a p50 latency',
    });
    const accepted = async () =>
      Number(
        ((await page.locator('[data-total="accepted"]').textContent()) ?? '').replace(/\D/g, ''),
      );
    await waitFor(async () => (await accepted()) >= 10, { what: 'the accepted total' });
    await page.locator('.chart canvas').waitFor();
    await shot('overview');
  });

  it('draws the per-minute chart from the history API (its documented shape)', async () => {
    // A known answer, so that the chart's sums and its destination choice can be checked.
    const minutes = Array.from({ length: 60 }, (_, i) => Date.now() - (59 - i) * 60_000);
    const wave = (k: number) => minutes.map((_, i) => Math.round(k * (2 + Math.sin(i / 6))));
    const history = {
      minutes,
      series: {
        accepted: wave(20),
        duplicates: wave(1),
        delivered: { shop: wave(12), crm: wave(7) },
        failed: { shop: wave(2), crm: minutes.map(() => 0) },
        dead_lettered: minutes.map((_, i) => (i % 15 === 0 ? 1 : 0)),
      },
    };
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    await page.route('**/admin/stats/history?*', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify(history),
      }),
    );
    try {
      // From another page, so that the Overview loads its history afresh.
      await open('Destinations');
      await open('Overview');
      await page.locator('.chart canvas').waitFor();
      const total = async (key: string) =>
        (await page.locator(`[data-total="${key}"]`).textContent()) ?? '';
      const accepted = sum(history.series.accepted).toLocaleString('en');
      await waitFor(async () => (await total('accepted')).includes(accepted), {
        what: 'the sample history',
      });
      assert.match(
        await total('delivered'),
        new RegExp((sum(wave(12)) + sum(wave(7))).toLocaleString('en')),
      );
      await page.getByRole('combobox', { name: 'Destination' }).selectOption('shop');
      assert.match(await total('delivered'), new RegExp(sum(wave(12)).toLocaleString('en')));
      await page.getByRole('combobox', { name: 'Destination' }).selectOption('');
      await shot('overview-history');
    } finally {
      await page.unrouteAll();
    }
  });

  it('searches on through short pages of a bounded scan, says what it scanned, and goes further', async () => {
    // What the Redis store answers for a rare match: empty pages of 1,000 events scanned
    // each, with a cursor, until the match, 8 windows back.
    const seen: (string | null)[] = [];
    await page.route('**/admin/events?*', (route) => {
      const cursor = new URL(route.request().url()).searchParams.get('cursor');
      seen.push(cursor);
      const n = cursor === null ? 0 : Number(cursor.slice(1));
      const far = {
        id: 'evt-far',
        source: 'stripe',
        type: 'invoice.paid',
        state: 'delivered',
        received_at: new Date(Date.now() - 86_400_000).toISOString(),
        idempotency_key: 'evt_rare',
        duplicate_of: null,
        destinations: [{ name: 'shop', state: 'delivered' }],
      };
      return route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify(
          n < 7
            ? { items: [], next_cursor: `c${n + 1}`, scanned: 1000 }
            : { items: [far], next_cursor: null, scanned: 1000 },
        ),
      });
    });
    try {
      await page.goto(`${origin}/admin/ui/#/events?q=rare`);
      const scanned = page.getByTestId('scanned');
      await scanned.getByText('Scanned 5,000 events.').waitFor();
      await scanned.getByText(/No match so far/).waitFor();
      assert.deepEqual(seen.slice(0, 5), [null, 'c1', 'c2', 'c3', 'c4']);
      await shot('events-search-further');
      seen.length = 0;
      await scanned.getByRole('button', { name: 'Search further' }).click();
      await page.locator('tr[data-event-id="evt-far"]').waitFor();
      await scanned.getByText('Scanned 3,000 events.').waitFor();
      assert.deepEqual(seen.slice(0, 3), ['c5', 'c6', 'c7']);
      assert.equal(await scanned.getByRole('button', { name: 'Search further' }).count(), 0);
    } finally {
      await page.unrouteAll();
    }
  });

  it('fits a phone screen on every page', async () => {
    // One dead letter, to see a table's rows stacked on a narrow screen.
    shopAnswer = 400;
    await post('o-5001', 'order.refunded');
    await waitFor(async () => (await dlqSize()) === 1, { what: 'a dead letter' });
    shopAnswer = 200;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    const overflow = () =>
      page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    try {
      for (const [link, name] of [
        ['Overview', 'overview'],
        ['Dead letters', 'dead-letters'],
        ['Destinations', 'destinations'],
        ['Events', 'events'],
      ] as const) {
        await open(link);
        await page.waitForLoadState('networkidle');
        await page.screenshot({ path: join(SHOTS, `phone-${name}.png`), fullPage: true });
        await page.screenshot({ path: join(SHOTS, `phone-${name}-top.png`) });
        assert.equal(await overflow(), 0, `${link} is no wider than the screen`);
      }
      await page.locator('tr[data-event-id] a').first().click();
      await page.getByRole('heading', { level: 1, name: /^Event / }).waitFor();
      await page.locator('.attempts > li').first().waitFor();
      await page.screenshot({ path: join(SHOTS, 'phone-event.png'), fullPage: true });
      assert.equal(await overflow(), 0, 'an event is no wider than the screen');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it('signs out: the token is gone and the sign-in form is back', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
  });

  it('made every request to its own origin, and broke no policy', () => {
    assert.ok(browser.requests.length > 10, 'the pages made requests');
    const foreign = browser.requests.filter((u) => new URL(u).origin !== origin);
    assert.deepEqual(foreign, []);
    assert.deepEqual(browser.problems, []);
  });
});
