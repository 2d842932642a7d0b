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

export function installJsonBody(app: FastifyInstance): void {
  app.decorateRequest('rawBody', undefined);
  app.decorateRequest('bodyText', undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer' }, (request, body, done) => {
    const buf = body as Buffer;
    if (buf.length === 0) return done(apiError('empty_body'), undefined);
    let parsed: unknown;
    let text: string;
    try {
      text = utf8.decode(buf);
      parsed = JSON.parse(text);
    } catch {
      return done(apiError('invalid_json'), undefined);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return done(apiError('invalid_body'), undefined);
    }
    request.rawBody = buf;
    request.bodyText = text;
    done(null, parsed);
  });
}
