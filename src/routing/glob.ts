/**
 * Event type globs: `*` matches any run of characters (dots included), every
 * other character matches itself. `invoice.*` matches `invoice.paid` and
 * `invoice.payment.failed`; `*.created` matches `customer.created`.
 *
 * A glob compiles to its literal pieces, matched left to right with `indexOf`:
 * linear in the event type, where a regular expression with several `.*` could
 * backtrack for a long time on a type that almost matches.
 */

/** The characters an event type can hold, and `*`. */
export const GLOB = /^[A-Za-z0-9._:/*-]{1,256}$/;

/** True when the event type matches. */
export type TypeMatcher = (type: string) => boolean;

interface Pattern {
  prefix: string;
  /** Pieces between stars, in order. */
  middle: string[];
  suffix: string;
  minLength: number;
}

/** One matcher for a list of globs: true when any of them matches. */
export function compileGlobs(globs: readonly string[]): TypeMatcher {
  const exact = new Set<string>();
  const patterns: Pattern[] = [];
  for (const glob of globs) {
    if (!glob.includes('*')) {
      exact.add(glob);
      continue;
    }
    const pieces = glob.split('*');
    const prefix = pieces[0] ?? '';
    const suffix = pieces[pieces.length - 1] ?? '';
    const middle = pieces.slice(1, -1).filter((p) => p !== '');
    if (prefix === '' && suffix === '' && middle.length === 0) return () => true;
    const minLength = prefix.length + suffix.length + middle.reduce((n, p) => n + p.length, 0);
    patterns.push({ prefix, middle, suffix, minLength });
  }
  return (type) => exact.has(type) || patterns.some((p) => matches(p, type));
}

function matches(p: Pattern, type: string): boolean {
  if (type.length < p.minLength || !type.startsWith(p.prefix) || !type.endsWith(p.suffix)) {
    return false;
  }
  // The leftmost place for each piece leaves the most room for the rest, so it
  // is the only place worth trying.
  let at = p.prefix.length;
  const end = type.length - p.suffix.length;
  for (const piece of p.middle) {
    const found = type.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}
