/**
 * Routing: which destinations an event goes to, from the configured routes.
 *
 * Every route whose source, event type and filter match contributes its `to`
 * list; the result keeps the first occurrence of each name, in route order. An
 * empty result means no route matched: the event goes to the in-process
 * handlers, as it does when no routes are configured at all.
 *
 * Routes are compiled once (globs, filters); `match` runs for every event and
 * never throws, whatever the payload.
 */
import type { RouteConfig } from '../delivery/destination.js';
import { compileFilter, type FilterPredicate } from './filter.js';
import { compileGlobs, type TypeMatcher } from './glob.js';

interface CompiledRoute {
  /** undefined: every source. */
  sources: ReadonlySet<string> | undefined;
  /** undefined: every type. */
  type: TypeMatcher | undefined;
  /** undefined: every payload. */
  filter: FilterPredicate | undefined;
  to: readonly string[];
}

export class Router {
  readonly #routes: CompiledRoute[];

  /** Throws when a route's filter is invalid (routes from the config file have been checked). */
  constructor(routes: readonly RouteConfig[]) {
    this.#routes = routes.map((route, i) => ({
      sources: route.sources === '*' ? undefined : new Set(route.sources),
      type: route.eventTypes === undefined ? undefined : compileGlobs(route.eventTypes),
      filter: route.filter === undefined ? undefined : filterOf(route.filter, i),
      to: [...route.to],
    }));
  }

  /** The destination names (and possibly `handlers`) the event goes to; empty = unrouted. */
  match(source: string, type: string, payload: unknown): string[] {
    const out: string[] = [];
    for (const route of this.#routes) {
      if (route.sources && !route.sources.has(source)) continue;
      if (route.type && !route.type(type)) continue;
      if (route.filter && !route.filter(payload)) continue;
      for (const name of route.to) {
        if (!out.includes(name)) out.push(name);
      }
    }
    return out;
  }
}

function filterOf(filter: Record<string, unknown>, index: number): FilterPredicate {
  const { predicate, problems } = compileFilter(filter);
  if (!predicate) {
    const text = problems.map((p) => `"${p.field}" ${p.text}`).join('; ');
    throw new Error(`routes[${index}]: invalid filter: ${text}`);
  }
  return predicate;
}
