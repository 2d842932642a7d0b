/**
 * `webhook-processor send`: posts an example webhook, or a file, to a service,
 * signed the way the chosen source scheme's provider signs it (with the
 * schemes' own signing code), so a developer can try a source end to end.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Secret } from '../config/secret.js';
import type { SourceDefinition } from '../sources/definition.js';
import { createScheme } from '../sources/registry.js';
import { SCHEME_NAMES, type SchemeName } from '../sources/scheme.js';
import { ApiClient } from './client.js';
import { exampleBody } from './examples.js';
import { EXIT, type Io, parseCommand, SERVICE_OPTIONS, serviceUrl, usageError } from './io.js';

export const SEND_HELP = `Usage: webhook-processor send [options]

Posts a webhook to a service: an example shaped like the provider's (default), or a file.
Without --source it goes to POST /webhooks unsigned; with --source NAME to
POST /webhooks/NAME, signed for the source's scheme. Prints the answer; exits 0 on 2xx.

  --url URL            the service (default $WEBHOOK_PROCESSOR_URL, else http://localhost:8080)
  --source NAME        the source to post to (a name from the service's config file)
  --scheme SCHEME      ${SCHEME_NAMES.join(', ')} (default: the source's name, if it is one)
  --secret SECRET      the signing secret (default $WEBHOOK_SECRET); the first of a rotation
  --event TYPE         event type of the example (default payment.succeeded)
  --id ID              delivery id / idempotency key (default a fresh one)
  --file PATH          send this file's bytes as the body instead of an example
  --json               print the answer as JSON only
  hmac scheme settings, as in the config file:
  --header NAME (required), --algorithm sha256|sha512, --encoding hex|base64, --prefix TEXT,
  --event-header NAME (default X-Event-Type), --id-header NAME (default Idempotency-Key)
`;

const OPTIONS = {
  ...SERVICE_OPTIONS,
  source: { type: 'string' },
  scheme: { type: 'string' },
  secret: { type: 'string' },
  event: { type: 'string' },
  id: { type: 'string' },
  file: { type: 'string' },
  header: { type: 'string' },
  algorithm: { type: 'string' },
  encoding: { type: 'string' },
  prefix: { type: 'string' },
  'event-header': { type: 'string' },
  'id-header': { type: 'string' },
} as const;

function parse(args: string[]) {
  return parseCommand(() =>
    parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true }),
  );
}

type Values = ReturnType<typeof parse>['values'];

/** A source definition for signing, from the command line (checked like SOURCES_FILE's). */
function definition(scheme: SchemeName, secret: string, v: Values): SourceDefinition {
  const base = { name: 'cli', secretEnv: [], secrets: [new Secret(secret)], rateLimit: undefined };
  switch (scheme) {
    case 'stripe':
    case 'slack':
    case 'standard-webhooks':
      return { ...base, scheme, toleranceMs: 300_000 };
    case 'github':
    case 'shopify':
      return { ...base, scheme };
    case 'hmac': {
      if (!v.header) throw usageError('--scheme hmac needs --header NAME');
      const algorithm = v.algorithm ?? 'sha256';
      const encoding = v.encoding ?? 'hex';
      if (algorithm !== 'sha256' && algorithm !== 'sha512') {
        throw usageError('--algorithm: sha256 or sha512');
      }
      if (encoding !== 'hex' && encoding !== 'base64')
        throw usageError('--encoding: hex or base64');
      return {
        ...base,
        scheme,
        header: v.header,
        algorithm,
        encoding,
        prefix: v.prefix ?? '',
        eventTypeHeader: v['event-header'] ?? 'x-event-type',
        deliveryIdHeader: v['id-header'] ?? 'idempotency-key',
      };
    }
  }
}

function schemeOf(v: Values): SchemeName | undefined {
  const name = v.scheme ?? v.source;
  if (v.source === undefined) {
    if (v.scheme !== undefined)
      throw usageError('--scheme needs --source (unsigned posts go to /webhooks)');
    return undefined;
  }
  if (!(SCHEME_NAMES as readonly string[]).includes(name ?? '')) {
    throw usageError(`--scheme: one of ${SCHEME_NAMES.join(', ')} (the source's name is not one)`);
  }
  return name as SchemeName;
}

export async function sendCommand(args: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parse(args);
  if (v.help) {
    io.out(SEND_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw usageError(`unexpected arguments: ${positionals.join(' ')}`);
  const scheme = schemeOf(v);
  const eventType = v.event ?? 'payment.succeeded';
  const deliveryId = v.id ?? `evt_${randomUUID().replaceAll('-', '')}`;
  let body: Buffer;
  try {
    body = v.file
      ? readFileSync(v.file)
      : Buffer.from(JSON.stringify(exampleBody(scheme, eventType, deliveryId)));
  } catch (err) {
    throw usageError(`--file: cannot read ${v.file} (${(err as NodeJS.ErrnoException).code})`);
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (scheme === undefined) {
    Object.assign(headers, { 'x-event-type': eventType, 'idempotency-key': deliveryId });
  } else {
    const secret = v.secret ?? io.env.WEBHOOK_SECRET;
    if (!secret) throw usageError('a signing secret is needed: --secret SECRET or WEBHOOK_SECRET');
    try {
      const signer = createScheme(definition(scheme, secret, v));
      Object.assign(headers, signer.sign({ rawBody: body, eventType, deliveryId }, Date.now()));
    } catch (err) {
      if ((err as { exitCode?: number }).exitCode !== undefined) throw err;
      throw usageError(
        `cannot sign: ${(err as Error).message} (is the secret right for ${scheme}?)`,
      );
    }
  }
  const client = new ApiClient(serviceUrl(io, v.url));
  const path = v.source === undefined ? '/webhooks' : `/webhooks/${encodeURIComponent(v.source)}`;
  const res = await client.request('POST', path, {
    raw: { bytes: body, headers },
    accept: 'any',
  });
  const answer = res.body === undefined ? '' : JSON.stringify(res.body);
  io.out(v.json ? `${answer}\n` : `${res.status} ${answer}\n`);
  return res.status >= 200 && res.status < 300 ? EXIT.ok : EXIT.failed;
}
