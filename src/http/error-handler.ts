/**
 * One renderer for every error response: `{"error":{"code","message"}}` from the
 * catalogue, with `Retry-After` on load-shedding 503s.
 *
 * Fastify's own errors (body too large, bad media type, bad JSON) are mapped to
 * catalogue codes here, and the domain's errors in domain-errors.ts, so clients
 * never see two shapes. Anything unexpected is a
 * 500 `internal_error`, logged with its stack, and never caused by client input.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ErrorCode, errorBody, payloadTooLarge } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { domainApiError } from './domain-errors.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_BAD_URL: 'bad_request',
  FST_ERR_VALIDATION: 'bad_request',
  FST_ERR_NOT_FOUND: 'not_found',
};

/** Fastify errors whose message says what was wrong without echoing the request. */
const ECHOED_MESSAGES = new Set(['FST_ERR_VALIDATION', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH']);

/** What an error's message may state beyond the catalogue's: the body limit, for a 413. */
export interface ErrorContext {
  bodyLimitBytes?: number;
  /** false: leave requests no route takes to the host's handler (a mounted plugin). */
  notFound?: boolean;
}

/**
 * The catalogue error for anything a route or Fastify threw; a 413 states the
 * body limit when `context` has it.
 */
export function toApiError(
  err: FastifyError | ApiError | Error,
  context: ErrorContext = {},
): ApiError {
  const apiErr = catalogueError(err);
  if (
    apiErr.code === 'payload_too_large' &&
    context.bodyLimitBytes !== undefined &&
    !(err instanceof ApiError)
  ) {
    return payloadTooLarge(context.bodyLimitBytes);
  }
  return apiErr;
}

function catalogueError(err: FastifyError | ApiError | Error): ApiError {
  if (err instanceof ApiError) return err;
  const domain = domainApiError(err);
  if (domain) return domain;
  const fstCode = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  const code = fstCode === undefined ? undefined : FASTIFY_CODES[fstCode];
  if (code) return new ApiError(code, ECHOED_MESSAGES.has(fstCode ?? '') ? err.message : undefined);
  const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status === 404) return new ApiError('not_found');
  if (status === 405) return new ApiError('method_not_allowed');
  if (status === 413) return new ApiError('payload_too_large');
  if (status === 415) return new ApiError('unsupported_media_type');
  if (status >= 400 && status < 500) return new ApiError('bad_request');
  return new ApiError('internal_error');
}

export function installErrorHandling(
  app: FastifyInstance,
  metrics: Metrics,
  webhookRoutes: (url: string) => boolean,
  context: ErrorContext = {},
): void {
  app.setErrorHandler((err, request, reply) => {
    const apiErr = toApiError(err instanceof Error ? err : new Error(String(err)), context);
    if (apiErr.statusCode >= 500 && apiErr.code === 'internal_error') {
      request.log.error({ err }, 'unhandled error');
    }
    if (webhookRoutes(request.url)) metrics.countRejected(apiErr.code);
    return sendApiError(reply, apiErr);
  });
  if (context.notFound === false) return;
  app.setNotFoundHandler((request, reply) => {
    const apiErr = sendNoRoute(app, request, reply);
    if (webhookRoutes(request.url)) metrics.countRejected(apiErr.code);
    return reply;
  });
}

/** Fastify's default: its router refuses longer path parameters (see frameworkErrors). */
export const MAX_PARAM_LENGTH = 100;

/** Placeholder for a path segment longer than the router accepts. */
const LONG_SEGMENT = '_';

/** The path with every segment over `max` characters replaced by LONG_SEGMENT. */
function shortenLongSegments(path: string, max: number): string {
  return path
    .split('/')
    .map((segment) => (segment.length > max ? LONG_SEGMENT : segment))
    .join('/');
}

/** Methods a path may have routes for (OPTIONS aside: CORS answers it on every path). */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The answer for a request no route takes: 405 `method_not_allowed` with `Allow`
 * when the path has routes for other methods, else 404 `not_found`. Returns the
 * error it sent.
 */
export function sendNoRoute(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
): ApiError {
  // The router matches nothing sensible past its parameter length limit.
  const url = shortenLongSegments(request.url.split('?', 1)[0] as string, MAX_PARAM_LENGTH);
  const allowed = METHODS.filter((method) => app.findRoute({ method, url }) !== null);
  const apiErr = new ApiError(allowed.length > 0 ? 'method_not_allowed' : 'not_found');
  if (allowed.length > 0) reply.header('allow', allowed.join(', '));
  sendApiError(reply, apiErr);
  return apiErr;
}

/** Sends a catalogue error: its status, `Retry-After` when it has one, and the error body. */
export function sendApiError(reply: FastifyReply, apiErr: ApiError): FastifyReply {
  if (apiErr.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(apiErr.retryAfterSeconds));
  return reply.code(apiErr.statusCode).send(errorBody(apiErr));
}

export interface FrameworkErrorDeps {
  metrics: Metrics;
  webhookRoutes: (url: string) => boolean;
  /** The app's route table, to learn which route a path with an over-long parameter names. */
  findRoute: (method: string, url: string) => { params: Record<string, unknown> } | null;
  /** The catalogue code a route answers for a value of this parameter that names nothing. */
  unknownParamCodes: Partial<Record<string, ErrorCode>>;
  /** The onRequest guard of the /admin routes, when they exist. */
  adminGuard: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined;
}

const isAdminPath = (path: string) => path === '/admin' || path.startsWith('/admin/');

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Fastify's `frameworkErrors`: errors its router raises before any route or hook
 * runs, answered in the catalogue's shape instead of Fastify's own.
 *
 * - A path that does not decode (`/webhooks/%ZZ`): 400 `bad_request`, with the
 *   catalogue's message (Fastify's would echo the path).
 * - A parameter over the router's length limit: what the route would have
 *   answered. Under /admin the bearer guard decides first (401 without the
 *   token, as for any admin path). Then, if the path names a route, the
 *   parameter names nothing (no source name or DLQ id is that long): the
 *   route's code for an unknown value (`unknown_source`, `dlq_entry_not_found`);
 *   otherwise 404 `not_found`.
 */
