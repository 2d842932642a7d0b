/**
 * A webhook sender for the fault suite, behaving like a provider: each event has
 * its own `id` (its idempotency key), and an event that did not get a 202 (a 503,
 * a refused connection, a lost response) is sent again, after a short pause, until
 * it is accepted or the sender is stopped.
 *
 * It records what the suite's tallies need: the distinct job ids answered 202,
 * every response by status and code, and the slowest answer of each kind.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';

export interface LoadOptions {
  /** Base URL of the service; read before every request, so it may change (a restart). */
  target: () => string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Event type of event `n` (default `load.test`). */
  eventType?: (n: number) => string;
  /** Extra payload fields of event `n`. */
  payload?: (n: number) => Record<string, unknown>;
  /** A request without an answer after this long is aborted and counted as a hang. */
  requestTimeoutMs?: number;
  /** Pause before an event is sent again. */
  retryPauseMs?: number;
  /** Gives up on an event after this many attempts (default: never, until stopped). */
  maxAttempts?: number;
  /** Pause of each sender after an accepted event, to hold a steady rate (default 0). */
  paceMs?: number;
}

/** How one request ended: `202`, `503 store_unavailable`, `error ECONNREFUSED`, `hang`… */
type Outcome = string;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Load {
  readonly run = randomBytes(4).toString('hex');
  /** Job ids answered 202 (queued or duplicate). */
  readonly accepted = new Set<string>();
  /** Event number -> the job id its 202 named; a second 202 must name the same job. */
  readonly idOfEvent = new Map<number, string>();
  /** Events whose 202s named two different jobs (dedupe failed). */
  readonly dedupeMismatches: number[] = [];
  readonly outcomes = new Map<Outcome, number>();
  /** Slowest answer seen, per outcome, in ms. */
  readonly slowest = new Map<Outcome, number>();
  private readonly o: Required<Omit<LoadOptions, 'maxAttempts'>> & { maxAttempts: number };
  private stopped = false;
  private next = 0;
  private limit = 0;
  private readonly workers: Promise<void>[] = [];
  private readonly agent: Agent;

  constructor(opts: LoadOptions) {
    this.o = {
      eventType: () => 'load.test',
      payload: () => ({}),
      requestTimeoutMs: 10_000,
      retryPauseMs: 50,
      paceMs: 0,
      maxAttempts: Number.POSITIVE_INFINITY,
      ...opts,
    };
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  }

  /** Starts sending events until `count` have been handled (or `stop()`). */
  start(count: number): this {
    this.limit = count;
    for (let w = 0; w < this.o.concurrency; w++) this.workers.push(this.worker());
    return this;
  }

  /** Resolves when every event was handled or the sender was stopped. */
  async done(): Promise<void> {
    await Promise.all(this.workers);
    this.agent.destroy();
  }

  /** Stops after the requests in flight; events not yet accepted stay unaccepted. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done();
  }

  /** Events started so far. */
  get started(): number {
    return this.next;
  }

  count(outcome: Outcome): number {
    return this.outcomes.get(outcome) ?? 0;
  }

  /** Outcomes whose name starts with `prefix`, summed. */
  countPrefix(prefix: string): number {
    let n = 0;
    for (const [k, v] of this.outcomes) if (k.startsWith(prefix)) n += v;
    return n;
  }

  summary(): string {
    return [...this.outcomes.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
  }

  private async worker(): Promise<void> {
    while (!this.stopped && this.next < this.limit) {
      const n = this.next++;
      for (let attempt = 1; !this.stopped && attempt <= this.o.maxAttempts; attempt++) {
        if (await this.sendOnce(n)) break;
        await pause(this.o.retryPauseMs);
      }
      if (this.o.paceMs > 0) await pause(this.o.paceMs);
    }
  }

  private note(outcome: Outcome, ms: number): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    if (ms > (this.slowest.get(outcome) ?? 0)) this.slowest.set(outcome, ms);
  }

  /** One POST of event `n`; true when it was accepted. */
  private async sendOnce(n: number): Promise<boolean> {
    const started = performance.now();
    let outcome: Outcome;
    try {
      const body = JSON.stringify({ id: `${this.run}-${n}`, n, ...this.o.payload(n) });
      const res = await this.post(body, this.o.eventType(n));
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(res.text) as Record<string, unknown>;
      } catch {
        // A non-JSON answer is recorded by its status alone.
      }
      if (res.status === 202 && typeof parsed.id === 'string') {
        const previous = this.idOfEvent.get(n);
        if (previous !== undefined && previous !== parsed.id) this.dedupeMismatches.push(n);
        this.idOfEvent.set(n, parsed.id);
        this.accepted.add(parsed.id);
        this.note('202', performance.now() - started);
        return true;
      }
      const code = (parsed.error as { code?: string } | undefined)?.code;
      outcome = `${res.status}${code ? ` ${code}` : ''}`;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      outcome = e.name === 'AbortError' ? 'hang' : `error ${e.code ?? e.name}`;
    }
    this.note(outcome, performance.now() - started);
    return false;
  }

  /**
   * node:http with keep-alive rather than fetch: it costs the sending process a
   * fraction of the CPU, which matters on a small machine shared with the service.
   */
  private post(body: string, eventType: string): Promise<{ status: number; text: string }> {
    const url = new URL('/webhooks', this.o.target());
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-event-type': eventType,
          },
          signal: AbortSignal.timeout(this.o.requestTimeoutMs),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
