/**
 * A small HTTP client for the service's API, as the CLI uses it: JSON in and
 * out, and every failure turned into a CliError with the right exit code.
 */
import { CliError, EXIT } from './io.js';

export interface ApiResponse {
  status: number;
  body: unknown;
  text: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Raw bytes and headers, sent as they are (for `send`). */
  raw?: { bytes: Buffer; headers: Record<string, string> };
  /** Answers with these statuses (or any) are returned instead of thrown. */
  accept?: readonly number[] | 'any';
}

const TIMEOUT_MS = 30_000;

export class ApiClient {
  /** `token`: the bearer token, or the CliError every request ends with (no token given). */
  constructor(
    readonly base: URL,
    private readonly token?: string | CliError,
  ) {}

  url(path: string, query: RequestOptions['query'] = {}): URL {
    const url = new URL(
      path.replace(/^\//, ''),
      this.base.href.endsWith('/') ? this.base : `${this.base.href}/`,
    );
    for (const [k, v] of Object.entries(query))
      if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    if (this.token instanceof CliError) throw this.token;
    const url = path.startsWith('http') ? new URL(path) : this.url(path, opts.query);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.raw?.headers };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let body: string | Buffer | undefined;
    if (opts.raw) body = opts.raw.bytes;
    else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      const cause =
        (err as Error).name === 'TimeoutError' ? 'no answer within 30s' : describeCause(err);
      throw new CliError(EXIT.unreachable, `cannot reach ${url.origin}: ${cause}`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON (metrics, a proxy's page): kept as text.
    }
    const response = { status: res.status, body: parsed, text };
    if (res.ok || opts.accept === 'any' || opts.accept?.includes(res.status)) return response;
    throw apiFailure(url, response);
  }
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(err);
}

/** The error code and message of a catalogue error body, if it is one. */
export function errorOf(body: unknown): { code: string; message: string } | undefined {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return typeof e?.code === 'string' ? { code: e.code, message: String(e.message) } : undefined;
}

function apiFailure(url: URL, res: ApiResponse): CliError {
  const e = errorOf(res.body);
  if (res.status === 401 && e?.code === 'unauthorized') {
    return new CliError(
      EXIT.unauthorized,
      'the admin token was refused (check --token or ADMIN_TOKEN)',
    );
  }
  if (res.status === 404 && e?.code === 'not_found' && url.pathname.startsWith('/admin')) {
    return new CliError(
      EXIT.unauthorized,
      'the service has no admin routes: start it with ADMIN_TOKEN set',
    );
  }
  const what = e ? `${e.code}: ${e.message}` : `HTTP ${res.status} ${res.text.slice(0, 200)}`;
  return new CliError(EXIT.failed, what);
}
