/**
 * Handlers by event type, optionally narrowed to one source, each with its own
 * options (timeout, retries, backoff) when it needs them.
 *
 * Lookup order: (source, type), then (any source, type), then the source's
 * fallback, then the global fallback (the generic handler by default).
 */
import type { Backoff } from '../worker/backoff.js';
import type { EventPayloads, Handler, JobContext, PayloadOf, UntypedPayload } from './handler.js';

const ANY = '*';

/** What one registration may set for itself; the rest comes from the service's config. */
export interface HandlerOptions {
  /** Narrows the registration to one source (`default` is POST /webhooks). */
  source?: string;
  /** This handler's TIMEOUT, in ms. */
  timeout?: number;
  /** This handler's MAX_RETRIES. */
  maxRetries?: number;
  /** The wait before retry n (n = the attempts that failed so far), in ms. */
  backoff?: Backoff;
}

/** A handler and its options, as the worker pool runs it. */
export interface Registration {
  readonly handler: Handler;
  readonly options: Readonly<HandlerOptions>;
}

/** A value of a handlers map: a handler, or a handler with its options. */
export type HandlerEntry<P = UntypedPayload> =
  | Handler<P>
  | (Omit<HandlerOptions, 'source'> & { handler: Handler<P> });

/**
 * A map of event type -> handler entry: the types declared in EventPayloads get
 * their payload type, any other type the untyped payload.
 */
export type HandlerMap = {
  [T in keyof EventPayloads]?: HandlerEntry<EventPayloads[T] & UntypedPayload>;
} & {
  [type: string]: AnyHandlerEntry | undefined;
};

/**
 * The index signature's entry. Its handler is checked bivariantly (a method's
 * type), so that the declared types' handlers, which take a narrower payload,
 * fit beside it, while an undeclared type's handler is still given the untyped
 * payload. (That is also why a declared payload meets UntypedPayload in a map:
 * a payload declared as an interface has no index signature of its own.)
 */
type AnyHandler = { bivariant(job: JobContext): Promise<void> | void }['bivariant'];
type AnyHandlerEntry = AnyHandler | (Omit<HandlerOptions, 'source'> & { handler: AnyHandler });

const NO_OPTIONS: Readonly<HandlerOptions> = Object.freeze({});

export class HandlerRegistry {
  private readonly byKey = new Map<string, Registration>();
  private fallback: Registration;

  constructor(fallback: Handler, options?: HandlerOptions) {
    this.fallback = registration(fallback, options);
  }

  /**
   * Registers `handler` for an event type. The third argument is either a
   * source name, narrowing it to that source, or the handler's options.
   */
  on<T extends string>(
    type: T,
    handler: Handler<PayloadOf<T>>,
    sourceOrOptions?: string | HandlerOptions,
  ): this {
    const options =
      typeof sourceOrOptions === 'string' ? { source: sourceOrOptions } : (sourceOrOptions ?? {});
    // The payload type is the handler's claim; the registry holds every handler alike.
    this.byKey.set(
      `${options.source ?? ANY}\u0000${type}`,
      registration(handler as Handler, options),
    );
    return this;
  }

  /** Registers every entry of a map of event type -> handler (or handler with options). */
  onAll(entries: Readonly<HandlerMap>): this {
    for (const [type, entry] of Object.entries(entries) as [string, HandlerEntry | undefined][]) {
      if (entry === undefined) continue;
      if (typeof entry === 'function') this.on(type, entry);
      else {
        const { handler, ...options } = entry;
        this.on(type, handler as Handler, options);
      }
    }
    return this;
  }

  /** Handles every event of `source` that has no handler of its own. */
  onSource(source: string, handler: Handler, options?: Omit<HandlerOptions, 'source'>): this {
    return this.on(ANY, handler, { ...options, source });
  }

  /** Replaces the handler of last resort. */
  otherwise(handler: Handler, options?: Omit<HandlerOptions, 'source'>): this {
    this.fallback = registration(handler, options);
    return this;
  }

  resolve(source: string, type: string): Handler {
    return this.lookup(source, type).handler;
  }

  /** The handler for an event and the options it was registered with. */
  lookup(source: string, type: string): Registration {
    return (
      this.byKey.get(`${source}\u0000${type}`) ??
      this.byKey.get(`${ANY}\u0000${type}`) ??
      this.byKey.get(`${source}\u0000${ANY}`) ??
      this.fallback
    );
  }

  /** Every registration's options, the fallback's included. */
  *allOptions(): Iterable<Readonly<HandlerOptions>> {
    for (const r of this.byKey.values()) yield r.options;
    yield this.fallback.options;
  }

  /** Event types with a handler of their own (bounded: these are the metric label values). */
  knownTypes(): Set<string> {
    const out = new Set<string>();
    for (const key of this.byKey.keys()) {
      const type = key.slice(key.indexOf('\u0000') + 1);
      if (type !== ANY) out.add(type);
    }
    return out;
  }
}

/** Checked here, at registration, so that a mistake shows at start-up and not on the first job. */
function registration(handler: Handler, options: HandlerOptions | undefined): Registration {
  if (typeof handler !== 'function') throw new TypeError('a handler must be a function');
  if (!options || Object.keys(options).length === 0) return { handler, options: NO_OPTIONS };
  const { timeout, maxRetries, backoff } = options;
  if (timeout !== undefined && !(Number.isSafeInteger(timeout) && timeout > 0)) {
    throw new RangeError(
      `handler option "timeout" must be a whole number of ms > 0, got ${timeout}`,
    );
  }
  if (maxRetries !== undefined && !(Number.isSafeInteger(maxRetries) && maxRetries >= 0)) {
    throw new RangeError(`handler option "maxRetries" must be an integer >= 0, got ${maxRetries}`);
  }
  if (backoff !== undefined && typeof backoff !== 'function') {
    throw new TypeError('handler option "backoff" must be a function of the failed attempts');
  }
  return { handler, options: Object.freeze({ ...options }) };
}
