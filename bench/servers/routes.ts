/**
 * The parts the peer servers (bare Fastify, BullMQ) share with each other, so
 * that they differ from ours only in what the route does with the event: the
 * same 202 body, serialized from the same schema.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { acceptedResponseSchema } from '../../src/http/schemas.js';

export const ACCEPTED_MESSAGE = 'Webhook accepted for processing';

/** Fastify as a peer would set it up: no logger, default JSON parser, 1 MiB body limit. */
export function peerApp(): FastifyInstance {
  return Fastify({ logger: false, bodyLimit: 1024 * 1024 });
}

export const acceptedSchema = { response: { 202: acceptedResponseSchema } };

/** Listens on a free loopback port; resolves with the URL. */
export async function listen(app: FastifyInstance): Promise<string> {
  return app.listen({ port: 0, host: '127.0.0.1' });
}
