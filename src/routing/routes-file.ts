/**
 * The `routes` section of the config file: which events go where, as a list.
 *
 *   routes:
 *     - source: stripe                      # a name, a list of names, or "*"
 *       event_types: ["invoice.*"]          # globs; default every type
 *       filter: { data.object.livemode: true }
 *       to: [billing]                       # destinations; `handlers` = in-process
 *
 * Problems name the route by its index and source (`routes[1] (source "github")`)
 * and the field.
 */
import { HANDLERS_TARGET, type RouteConfig } from '../delivery/destination.js';
import { compileFilter } from './filter.js';
import { GLOB } from './glob.js';

/** The names a route may refer to. */
export interface RouteTargets {
  /** Sources defined in the file, and `default` (POST /webhooks). */
  sources: ReadonlySet<string>;
  /** Destinations defined in the file or by FORWARD_URL (`handlers` is always allowed). */
  destinations: ReadonlySet<string>;
}

const FIELDS = ['source', 'event_types', 'filter', 'to'];
const ALL = '*';

/**
 * Validates the `routes` list. Problems are added to `problems`, each starting
 * with `label`; only valid routes are returned.
 */
export function readRoutes(
  value: unknown,
  label: string,
  problems: string[],
  targets: RouteTargets,
): RouteConfig[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.push(`${label}: "routes" must be a list of routes (- source: …, to: […])`);
    return [];
  }
  const out: RouteConfig[] = [];
  value.forEach((settings, i) => {
    const route = readRoute(settings, `${label}: routes[${i}]`, problems, targets);
    if (route) out.push(route);
  });
  return out;
}

function readRoute(
  settings: unknown,
  at: string,
  problems: string[],
  targets: RouteTargets,
): RouteConfig | undefined {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
    problems.push(`${at}: expected a map with "source" and "to"`);
    return undefined;
  }
  const s = settings as Record<string, unknown>;
  const where = `${at}${sourceLabel(s.source)}`;
  const before = problems.length;
  const problem = (field: string, text: string) => problems.push(`${where}: "${field}" ${text}`);
  for (const key of Object.keys(s)) {
    if (!FIELDS.includes(key)) problem(key, `is not a route setting (known: ${FIELDS.join(', ')})`);
  }
  const route: RouteConfig = {
    sources: readSources(s.source, targets.sources, problem),
    eventTypes: readEventTypes(s.event_types, problem),
    filter: undefined,
    to: readTo(s.to, targets.destinations, problem),
  };
  if (s.filter !== undefined) {
    const { predicate, problems: filterProblems } = compileFilter(s.filter);
    for (const p of filterProblems) problem(p.field, p.text);
    if (predicate) route.filter = s.filter as Record<string, unknown>;
  }
  return problems.length === before ? route : undefined;
}

/** ` (source "stripe")` for the problem messages, when the source is readable. */
function sourceLabel(source: unknown): string {
  if (typeof source === 'string') return ` (source ${JSON.stringify(source)})`;
  if (Array.isArray(source) && source.length > 0 && source.every((n) => typeof n === 'string')) {
    return ` (sources ${source.map((n) => JSON.stringify(n)).join(', ')})`;
  }
  return '';
}

function stringList(value: unknown): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.every((v) => typeof v === 'string') ? list : undefined;
}

function readSources(
  value: unknown,
  known: ReadonlySet<string>,
  problem: (field: string, text: string) => void,
): RouteConfig['sources'] {
  if (value === ALL) return ALL;
  const names = stringList(value);
  if (!names) {
    problem('source', 'must be a source name, a list of them, or "*" for every source');
    return [];
  }
  for (const name of names) {
    if (name === ALL) {
      problem('source', 'lists "*" with other names; use "*" alone for every source');
    } else if (!known.has(name)) {
      problem('source', `names ${JSON.stringify(name)}, which is not a source (${list(known)})`);
    }
  }
  return names;
}

function readEventTypes(
  value: unknown,
  problem: (field: string, text: string) => void,
): string[] | undefined {
  if (value === undefined) return undefined;
  const globs = stringList(value);
  if (!globs) {
    problem('event_types', 'must be a list of event types or globs such as "invoice.*"');
    return undefined;
  }
  for (const glob of globs) {
    if (!GLOB.test(glob)) {
      problem(
        'event_types',
        `has ${JSON.stringify(glob)}, which no event type can match (event types hold letters, digits and . _ : / -; the only wildcard is *)`,
      );
    }
  }
  return globs;
}

function readTo(
  value: unknown,
  known: ReadonlySet<string>,
  problem: (field: string, text: string) => void,
): string[] {
  const names = stringList(value);
  if (!names) {
    problem(
      'to',
      `must list destination names (or ${HANDLERS_TARGET} for the in-process handlers)`,
    );
    return [];
  }
  for (const name of names) {
    if (name !== HANDLERS_TARGET && !known.has(name)) {
      problem(
        'to',
        `names ${JSON.stringify(name)}, which is not a destination (${list(known)}, or ${HANDLERS_TARGET})`,
      );
    }
  }
  return names;
}

function list(names: ReadonlySet<string>): string {
  return names.size === 0 ? 'none are defined' : `defined: ${[...names].join(', ')}`;
}
