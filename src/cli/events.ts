/**
 * `webhook-processor events list|show|replay`: the event log through the
 * service's admin API (so it works the same on either store).
 */
import { parseArgs } from 'node:util';
import { ApiClient } from './client.js';
import { positiveInt, progress, timeArg } from './dlq.js';
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

export const EVENTS_HELP = `Usage: webhook-processor events <list|show|replay> [options]

  events list [filters] [--limit N] [--cursor C] [--all]
      Events, newest first: id, received time, source, type, state, each destination's state.
      --all follows the pages to the end; otherwise the next page's --cursor is printed.
  events show <id>
      One event with its payload, headers, deliveries and every attempt, as JSON.
  events replay <id> [--destination NAME]
      Deliver one event again, whatever became of it: to all its destinations, or to one.
  events replay (filters | --all) [--destination NAME] [--dry-run] [--batch N]
      Deliver every matching event again, in batches, with a progress line. --dry-run
      only counts them. Events received after the run began are left out.

Filters (combine freely):
  --source NAME      source name, exactly ("default" for POST /webhooks)
  --type TYPE        event type, exactly
  --state STATE      queued, delivering, delivered, retrying, dead or duplicate
  --destination NAME events with a delivery to this destination ("handlers": the in-process
                     handlers); a replay then goes to it alone
  --since WHEN       received at or after WHEN: an RFC 3339 time or a duration ago (2h, 30m)
  --until WHEN       received before WHEN
  --key KEY          the idempotency key (the provider's event id), exactly
  --id ID            the job id (list: a direct lookup)
  --q TEXT           a substring of the payload (case-sensitive)

${ADMIN_OPTIONS_HELP}`;

const OPTIONS = {
  ...ADMIN_OPTIONS,
  source: { type: 'string' },
  type: { type: 'string' },
  state: { type: 'string' },
  destination: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  key: { type: 'string' },
  id: { type: 'string' },
  q: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  batch: { type: 'string' },
  all: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
} as const;

function parse(args: string[]) {
  return parseCommand(() =>
    parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true }),
  );
}

type Values = ReturnType<typeof parse>['values'];

interface Item {
  id: string;
  source: string;
  type: string;
  state: string;
  received_at: string;
  destinations: { name: string; state: string }[];
}

