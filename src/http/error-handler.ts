/**
 * One renderer for every error response: `{"error":{"code","message"}}` from the
 * catalogue, with `Retry-After` on load-shedding 503s.
 *
 * Fastify's own errors (body too large, bad media type, bad JSON) are mapped to
 * catalogue codes here, so clients never see two shapes. Anything unexpected is a
 * 500 `internal_error`, logged with its stack, and never caused by client input.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ApiError, type ErrorCode, errorBody } from '../errors.js';
import type { Metrics } from '../metrics.js';

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

function toApiError(err: FastifyError | ApiError | Error): ApiError {
  if (err instanceof ApiError) return err;
  const code = 'code' in err && typeof err.code === 'string' ? FASTIFY_CODES[err.code] : undefined;
  if (code) return new ApiError(code, code === 'bad_request' ? err.message : undefined);
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
): void {
  app.setErrorHandler((err, request, reply) => {
    const apiErr = toApiError(err instanceof Error ? err : new Error(String(err)));
    if (apiErr.statusCode >= 500 && apiErr.code === 'internal_error') {
      request.log.error({ err }, 'unhandled error');
    }
    if (webhookRoutes(request.url)) metrics.countRejected(apiErr.code);
    if (apiErr.retryAfterSeconds !== undefined)
      reply.header('retry-after', String(apiErr.retryAfterSeconds));
    return reply.code(apiErr.statusCode).send(errorBody(apiErr));
  });
  app.setNotFoundHandler((request, reply) => {
    const apiErr = new ApiError('not_found');
    if (webhookRoutes(request.url)) metrics.countRejected(apiErr.code);
    return reply.code(404).send(errorBody(apiErr));
  });
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
