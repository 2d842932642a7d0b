/**
 * The JSON body parser. It keeps the exact bytes as received (signature schemes
 * verify those, and the job stores the text) and accepts only a JSON object in
 * valid UTF-8.
 */
import type { FastifyInstance } from 'fastify';
import { apiError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body exactly as received, for JSON requests. */
    rawBody: Buffer | undefined;
    /** The same body as text (it is valid UTF-8, or the request was refused). */
    bodyText: string | undefined;
  }
}

/** `application/json` and the `application/<something>+json` family, with parameters. */
const JSON_TYPES = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_TYPES.test(contentType);
}

/** A body that is a JSON object in valid UTF-8, or the ApiError saying why not. */
export function decodeJsonObject(buf: Buffer): { value: Record<string, unknown>; text: string } {
  if (buf.length === 0) throw apiError('empty_body');
  let parsed: unknown;
  let text: string;
  try {
    text = utf8.decode(buf);
    parsed = JSON.parse(text);
  } catch {
    throw apiError('invalid_json');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw apiError('invalid_body');
  }
  return { value: parsed as Record<string, unknown>, text };
}

export function installJsonBody(app: FastifyInstance): void {
  app.decorateRequest('rawBody', undefined);
  app.decorateRequest('bodyText', undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer' }, (request, body, done) => {
    const buf = body as Buffer;
    let decoded: { value: Record<string, unknown>; text: string };
    try {
      decoded = decodeJsonObject(buf);
    } catch (err) {
      return done(err as Error, undefined);
    }
    request.rawBody = buf;
    request.bodyText = decoded.text;
    done(null, decoded.value);
  });
}

/**
 * For routes that verify a signature before anything else: every body, of any
 * content type, is kept as raw bytes and left unparsed. The route checks the
 * signature, then the content type and JSON itself, so an unsigned request
 * learns nothing about how its body would have been read.
 */
export function installRawBody(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    done(null, undefined);
  });
}
