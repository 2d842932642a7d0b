/**
 * What the admin routes that list, show and replay (DLQ, event log) share:
 * times as RFC 3339, a stored body as JSON, the catalogue's code for a schema
 * violation, and an optional JSON body.
 */
import type { FastifyRequest, RouteShorthandOptions } from 'fastify';
import { apiError } from '../../errors.js';

export type Params = Record<string, unknown>;

export const iso = (ms: number) => new Date(ms).toISOString();

/** A stored body as the API shows it: parsed JSON, or the text as received. */
export function bodyOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Schema violations (a limit out of range, a wrong type) answer with the catalogue's code. */
export function checkValidation(request: FastifyRequest): void {
  if (request.validationError) {
    throw apiError('invalid_filter', `Invalid parameter: ${request.validationError.message}.`);
  }
}

/** For a route whose body fields are all optional: no body at all, or an empty one, is `{}`. */
export const OPTIONAL_BODY: Pick<RouteShorthandOptions, 'config' | 'preValidation'> = {
  config: { emptyBodyIsAbsent: true },
  preValidation: (request, _reply, done) => {
    request.body ??= {};
    done();
  },
};
