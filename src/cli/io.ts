/**
 * What a CLI command works with: its output streams, the environment it reads
 * (ADMIN_TOKEN, WEBHOOK_PROCESSOR_URL, WEBHOOK_SECRET) and the exit codes it
 * ends with. The command line is an edge of its own, like the service's config:
 * commands get the environment from here and read nothing else.
 */

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: progress then rewrites one line. */
  interactive: boolean;
  env: Record<string, string | undefined>;
}

/** The process's own streams and environment. */
export function processIo(): Io {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    interactive: process.stderr.isTTY === true,
    env: process.env,
  };
}

export const EXIT = {
  ok: 0,
  /** The service answered with an error, the entry does not exist, or it is unhealthy. */
  failed: 1,
  /** The command line is wrong. */
  usage: 2,
  /** The service could not be reached. */
  unreachable: 3,
  /** No admin token was given, the service refused it, or it has no admin routes. */
  unauthorized: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Ends a command with a message and an exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError(EXIT.usage, message);
}

/** Runs a node:util parseArgs call, turning its complaints into usage errors. */
export function parseCommand<R>(parse: () => R): R {
  try {
    return parse();
  } catch (err) {
    throw usageError((err as Error).message);
  }
}

/**
 * The admin token: --token, else ADMIN_TOKEN. Missing (or empty) it is the same
 * failure as a token the service refuses, exit 4, not a wrong command line (2):
 * the fix is the credentials, not the arguments. It is returned as the CliError
 * the client ends its first request with, so a command line that is also wrong
 * still exits 2 first.
 */
export function adminToken(io: Io, given: string | undefined): string | CliError {
  if (given !== undefined) {
    return given === ''
      ? new CliError(EXIT.unauthorized, '--token is empty: pass the admin token')
      : given;
  }
  const fromEnv = io.env.ADMIN_TOKEN;
  if (fromEnv === undefined) {
    return new CliError(EXIT.unauthorized, 'no admin token: pass --token TOKEN or set ADMIN_TOKEN');
  }
  if (fromEnv === '') {
    return new CliError(
      EXIT.unauthorized,
      'ADMIN_TOKEN is empty: set it to the admin token, or pass --token TOKEN',
    );
  }
  return fromEnv;
}

/** The options every command that talks to a service takes. */
export const SERVICE_OPTIONS = {
  url: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const DEFAULT_URL = 'http://localhost:8080';

/** The options of every command that calls the admin API, and their help. */
export const ADMIN_OPTIONS = { ...SERVICE_OPTIONS, token: { type: 'string' } } as const;
export const ADMIN_OPTIONS_HELP = `Options:
  --url URL          the service (default $WEBHOOK_PROCESSOR_URL, else ${DEFAULT_URL})
  --token TOKEN      the admin token (default $ADMIN_TOKEN)
  --json             machine-readable output
  -h, --help         this help
`;

/** --url, else WEBHOOK_PROCESSOR_URL, else the default; refused when it is not an http(s) URL. */
export function serviceUrl(io: Io, given: string | undefined): URL {
  const text = given ?? io.env.WEBHOOK_PROCESSOR_URL ?? DEFAULT_URL;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw usageError(
      `--url: expected an http(s) URL such as ${DEFAULT_URL}, got ${JSON.stringify(text)}`,
    );
  }
  return url;
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  '),
    )
    .join('\n')
    .concat('\n');
}

/** A listing's output: JSON, or the table and where the next page starts. */
export function printPage<T>(
  io: Io,
  json: boolean | undefined,
  items: T[],
  cursor: string | undefined,
  table: (items: T[]) => string,
): number {
  if (json) {
    io.out(`${JSON.stringify({ items, next_cursor: cursor ?? null })}\n`);
    return EXIT.ok;
  }
  io.out(table(items));
  if (cursor !== undefined) io.out(`more: --cursor ${cursor}\n`);
  return EXIT.ok;
}
