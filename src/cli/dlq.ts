/**
 * `webhook-processor dlq list|show|replay|purge`: the dead-letter queue through
 * the service's admin API (so it works the same on either store).
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/duration.js';
import { ApiClient } from './client.js';
import {
  ADMIN_OPTIONS,
  ADMIN_OPTIONS_HELP,
  adminToken,
  CliError,
  EXIT,
  formatTable,
  type Io,
  parseCommand,
  printPage,
  serviceUrl,
  usageError,
} from './io.js';

export const DLQ_HELP = `Usage: webhook-processor dlq <list|show|replay|purge> [options]

  dlq list [filters] [--limit N] [--cursor C] [--all]
      Dead letters, oldest first: id, event type, source, attempts, failure time, last error.
      --all follows the pages to the end; otherwise the next page's --cursor is printed.
  dlq show <id>
      One dead letter with its payload and headers (signatures redacted), as JSON.
  dlq replay <id>
      Queue one dead letter again, with a fresh attempt count.
  dlq replay (filters | --all) [--batch N]
      Queue every matching dead letter again, in batches, with a progress line.
      Safe to interrupt and run again: nothing is queued twice.
  dlq purge <id>
      Delete one dead letter for good.
  dlq purge (filters | --all) --yes [--batch N]
      Delete every matching dead letter for good.

Filters (combine freely):
  --type TYPE        event type, exactly
  --source NAME      source name, exactly ("default" for POST /webhooks)
  --destination NAME the dead deliveries of one destination (a replay re-delivers there only)
  --since WHEN       dead-lettered at or after WHEN: an RFC 3339 time or a duration ago (2h, 30m)
  --until WHEN       dead-lettered before WHEN

${ADMIN_OPTIONS_HELP}`;

const OPTIONS = {
  ...ADMIN_OPTIONS,
  type: { type: 'string' },
  source: { type: 'string' },
  destination: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  batch: { type: 'string' },
  all: { type: 'boolean', default: false },
  yes: { type: 'boolean', default: false },
} as const;

function parse(args: string[]) {
  return parseCommand(() =>
    parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true }),
  );
}

type Values = ReturnType<typeof parse>['values'];

interface Item {
  id: string;
  event_type: string;
  source: string;
  attempts: number;
  failed_at: string;
  last_error: string;
}

export async function dlqCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args);
  const [action, id, ...extra] = positionals;
  if (values.help || action === undefined) {
    io.out(DLQ_HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  if (extra.length > 0) throw usageError(`unexpected arguments: ${extra.join(' ')}`);
  const client = new ApiClient(serviceUrl(io, values.url), adminToken(io, values.token));
  switch (action) {
    case 'list':
      if (id !== undefined) throw usageError('dlq list takes no id; see dlq show <id>');
      return list(client, values, io);
    case 'show':
      return show(client, values, io, requireId(id, 'show'));
    case 'replay':
      return id === undefined
        ? bulk(client, 'replay', values, io)
        : replayOne(client, id, values, io);
    case 'purge':
      return id === undefined
        ? bulk(client, 'purge', values, io)
        : purgeOne(client, id, values, io);
    default:
      throw usageError(
        `unknown dlq command ${JSON.stringify(action)}; see webhook-processor dlq --help`,
      );
  }
}

function requireId(id: string | undefined, action: string): string {
  if (id === undefined) throw usageError(`dlq ${action} needs an entry id`);
  return id;
}

/** A --since/--until value as an RFC 3339 time: a time given as such, or a duration ago. */
export function timeArg(
  name: string,
  value: string | undefined,
  now = Date.now(),
): string | undefined {
  if (value === undefined) return undefined;
  const ago = parseDuration(value);
  if (ago !== undefined && ago >= 0) return new Date(now - ago).toISOString();
  if (/^\d{4}-\d{2}-\d{2}T/.test(value) && Number.isFinite(Date.parse(value))) return value;
  throw usageError(
    `--${name}: expected an RFC 3339 time (2026-01-31T12:00:00Z) or a duration ago (2h, 30m)`,
  );
}

function filterOf(values: Values) {
  return {
    type: values.type,
    source: values.source,
    destination: values.destination,
    failed_after: timeArg('since', values.since),
    failed_before: timeArg('until', values.until),
  };
}

function hasFilter(values: Values): boolean {
  return [values.type, values.source, values.destination, values.since, values.until].some(
    (v) => v !== undefined,
  );
}

export function positiveInt(
  name: string,
  value: string | undefined,
  def: number,
  max: number,
): number {
  if (value === undefined) return def;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= max))
    throw usageError(`--${name}: expected a whole number from 1 to ${max}`);
  return n;
}

