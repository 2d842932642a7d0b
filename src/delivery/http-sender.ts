/**
 * The HTTP sender: one POST for one delivery attempt, and what it came to.
 *
 * Each destination has its own undici Agent (as many connections as its
 * concurrency, kept alive briefly), so a slow destination cannot take another's
 * sockets. The body goes out byte for byte, signed at send time; redirects are
 * returned, not followed; the whole exchange, body included, is bounded by the
 * destination's timeout. send() never rejects: every failure is an outcome.
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { AttemptSignal } from './attempt-signal.js';
import type { DestinationConfig } from './destination.js';
import {
  defaultEgressPolicy,
  type EgressPolicy,
  type EgressRefusedError,
  guardedLookup,
  refuseLiteralHost,
} from './egress-guard.js';
import {
  attemptHeaders,
  DEFAULT_USER_AGENT,
  destinationHeaders,
  type OutboundMessage,
} from './outbound-headers.js';
import { type AttemptOutcome, errorText, outcomeForAnswer, outcomeForError } from './outcome.js';
import { discardRest, readHead } from './response-body.js';

export type { EgressPolicy } from './egress-guard.js';
export { DEFAULT_USER_AGENT, type OutboundMessage } from './outbound-headers.js';
export type { AttemptOutcome, CodeClass } from './outcome.js';

/** Below common load-balancer idle timeouts, so we close an idle socket before they do. */
const KEEP_ALIVE_TIMEOUT_MS = 4_000;
const KEEP_ALIVE_MAX_TIMEOUT_MS = 600_000;

export interface HttpSenderOptions {
  /** Default `webhook-processor/<version>`. */
  userAgent?: string;
  /** Wall clock for `webhook-timestamp` and Retry-After dates; default Date.now. */
  now?: () => number;
  /** Where connections may go; default: anywhere but link-local and metadata addresses. */
  egress?: EgressPolicy;
}

interface Target {
  config: DestinationConfig;
  /** The URL without credentials (they travel as Authorization instead). */
  url: URL;
  agent: Agent;
  baseHeaders: Record<string, string>;
  /** Set when the URL's host is an IP literal the policy refuses. */
  refused: EgressRefusedError | undefined;
}

export class HttpSender {
  private readonly targets = new Map<string, Target>();
  private readonly userAgent: string;
  private readonly now: () => number;
  private closed = false;

  /** Throws on a destination URL that is not http(s): config is checked before this. */
  constructor(destinations: readonly DestinationConfig[], opts: HttpSenderOptions = {}) {
    this.userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
    this.now = opts.now ?? Date.now;
    const egress = opts.egress ?? defaultEgressPolicy();
    const lookup = guardedLookup(egress);
    for (const config of destinations) {
      const url = new URL(config.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new Error(`destination ${config.name}: the URL must be http or https`);
      }
      const baseHeaders = destinationHeaders(config, url);
      url.username = '';
      url.password = '';
      url.hash = '';
      const agent = new Agent({
        connections: Math.max(1, config.concurrency),
        pipelining: 1,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        keepAliveMaxTimeout: KEEP_ALIVE_MAX_TIMEOUT_MS,
        // The attempt's own deadline covers the whole exchange; these only must not cut it short.
        headersTimeout: config.timeoutMs,
        bodyTimeout: config.timeoutMs,
        connect: { lookup },
      });
      this.targets.set(config.name, {
        config,
        url,
        agent,
        baseHeaders,
        refused: refuseLiteralHost(url, egress),
      });
    }
  }

  /** Delivers `msg` once to the named destination. Never rejects. */
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
        error: `unknown destination ${destination}`,
        durationMs: 0,
      };
    }
    if (this.closed) {
      return { kind: 'retry', codeClass: 'network', error: 'sender closed', durationMs: 0 };
    }
    if (target.refused) {
      return { kind: 'dead', codeClass: 'network', error: target.refused.message, durationMs: 0 };
    }
    try {
      return await this.attempt(target, msg, signal);
    } catch (err) {
      return { kind: 'retry', codeClass: 'network', error: errorText(err), durationMs: 0 };
    }
  }

  /** Closes every destination's connections, after the requests in flight finish. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.targets.values()].map((t) => t.agent.close()));
  }

  private async attempt(
    target: Target,
    msg: OutboundMessage,
    callerSignal: AbortSignal | undefined,
  ): Promise<AttemptOutcome> {
    const { config } = target;
    const body = Buffer.from(msg.body, 'utf8');
    const timestamp = Math.floor(this.now() / 1000);
    const headers = attemptHeaders(
      target.baseHeaders,
      config.signingKeys,
      msg,
      body,
      timestamp,
      this.userAgent,
    );
    const abort = new AttemptSignal(config.timeoutMs, callerSignal);
    const started = performance.now();
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await abort.race(
        request(target.url, {
          method: 'POST',
          headers,
          body,
          signal: abort.signal,
          dispatcher: target.agent,
        }),
        (late) => late.body.destroy(),
      );
    } catch (err) {
      abort.dispose();
      return outcomeForError(err, abort.cause, performance.now() - started, config.timeoutMs);
    }
    try {
      // A body cut short (deadline, reset) does not change the outcome: the status is known.
      const responseBody = await readHead(res.body);
      const durationMs = performance.now() - started;
      return outcomeForAnswer(
        { status: res.statusCode, headers: res.headers, responseBody, durationMs },
        { url: target.url, retry4xx: config.retry4xx, nowMs: this.now() },
      );
    } finally {
      await discardRest(res.body, abort.signal);
      abort.dispose();
    }
  }
}