export async function eventsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args);
  const [action, id, ...extra] = positionals;
  if (values.help || action === undefined) {
    io.out(EVENTS_HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  if (extra.length > 0) throw usageError(`unexpected arguments: ${extra.join(' ')}`);
  const client = new ApiClient(serviceUrl(io, values.url), adminToken(io, values.token));
  switch (action) {
    case 'list':
      if (id !== undefined) throw usageError('events list takes no id; see events show <id>');
      return list(client, values, io);
    case 'show':
      if (id === undefined) throw usageError('events show needs an event id');
      return show(client, values, io, id);
    case 'replay':
      return id === undefined ? bulk(client, values, io) : replayOne(client, id, values, io);
    default:
      throw usageError(
        `unknown events command ${JSON.stringify(action)}; see webhook-processor events --help`,
      );
  }
}

/** The filter fields given, as the API names them. */
function filterOf(values: Values) {
  return {
    source: values.source,
    type: values.type,
    state: values.state,
    destination: values.destination,
    since: timeArg('since', values.since),
    until: timeArg('until', values.until),
    key: values.key,
    q: values.q,
  };
}

function hasFilter(values: Values): boolean {
  return Object.values(filterOf(values)).some((v) => v !== undefined) || values.id !== undefined;
}

async function list(client: ApiClient, values: Values, io: Io): Promise<number> {
  const limit = positiveInt('limit', values.limit, 50, 500);
  const items: Item[] = [];
  let cursor = values.cursor;
  for (;;) {
    const res = await client.request('GET', '/admin/events', {
      query: { ...filterOf(values), id: values.id, limit, cursor },
    });
    const page = res.body as { items: Item[]; next_cursor: string | null };
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
    // A scanning store may answer a page short, even empty, with more to read.
    if (cursor === undefined || (!values.all && items.length >= limit)) break;
  }
  return printPage(io, values.json, items, cursor, table);
}

function table(items: Item[]): string {
  if (items.length === 0) return 'no events\n';
  const rows = [
    ['ID', 'RECEIVED', 'SOURCE', 'TYPE', 'STATE', 'DESTINATIONS'],
    ...items.map((i) => [
      i.id,
      i.received_at.replace(/\.\d+Z$/, 'Z'),
      i.source,
      i.type,
      i.state,
      i.destinations.map((d) => `${d.name}:${d.state}`).join(' '),
    ]),
  ];
  return formatTable(rows);
}

function notFound(id: string, io: Io): number {
  io.err(`no event ${id} in the log (older than EVENT_RETENTION?)\n`);
  return EXIT.failed;
}

async function show(client: ApiClient, values: Values, io: Io, id: string): Promise<number> {
  const res = await client.request('GET', `/admin/events/${encodeURIComponent(id)}`, {
    accept: [404],
  });
  if (res.status === 404) return notFound(id, io);
  io.out(`${JSON.stringify(res.body, null, values.json ? undefined : 2)}\n`);
  return EXIT.ok;
}

async function replayOne(client: ApiClient, id: string, values: Values, io: Io): Promise<number> {
  const { destination, ...rest } = filterOf(values);
  if (Object.values(rest).some((v) => v !== undefined) || values.all || values['dry-run']) {
    throw usageError('give an event id (with --destination at most) or filters, not both');
  }
  const res = await client.request('POST', `/admin/events/${encodeURIComponent(id)}/replay`, {
    body: destination !== undefined ? { destination } : {},
    accept: [404, 409],
  });
  const body = res.body as {
    error?: { code: string; message: string };
    destinations?: string[];
  };
  if (res.status === 404 && body.error?.code === 'event_not_found') return notFound(id, io);
  if (res.status >= 400)
    throw new CliError(EXIT.failed, body.error?.message ?? `HTTP ${res.status}`);
  io.out(
    values.json
      ? `${JSON.stringify(body)}\n`
      : `replayed ${id}: queued for ${(body.destinations ?? []).join(', ')}\n`,
  );
  return EXIT.ok;
}

interface BulkAnswer {
  replayed: number;
  skipped: number;
  as_of: string;
  done: boolean;
  cursor: string | null;
}

/** Replays (or counts) every match, one request per batch, printing progress. */
async function bulk(client: ApiClient, values: Values, io: Io): Promise<number> {
  if (values.id !== undefined) throw usageError('events replay takes the id as an argument');
  if (!hasFilter(values) && !values.all) {
    throw usageError('events replay needs an event id, filters, or --all for every event');
  }
  const max = positiveInt('batch', values.batch, 1_000, 10_000);
  const dryRun = values['dry-run'];
  const verb = dryRun ? 'would replay' : 'replayed';
  let replayed = 0;
  let skipped = 0;
  let run: { as_of?: string; cursor?: string } = {};
  for (;;) {
    const res = await client.request('POST', '/admin/events/replay', {
      body: { ...filterOf(values), ...run, max, dry_run: dryRun },
    });
    const answer = res.body as BulkAnswer;
    replayed += answer.replayed;
    skipped += answer.skipped;
    if (!values.json) progress(io, `${verb} ${replayed} events${answer.done ? '' : '…'}`);
    if (answer.done) break;
    if (answer.cursor === null) {
      throw new CliError(EXIT.failed, 'the service answered an unfinished run without a cursor');
    }
    run = { as_of: answer.as_of, cursor: answer.cursor };
  }
  if (!values.json && io.interactive) io.err('\n');
  const left =
    skipped > 0 ? `; ${skipped} skipped (duplicates, no payload kept, or no destination left)` : '';
  io.out(
    values.json
      ? `${JSON.stringify({ dry_run: dryRun, replayed, skipped })}\n`
      : `${verb} ${replayed} events${left}\n`,
  );
  return EXIT.ok;
}
