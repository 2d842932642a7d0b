/**
 * The admin guard: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time.
 *
 * Both tokens are hashed before the compare, so that neither the position of the
 * first wrong character nor the token's length shows in the time taken.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Secret } from '../config/secret.js';
import { apiError } from '../errors.js';

const BEARER = /^Bearer +(\S+) *$/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** True when `authorization` is `Bearer <token>` with exactly the expected token. */
export function bearerMatches(expectedDigest: Buffer, authorization: string | undefined): boolean {
  const presented = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
  // Hash something even when the header is missing or malformed, so that those
  // cases take the same time as a wrong token.
  const presentedDigest = digest(presented ?? '');
  return timingSafeEqual(presentedDigest, expectedDigest) && presented !== undefined;
}

/** An onRequest hook that lets only requests bearing `token` through; others get 401. */
export function adminGuard(token: Secret) {
  const expected = digest(token.reveal());
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!bearerMatches(expected, request.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer realm="admin"');
      throw apiError('unauthorized');
    }
  };
}
