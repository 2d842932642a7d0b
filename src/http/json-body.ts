/**
 * The JSON body parser. It keeps the exact bytes as received (signature schemes
 * verify those, and the job stores the text) and accepts only a JSON object in
 * valid UTF-8. A body declared in another charset (`charset=utf-16`,
 * `iso-8859-1`) is refused with 415 rather than read as UTF-8.
 */
import type { FastifyInstance } from 'fastify';
import { apiError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An empty body parses as no body (undefined) instead of answering 400 empty_body. */
    emptyBodyIsAbsent?: boolean;
  }
  interface FastifyRequest {
    /** The request body exactly as received, for JSON requests. */
    rawBody: Buffer | undefined;
    /** The same body as text (it is valid UTF-8, or the request was refused). */
    bodyText: string | undefined;
  }
}

/** `application/json` and the `application/<something>+json` family, with parameters. */
const JSON_TYPES = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;
// `ignoreBOM: true` keeps a byte order mark in the text, so that the job stores (and a
// destination receives) the body byte for byte; JSON.parse is given the text without it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const BOM = '\uFEFF';

/** The labels of UTF-8 (the Encoding Standard also knows `utf8`). */
const UTF8_LABELS = new Set(['utf-8', 'utf8']);

/**
 * True unless the media type names a charset other than UTF-8 in a `charset`
 * parameter (case-insensitive, quoted or not). No charset means UTF-8, as JSON is.
 */
export function charsetIsUtf8(contentType: string): boolean {
  for (const param of contentType.split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    let value = param.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    if (!UTF8_LABELS.has(value.toLowerCase())) return false;
  }
  return true;
}

/** A JSON media type whose charset, if it names one, is UTF-8. */
export function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_TYPES.test(contentType) && charsetIsUtf8(contentType);
}

/** A body that is a JSON object in valid UTF-8, or the ApiError saying why not. */
export function decodeJsonObject(buf: Buffer): { value: Record<string, unknown>; text: string } {
  if (buf.length === 0) throw apiError('empty_body');
  let parsed: unknown;
  let text: string;
  try {
    text = utf8.decode(buf);
    parsed = JSON.parse(text.startsWith(BOM) ? text.slice(BOM.length) : text);
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
    if (!charsetIsUtf8(request.headers['content-type'] ?? '')) {
      return done(apiError('unsupported_media_type'), undefined);
    }
    if (buf.length === 0 && request.routeOptions.config.emptyBodyIsAbsent) {
      return done(null, undefined);
    }
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