async function list(client: ApiClient, values: Values, io: Io): Promise<number> {
  const limit = positiveInt('limit', values.limit, 50, 500);
  const items: Item[] = [];
  let cursor = values.cursor;
  for (;;) {
    const res = await client.request('GET', '/admin/dlq', {
      query: { ...filterOf(values), limit, cursor },
    });
    const page = res.body as { items: Item[]; next_cursor: string | null };
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
    if (!values.all || cursor === undefined) break;
  }
  return printPage(io, values.json, items, cursor, table);
}

function table(items: Item[]): string {
  if (items.length === 0) return 'no dead letters\n';
  const rows = [
    ['ID', 'EVENT TYPE', 'SOURCE', 'ATTEMPTS', 'FAILED AT', 'LAST ERROR'],
    ...items.map((i) => [
      i.id,
      i.event_type,
      i.source,
      String(i.attempts),
      i.failed_at.replace(/\.\d+Z$/, 'Z'),
      i.last_error.length > 60 ? `${i.last_error.slice(0, 59)}…` : i.last_error,
    ]),
  ];
  return formatTable(rows);
}

async function show(client: ApiClient, values: Values, io: Io, id: string): Promise<number> {
  const res = await client.request('GET', `/admin/dlq/${encodeURIComponent(id)}`, {
    accept: [404],
  });
  if (res.status === 404) return notFound(id, io);
  io.out(`${JSON.stringify(res.body, null, values.json ? undefined : 2)}\n`);
  return EXIT.ok;
}

function notFound(id: string, io: Io): number {
  io.err(`no dead letter ${id} (replayed or deleted already?)\n`);
  return EXIT.failed;
}

async function replayOne(client: ApiClient, id: string, values: Values, io: Io): Promise<number> {
  if (hasFilter(values) || values.all) throw usageError('give an entry id or filters, not both');
  const res = await client.request('POST', `/admin/dlq/${encodeURIComponent(id)}/replay`, {
    accept: [404],
  });
  if (res.status === 404) return notFound(id, io);
  const r = res.body as { id: string; job_id: string };
  io.out(values.json ? `${JSON.stringify(r)}\n` : `replayed ${r.id}: job ${r.job_id} queued\n`);
  return EXIT.ok;
}

async function purgeOne(client: ApiClient, id: string, values: Values, io: Io): Promise<number> {
  if (hasFilter(values) || values.all) throw usageError('give an entry id or filters, not both');
  const res = await client.request('DELETE', `/admin/dlq/${encodeURIComponent(id)}`, {
    accept: [404],
  });
  if (res.status === 404) return notFound(id, io);
  io.out(values.json ? `${JSON.stringify({ id, deleted: true })}\n` : `deleted ${id}\n`);
  return EXIT.ok;
}

interface BulkAnswer {
  replayed?: number;
  purged?: number;
  /** Dead deliveries of a destination no longer configured: left in the DLQ. */
  skipped?: number;
  done: boolean;
  up_to: string | null;
  cursor: string | null;
}

/** Replays or purges every match, one request per batch, printing progress. */
async function bulk(
  client: ApiClient,
  action: 'replay' | 'purge',
  values: Values,
  io: Io,
): Promise<number> {
  if (!hasFilter(values) && !values.all) {
    throw usageError(`dlq ${action} needs an entry id, filters, or --all for every dead letter`);
  }
  if (action === 'purge' && !values.yes) {
    throw usageError('dlq purge deletes dead letters for good: add --yes to go ahead');
  }
  const max = positiveInt('batch', values.batch, 1_000, 10_000);
  const filter = filterOf(values);
  const verb = action === 'replay' ? 'replayed' : 'purged';
  let total = 0;
  let skipped = 0;
  let run: { up_to?: string; cursor?: string } = {};
  for (;;) {
    const res =
      action === 'replay'
        ? await client.request('POST', '/admin/dlq/replay', { body: { ...filter, ...run, max } })
        : await client.request('DELETE', '/admin/dlq', {
            query: { ...filter, ...run, max, confirm: true },
          });
    const answer = res.body as BulkAnswer;
    total += answer.replayed ?? answer.purged ?? 0;
    skipped += answer.skipped ?? 0;
    if (!values.json) progress(io, `${verb} ${total} dead letters${answer.done ? '' : '…'}`);
    if (answer.done) break;
    if (answer.up_to === null || answer.cursor === null) {
      throw new CliError(EXIT.failed, 'the service answered an unfinished run without a cursor');
    }
    run = { up_to: answer.up_to, cursor: answer.cursor };
  }
  if (!values.json && io.interactive) io.err('\n');
  const left = skipped > 0 ? `; ${skipped} left: their destination is no longer configured` : '';
  io.out(
    values.json
      ? `${JSON.stringify({ [verb]: total, ...(action === 'replay' ? { skipped } : {}) })}\n`
      : `${verb} ${total} dead letters${left}\n`,
  );
  return EXIT.ok;
}

/** One progress line: rewritten in place on a terminal, a line per batch otherwise. */
export function progress(io: Io, text: string): void {
  io.err(io.interactive ? `\r${text}` : `${text}\n`);
}
