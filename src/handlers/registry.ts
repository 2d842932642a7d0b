/**
 * Handlers by event type, optionally narrowed to one source.
 *
 * Lookup order: (source, type), then (any source, type), then the source's
 * fallback, then the global fallback (the generic handler by default).
 */
import type { Handler } from './handler.js';

const ANY = '*';

export class HandlerRegistry {
  private readonly byKey = new Map<string, Handler>();
  private fallback: Handler;

  constructor(fallback: Handler) {
    this.fallback = fallback;
  }

  /** Registers `handler` for an event type; `source` narrows it to one source. */
  on(type: string, handler: Handler, source: string = ANY): this {
    this.byKey.set(`${source}\u0000${type}`, handler);
    return this;
  }

  /** Handles every event of `source` that has no handler of its own. */
  onSource(source: string, handler: Handler): this {
    return this.on(ANY, handler, source);
  }

  /** Replaces the handler of last resort. */
  otherwise(handler: Handler): this {
    this.fallback = handler;
    return this;
  }

  resolve(source: string, type: string): Handler {
    return (
      this.byKey.get(`${source}\u0000${type}`) ??
      this.byKey.get(`${ANY}\u0000${type}`) ??
      this.byKey.get(`${source}\u0000${ANY}`) ??
      this.fallback
    );
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
