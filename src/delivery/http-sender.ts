/**
 * One delivery attempt over HTTP: the request, and what its answer means.
 *
 * Each destination has an undici Agent of its own (keep-alive, at most
 * `concurrency` connections), so one destination's sockets never queue
 * another's requests. The whole attempt, body included, is bounded by the
 * destination's timeout. Redirects are not followed. At most the first 1 KiB of
 * an answer is kept, and the rest is discarded so the socket is freed.
 * `send` never rejects: every failure is an outcome.
 */
import { createRequire } from 'node:module';
import { Agent, request } from 'undici';
import type { DestinationConfig } from './destination.js';
import { type CodeClass, classifyError, classifyStatus } from './outcome.js';
import { parseRetryAfter } from './retry-after.js';
import { signatureHeader } from './signature.js';

export type { CodeClass } from './outcome.js';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string })
  .version;
export const USER_AGENT = `webhook-processor/${VERSION}`;

/** The most of an answer's body that is kept (for the event log and the DLQ). */
export const RESPONSE_KEEP_BYTES = 1024;

export interface OutboundMessage {
  /** `webhook-id`: stable for this delivery across its retries. */
  webhookId: string;
  /** The body exactly as received from the provider. */
  body: string;
  contentType: string;
  source: string;
  eventType: string;
  /** The job id answered with the 202. */
  eventId: string;
  /** 1-based. */
  attempt: number;
}

export type AttemptOutcome =
  | { kind: 'delivered'; status: number; durationMs: number; responseBody: string }
  | {
      kind: 'retry' | 'dead';
      status?: number;
      codeClass: CodeClass;
      error: string;
      retryAfterMs?: number;
      durationMs: number;
      responseBody?: string;
    };

interface Target {
  config: DestinationConfig;
  agent: Agent;
  url: URL;
}

export interface HttpSenderOptions {
  userAgent?: string;
  /** The attempt time, for `webhook-timestamp`. */
  now?: () => number;
}

export class HttpSender {
  private readonly targets = new Map<string, Target>();

  constructor(
    destinations: readonly DestinationConfig[],
    private readonly opts: HttpSenderOptions = {},
  ) {
    for (const config of destinations) {
      this.targets.set(config.name, {
        config,
        url: new URL(config.url),
        agent: new Agent({
          connections: config.concurrency,
          pipelining: 1,
          keepAliveTimeout: 4_000,
          keepAliveMaxTimeout: 600_000,
        }),
      });
    }
  }

  async send(
    destination: string,
    msg: OutboundMessage,
    signal?: AbortSignal,
  ): Promise<AttemptOutcome> {
    const target = this.targets.get(destination);
    if (!target) {
      return {
        kind: 'dead',
        codeClass: 'network',
        error: `no destination ${destination}`,
        durationMs: 0,
      };
    }
    const { config } = target;
    const timeout = AbortSignal.timeout(config.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const timestamp = Math.floor((this.opts.now ?? Date.now)() / 1000);
    const body = Buffer.from(msg.body, 'utf8');
    const headers: Record<string, string> = {
      ...config.headers,
      'content-type': msg.contentType,
      'user-agent': this.opts.userAgent ?? USER_AGENT,
      'webhook-id': msg.webhookId,
      'webhook-timestamp': String(timestamp),
      'x-webhook-source': msg.source,
      'x-webhook-event-type': msg.eventType,
      'x-webhook-event-id': msg.eventId,
      'x-webhook-attempt': String(msg.attempt),
    };
    if (config.signingKeys.length > 0) {
      headers['webhook-signature'] = signatureHeader(
        config.signingKeys,
        msg.webhookId,
        timestamp,
        body,
      );
    }
    const started = performance.now();
    let status: number | undefined;
    try {
      const res = await request(target.url, {
        method: 'POST',
        headers,
        body,
        dispatcher: target.agent,
        signal: combined,
      });
      status = res.statusCode;
      let responseBody = '';
      try {
        responseBody = await readStart(res.body);
      } catch {
        // The status is known; a body cut short does not change the outcome.
      } finally {
        await res.body.dump().catch(() => undefined);
      }
      const durationMs = performance.now() - started;
      const verdict = classifyStatus(status, config.retry4xx);
      if (verdict.kind === 'delivered')
        return { kind: 'delivered', status, durationMs, responseBody };
      const retryAfterMs =
        status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after']) : undefined;
      return {
        kind: verdict.kind,
        status,
        codeClass: verdict.codeClass,
        error: verdict.error,
        durationMs,
        responseBody,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    } catch (err) {
      const durationMs = performance.now() - started;
      const timedOut = timeout.aborted && !signal?.aborted;
      const { codeClass, error } = classifyError(err, timedOut, config.timeoutMs);
      return { kind: 'retry', codeClass, error, durationMs };
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.targets.values()].map((t) => t.agent.close().catch(() => undefined)),
    );
  }
}

/** The first RESPONSE_KEEP_BYTES of a body, as UTF-8 (bad bytes replaced). */
async function readStart(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= RESPONSE_KEEP_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_KEEP_BYTES).toString('utf8');
}
