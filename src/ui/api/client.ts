/**
 * Every call the dashboard makes goes through `call`: the bearer token, JSON in
 * and out, and one error type that carries the service's error code.
 *
 * Paths are relative to the page (/admin/ui/), so the dashboard keeps working
 * behind a proxy that serves the service under a path prefix.
 */
import { session } from '../session.js';

/** The /admin API, relative to the page. */
export const ADMIN = '../';
/** The service's root, relative to the page. */
export const ROOT = '../../';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }

  /** The service has no such route: an API the dashboard can use is not served (yet). */
  get routeMissing(): boolean {
    return (this.status === 404 && this.code === 'not_found') || this.status === 405;
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

/** `path?query`, leaving out empty values. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

let unauthorized: () => void = () => undefined;

/** What to do when the service refuses the stored token (it changed, or was wrong). */
export function onUnauthorized(fn: () => void): void {
  unauthorized = fn;
}

export interface CallOptions {
  query?: Query;
  body?: unknown;
  /** A token to try instead of the stored one (signing in). */
  token?: string;
  /** Statuses besides 2xx whose body is the answer (GET /health answers 503 when unhealthy). */
  accept?: readonly number[];
}

export async function call<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
  const token = opts.token ?? session.token();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiFailure(0, 'unreachable', 'The service did not answer.');
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.ok || opts.accept?.includes(res.status)) return body as T;
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const failure = new ApiFailure(
    res.status,
    typeof error?.code === 'string' ? error.code : `http_${res.status}`,
    typeof error?.message === 'string' ? error.message : `The service answered ${res.status}.`,
  );
  if (res.status === 401 && opts.token === undefined) unauthorized();
  throw failure;
}

/** A message for any error a call can throw. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