export function frameworkErrorHandler(deps: FrameworkErrorDeps) {
  async function longParameter(request: FastifyRequest, reply: FastifyReply): Promise<ApiError> {
    const path = (request.raw.url ?? '/').split('?', 1)[0] as string;
    // The router decodes escapes (`/adm%69n` is /admin): so must the guard's test.
    if (deps.adminGuard && isAdminPath(safeDecode(path))) await deps.adminGuard(request, reply);
    const shortened = shortenLongSegments(path, MAX_PARAM_LENGTH);
    const route = deps.findRoute(request.raw.method ?? 'GET', shortened);
    for (const [name, value] of Object.entries(route?.params ?? {})) {
      const code = deps.unknownParamCodes[name];
      if (value === LONG_SEGMENT && code) return new ApiError(code);
    }
    return new ApiError('not_found');
  }

  return async (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let apiErr: ApiError;
    try {
      apiErr =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? await longParameter(request, reply)
          : toApiError(err);
    } catch (thrown) {
      apiErr = toApiError(thrown instanceof Error ? thrown : new Error(String(thrown)));
    }
    if (apiErr.code === 'internal_error') request.log.error({ err }, 'unhandled framework error');
    if (deps.webhookRoutes(request.url)) deps.metrics.countRejected(apiErr.code);
    sendApiError(reply, apiErr);
  };
}

/** A catalogue error as it goes on the wire: status, headers and serialized body. */
export interface RenderedRefusal {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const rendered = new Map<ErrorCode, RenderedRefusal>();

/** A code's response with its default message, rendered once per code. */
export function renderedRefusal(code: ErrorCode): RenderedRefusal {
  let r = rendered.get(code);
  if (!r) {
    const err = new ApiError(code);
    const body = JSON.stringify(errorBody(err));
    r = {
      status: err.statusCode,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        ...(err.retryAfterSeconds === undefined
          ? {}
          : { 'retry-after': String(err.retryAfterSeconds) }),
      },
      body,
    };
    rendered.set(code, r);
  }
  return r;
}

/**
 * Answers with a catalogue error (its default message) without throwing: for load
 * shedding, where an overloaded instance refuses thousands of requests a second
 * and each refusal must cost as little as possible (no Error, no stack trace, no
 * serialization). The response is the one the error handler would send.
 */
export function refuse(reply: FastifyReply, code: ErrorCode, metrics: Metrics): FastifyReply {
  metrics.countRejected(code);
  const r = renderedRefusal(code);
  return reply.code(r.status).headers(r.headers).send(r.body);
}
