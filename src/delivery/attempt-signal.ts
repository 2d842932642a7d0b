/**
 * One attempt's abort signal: its deadline joined with the caller's signal
 * (shutdown), and which of the two fired. Built by hand rather than with
 * `AbortSignal.any`: on Node 20 every `any()` over a long-lived signal stays
 * referenced from it, which grows without bound when one shutdown signal is
 * shared by every delivery.
 */
import type { AbortCause } from './outcome.js';

export class AttemptSignal {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private why: AbortCause;

  constructor(
    timeoutMs: number,
    private readonly caller?: AbortSignal,
  ) {
    if (caller?.aborted) {
      this.fire('aborted', caller.reason);
      return;
    }
    this.timer = setTimeout(
      () =>
        this.fire('timeout', new DOMException(`timed out after ${timeoutMs}ms`, 'TimeoutError')),
      timeoutMs,
    );
    this.timer.unref();
    caller?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** What fired: the deadline, the caller, or nothing yet. */
  get cause(): AbortCause {
    return this.why;
  }

  /**
   * `pending`, or a rejection with the abort reason as soon as the signal fires.
   * undici looks at a request's signal only once the request is dispatched, so
   * one queued behind busy connections would otherwise outlive its deadline;
   * `onLate` gets a result that arrives after the abort, to release it.
   */
  race<T>(pending: Promise<T>, onLate: (value: T) => void): Promise<T> {
    const { signal } = this.controller;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      pending.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) onLate(value);
          else resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  /** Stops the deadline and lets go of the caller's signal; call once the attempt is over. */
  dispose(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }

  private readonly onCallerAbort = () => this.fire('aborted', this.caller?.reason);

  private fire(why: NonNullable<AbortCause>, reason: unknown): void {
    if (this.why) return;
    this.why = why;
    this.controller.abort(reason);
  }
}
