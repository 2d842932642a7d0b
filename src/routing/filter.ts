/**
 * Route filters: conditions on the parsed payload, by dotted path, that must all
 * hold for a route to match.
 *
 *   filter:
 *     data.object.livemode: true                  # equality (deep, for objects and arrays)
 *     data.object.currency: { $in: [usd, eur] }
 *     data.object.amount: { $gte: 1000, $lte: 50000 }
 *     data.object.metadata.tenant: { $exists: true }
 *     type: { $prefix: "invoice." }
 *     items.0.sku: ABC-1                           # a number segment indexes an array
 *
 * A filter is checked and compiled once, at start-up; evaluating it never throws,
 * whatever the payload (null, a primitive, an array, a deep object, a `__proto__`
 * key): lookups read own properties only, and recursion follows the filter's
 * values, never the payload's depth.
 */

/** True when every condition of the filter holds for the payload. */
export type FilterPredicate = (payload: unknown) => boolean;

/** A problem with one field of a filter: `field` is `filter.<path>`. */
export interface FilterProblem {
  field: string;
  text: string;
}

const OPERATORS = ['$in', '$exists', '$prefix', '$gte', '$lte'] as const;
const INDEX = /^(?:0|[1-9]\d{0,8})$/;
const MAX_SEGMENTS = 32;
/** What a lookup yields for a path the payload does not have. */
const MISSING: unique symbol = Symbol('missing');

type Test = (value: unknown) => boolean;

/** Checks `filter` and compiles it; the predicate is undefined when there are problems. */
export function compileFilter(filter: unknown): {
  predicate: FilterPredicate | undefined;
  problems: FilterProblem[];
} {
  const problems: FilterProblem[] = [];
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) {
    problems.push({ field: 'filter', text: 'must be a map of payload path -> condition' });
    return { predicate: undefined, problems };
  }
  const conditions: [string[], Test][] = [];
  for (const [path, condition] of Object.entries(filter)) {
    const field = `filter.${path}`;
    const problem = (text: string) => problems.push({ field, text });
    const segments = pathSegments(path, problem);
    const test = compileCondition(condition, problem);
    if (segments && test) conditions.push([segments, test]);
  }
  if (problems.length > 0) return { predicate: undefined, problems };
  return {
    predicate: (payload) => {
      for (const [segments, test] of conditions) {
        if (!test(lookup(payload, segments))) return false;
      }
      return true;
    },
    problems,
  };
}

function pathSegments(path: string, problem: (text: string) => void): string[] | undefined {
  const segments = path.split('.');
  if (segments.some((s) => s === '')) {
    problem('is not a dotted path such as data.object.id (an empty segment)');
    return undefined;
  }
  if (segments.length > MAX_SEGMENTS) {
    problem(`is deeper than ${MAX_SEGMENTS} segments`);
    return undefined;
  }
  return segments;
}

/** The value at `segments`, or MISSING; own properties only, array elements by index. */
function lookup(payload: unknown, segments: readonly string[]): unknown {
  let value = payload;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') return MISSING;
    if (Array.isArray(value) && !INDEX.test(segment)) return MISSING;
    if (!Object.hasOwn(value, segment)) return MISSING;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function compileCondition(condition: unknown, problem: (text: string) => void): Test | undefined {
  if (!isOperatorObject(condition)) {
    if (!checkLiteral(condition, problem)) return undefined;
    return (v) => v !== MISSING && equal(condition, v);
  }
  const keys = Object.keys(condition);
  const plain = keys.filter((k) => !k.startsWith('$'));
  if (plain.length > 0) {
    problem(
      `mixes operators (${keys.filter((k) => k.startsWith('$')).join(', ')}) with plain keys (${plain.join(', ')}); put operators alone under a path`,
    );
    return undefined;
  }
  const tests: Test[] = [];
  for (const op of keys) {
    const test = compileOperator(op, condition[op], problem);
    if (test) tests.push(test);
  }
  if (tests.length !== keys.length) return undefined;
  return (v) => tests.every((t) => t(v));
}

function compileOperator(
  op: string,
  arg: unknown,
  problem: (text: string) => void,
): Test | undefined {
  switch (op) {
    case '$in': {
      if (!Array.isArray(arg) || arg.length === 0) {
        problem('needs a non-empty list of values for "$in"');
        return undefined;
      }
      if (!arg.every((a) => checkLiteral(a, problem))) return undefined;
      return (v) => v !== MISSING && arg.some((a) => equal(a, v));
    }
    case '$exists':
      if (typeof arg !== 'boolean') {
        problem('needs true or false for "$exists"');
        return undefined;
      }
      return (v) => (v !== MISSING) === arg;
    case '$prefix':
      if (typeof arg !== 'string') {
        problem('needs a string for "$prefix"');
        return undefined;
      }
      return (v) => typeof v === 'string' && v.startsWith(arg);
    case '$gte':
    case '$lte':
      if (typeof arg !== 'number' || !Number.isFinite(arg)) {
        problem(`needs a number for "${op}"`);
        return undefined;
      }
      return op === '$gte'
        ? (v) => typeof v === 'number' && v >= arg
        : (v) => typeof v === 'number' && v <= arg;
    default:
      problem(`has an unknown operator "${op}" (known: ${OPERATORS.join(', ')})`);
      return undefined;
  }
}

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.keys(v).some((k) => k.startsWith('$'))
  );
}

/**
 * A value to compare with: JSON-like, and with no operator nested inside it
 * (`{ data: { $in: … } }` is almost always meant as `data: { $in: … }` under
 * its own path, and as a literal it would never match).
 */
function checkLiteral(v: unknown, problem: (text: string) => void): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return true;
    problem('compares with a number that is not finite');
    return false;
  }
  if (Array.isArray(v)) return v.every((item) => checkLiteral(item, problem));
  if (typeof v === 'object') {
    for (const [k, item] of Object.entries(v)) {
      if (k.startsWith('$')) {
        problem(
          `has the operator "${k}" inside a value; operators go directly under a dotted path, e.g. "a.b": { "$in": [1, 2] }`,
        );
        return false;
      }
      if (!checkLiteral(item, problem)) return false;
    }
    return true;
  }
  problem('compares with a value that is not a string, number, boolean, null, list or map');
  return false;
}

/** Deep equality driven by `expected` (a checked literal), so its depth bounds the work. */
function equal(expected: unknown, value: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return expected === value;
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(expected)) {
    if (!Array.isArray(value) || value.length !== expected.length) return false;
    for (let i = 0; i < expected.length; i++) {
      if (!Object.hasOwn(value, i) || !equal(expected[i], value[i])) return false;
    }
    return true;
  }
  if (Array.isArray(value)) return false;
  const keys = Object.keys(expected);
  if (Object.keys(value).length !== keys.length) return false;
  for (const k of keys) {
    if (!Object.hasOwn(value, k)) return false;
    if (!equal((expected as Record<string, unknown>)[k], (value as Record<string, unknown>)[k])) {
      return false;
    }
  }
  return true;
}
