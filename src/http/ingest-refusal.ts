/**
 * The ingest routes' check before the body: refuse now if ingest would
 * (Ingestor.refusal, the one decision), answered without an exception because
 * under overload a refusal is the hot path. The server's edge (edge-shedding.ts)
 * asks the same question first and sends the same bytes; this hook catches what
 * gets past it (a state that changed in between, or no edge at all).
 */
import type { onRequestHookHandler } from 'fastify';
import type { Ingestor } from '../ingest/ingestor.js';
import type { Metrics } from '../metrics.js';
import { refuse } from './error-handler.js';

export function ingestRefusalHook(ingestor: Ingestor, metrics: Metrics): onRequestHookHandler {
  return (_request, reply, done) => {
    const refusal = ingestor.refusal();
    if (refusal === undefined) done();
    else refuse(reply, refusal, metrics);
  };
}
