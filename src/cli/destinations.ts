/**
 * `webhook-processor destinations list|pause|resume`: destinations through the
 * service's admin API.
 */
import { parseArgs } from 'node:util';
import { ApiClient } from './client.js';
import {
  ADMIN_OPTIONS,
  ADMIN_OPTIONS_HELP,
  adminToken,
  EXIT,
  type Io,
  parseCommand,
  serviceUrl,
  usageError,
} from './io.js';

export const DESTINATIONS_HELP = `Usage: webhook-processor destinations <list|pause|resume> [options]

  destinations list
      Each destination: state (closed, open, paused), deliveries waiting, in flight and
      scheduled, success rate over the last 5 minutes, last error.
  destinations pause <name>
      Hold every delivery to it, on every instance, until resumed. Nothing is lost.
  destinations resume <name>
      Deliver to it again.

${ADMIN_OPTIONS_HELP}`;

const OPTIONS = ADMIN_OPTIONS;

interface Overview {
  name: string;
  url: string;
  state: string;
  waiting: number;
  in_flight: number;
  scheduled: number;
  success_rate_5m: number | null;
  last_error: string | null;
}

export async function destinationsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(() =>
    parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true }),
  );
  const [action, name, ...extra] = positionals;
  if (values.help || action === undefined) {
    io.out(DESTINATIONS_HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  if (extra.length > 0) throw usageError(`unexpected arguments: ${extra.join(' ')}`);
  if (action !== 'list' && action !== 'pause' && action !== 'resume') {
    throw usageError(
      `unknown destinations command ${JSON.stringify(action)}; see webhook-processor destinations --help`,
    );
  }
  if (action === 'list' && name !== undefined) throw usageError('destinations list takes no name');
  if (action !== 'list' && name === undefined)
    throw usageError(`destinations ${action} needs a name`);
  const client = new ApiClient(serviceUrl(io, values.url), adminToken(io, values.token));
  if (action === 'list') {
    const res = await client.request('GET', '/admin/destinations');
    const list = (res.body as { destinations: Overview[] }).destinations;
    if (values.json) io.out(`${JSON.stringify(list, null, 2)}\n`);
    else for (const d of list) io.out(`${line(d)}\n`);
    return EXIT.ok;
  }
  const res = await client.request(
    'POST',
    `/admin/destinations/${encodeURIComponent(name as string)}/${action}`,
  );
  const d = res.body as Overview;
  io.out(values.json ? `${JSON.stringify(d, null, 2)}\n` : `${line(d)}\n`);
  return EXIT.ok;
}

function line(d: Overview): string {
  const rate = d.success_rate_5m === null ? '-' : `${Math.round(d.success_rate_5m * 1000) / 10}%`;
  const err = d.last_error ? `  last error: ${d.last_error}` : '';
  return `${d.name}  ${d.state}  waiting=${d.waiting} in_flight=${d.in_flight} scheduled=${d.scheduled}  ok_5m=${rate}  ${d.url}${err}`;
}
