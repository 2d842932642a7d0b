/**
 * `webhook-processor send`: posts an example webhook, or a file, to a service,
 * signed the way the chosen source scheme's provider signs it (with the
 * schemes' own signing code), so a developer can try a source end to end.
 * Its scheme options are the schemes' settings (schemes.ts), checked by the
 * same code as the config file's.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Secret } from '../config/secret.js';
import type { SourceDefinition } from '../sources/definition.js';
import { createScheme } from '../sources/registry.js';
import { type SchemeDefinition, secretKey } from '../sources/scheme-definition.js';
import { SCHEME_NAMES, SCHEMES, type SchemeName, schemeDefinition } from '../sources/schemes.js';
import { readSettings, type Setting } from '../sources/settings.js';
import { ApiClient } from './client.js';
import { exampleBody, exampleEventType } from './examples.js';
import { EXIT, type Io, parseCommand, SERVICE_OPTIONS, serviceUrl, usageError } from './io.js';

const OWN_OPTIONS = {
  ...SERVICE_OPTIONS,
  source: { type: 'string' },
  scheme: { type: 'string' },
  secret: { type: 'string' },
  event: { type: 'string' },
  id: { type: 'string' },
  file: { type: 'string' },
} as const;

/** The settings `send` takes as options, scheme by scheme. */
const FLAGGED = SCHEMES.map((scheme) => ({
  scheme,
  settings: (Object.values(scheme.settings) as Setting<unknown>[]).filter((s) => s.flag),
})).filter((s) => s.settings.length > 0);

const SETTING_OPTIONS = Object.fromEntries(
  FLAGGED.flatMap((s) => s.settings).map((s) => [s.flag as string, { type: 'string' as const }]),
);

for (const flag of Object.keys(SETTING_OPTIONS)) {
  if (flag in OWN_OPTIONS) throw new Error(`a scheme setting reuses send's option --${flag}`);
}

const settingsHelp = FLAGGED.map(
  ({ scheme, settings }) =>
    `  ${scheme.name} scheme settings, as in the config file:\n${wrap(
      settings.map((s) => `--${s.flag} ${s.flagHelp ?? 'VALUE'}`).join(', '),
    )}`,
).join('\n');

const width = Math.max(...SCHEMES.map((s) => s.name.length)) + 2;
const schemesHelp = SCHEMES.map((s) => `  ${s.name.padEnd(width)}${s.summary}`).join('\n');

function wrap(text: string): string {
  const lines: string[] = [];
  let line = ' ';
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > 92) {
      lines.push(line);
      line = ' ';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines.join('\n');
}

export const SEND_HELP = `Usage: webhook-processor send [options]

Posts a webhook to a service: an example shaped like the provider's (default), or a file.
Without --source it goes to POST /webhooks unsigned; with --source NAME to
POST /webhooks/NAME, signed for the source's scheme. Prints the answer; exits 0 on 2xx.

  --url URL            the service (default $WEBHOOK_PROCESSOR_URL, else http://localhost:8080)
  --source NAME        the source to post to (a name from the service's config file)
  --scheme SCHEME      one of the schemes below (default: the source's name, if it is one)
  --secret SECRET      the signing secret (default $WEBHOOK_SECRET); the first of a rotation
  --event TYPE         event type of the example (default: one the built-in handlers
                       process, e.g. payment.succeeded unsigned, payment_intent.succeeded for stripe)
  --id ID              delivery id / idempotency key (default a fresh one)
  --file PATH          send this file's bytes as the body instead of an example
  --json               print the answer as JSON only
${settingsHelp}

Schemes:
${schemesHelp}
`;

function parse(args: string[]) {
  return parseCommand(() =>
    parseArgs({
      args,
      options: { ...OWN_OPTIONS, ...SETTING_OPTIONS },
      allowPositionals: true,
      strict: true,
    }),
  );
}

type Values = ReturnType<typeof parse>['values'];

/** A source definition for signing, from the command line (checked as the config file's are). */
function definition(scheme: SchemeDefinition, secret: string, v: Values): SourceDefinition {
  if (scheme.secret && secretKey(scheme, secret) === undefined)
    throw usageError(`--secret: not ${scheme.secret.expected}`);
  const flags: Readonly<Record<string, unknown>> = v;
  const problems: string[] = [];
  const settings = readSettings(
    scheme.settings,
    (setting) => (setting.flag ? flags[setting.flag] : undefined),
    (setting, text) =>
      problems.push(
        setting.flag && flags[setting.flag] === undefined
          ? `--scheme ${scheme.name} needs --${setting.flag} (it ${text})`
          : `--${setting.flag ?? setting.key} ${text}`,
      ),
  );
  if (problems.length > 0) throw usageError(problems.join('; '));
  return {
    ...settings,
    name: 'cli',
    scheme: scheme.name as SchemeName,
    secretEnv: [],
    secrets: [new Secret(secret)],
    rateLimit: undefined,
  };
}

function schemeOf(v: Values): SchemeDefinition | undefined {
  if (v.source === undefined) {
    if (v.scheme !== undefined)
      throw usageError('--scheme needs --source (unsigned posts go to /webhooks)');
    return undefined;
  }
  const scheme = schemeDefinition(String(v.scheme ?? v.source));
  if (!scheme)
    throw usageError(`--scheme: one of ${SCHEME_NAMES.join(', ')} (the source's name is not one)`);
  return scheme;
}

export async function sendCommand(args: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parse(args);
  if (v.help) {
    io.out(SEND_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw usageError(`unexpected arguments: ${positionals.join(' ')}`);
  const scheme = schemeOf(v);
  const eventType = v.event ?? exampleEventType(scheme);
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
        `cannot sign: ${(err as Error).message} (is the secret right for ${scheme.name}?)`,
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
