/**
 * `webhook-processor status`: the health and backlog figures of a running
 * service, from GET /health and GET /health/ready (no token needed).
 */
import { parseArgs } from 'node:util';
import { ApiClient } from './client.js';
import { EXIT, type Io, parseCommand, SERVICE_OPTIONS, serviceUrl, usageError } from './io.js';

export const STATUS_HELP = `Usage: webhook-processor status [--url URL] [--json]

Health and backlog figures of a running service: whether it is healthy and ready, its store,
jobs waiting, in progress, scheduled for a retry and dead, and its workers.
Exits 0 when healthy and ready, 1 when not, 3 when the service cannot be reached.

  --url URL   the service (default $WEBHOOK_PROCESSOR_URL, else http://localhost:8080)
  --json      the two answers as JSON: {"health": …, "ready": …}
`;

interface Health {
  status: string;
  queue_size: number;
  pending: number;
  scheduled?: number;
  dlq_size: number;
  workers: number;
  workers_busy?: number;
  store?: string;
  reason?: string;
}

interface Ready {
  status: string;
  store: string;
  workers: string;
  reason?: string;
}

export async function statusCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(() =>
    parseArgs({ args, options: SERVICE_OPTIONS, allowPositionals: true, strict: true }),
  );
  if (values.help) {
    io.out(STATUS_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw usageError(`unexpected arguments: ${positionals.join(' ')}`);
  const client = new ApiClient(serviceUrl(io, values.url));
  const [healthRes, readyRes] = await Promise.all([
    client.request('GET', '/health', { accept: [503] }),
    client.request('GET', '/health/ready', { accept: [503] }),
  ]);
  const health = healthRes.body as Health;
  const ready = readyRes.body as Ready;
  const ok = healthRes.status === 200 && readyRes.status === 200;
  if (values.json) {
    io.out(`${JSON.stringify({ health, ready })}\n`);
    return ok ? EXIT.ok : EXIT.failed;
  }
  const reason = health.reason ?? ready.reason;
  const rows: [string, string][] = [
    [
      'status',
      `${health.status}, ${ready.status.replace('_', ' ')}${reason ? ` (${reason})` : ''}`,
    ],
    ['store', `${health.store ?? '?'} (${ready.store})`],
    ['waiting', String(health.queue_size)],
    ['in progress', String(health.pending)],
    ['scheduled', String(health.scheduled ?? 0)],
    ['dead letters', String(health.dlq_size)],
    ['workers', `${health.workers_busy ?? 0} of ${health.workers} busy (${ready.workers})`],
  ];
  io.out(
    rows
      .map(([k, v]) => `${k.padEnd(13)}${v}`)
      .join('\n')
      .concat('\n'),
  );
  return ok ? EXIT.ok : EXIT.failed;
}
