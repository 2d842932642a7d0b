/**
 * The config file (CONFIG_FILE, or its older name SOURCES_FILE), in YAML or JSON
 * (JSON is read as YAML), and FORWARD_URL, which configures forwarding without one.
 *
 *   sources:        verified webhook senders (sources/file.ts)
 *   destinations:   where events are forwarded (delivery/destinations-file.ts)
 *   routes:         which events go where (routing/routes-file.ts)
 *
 * A file may hold any of the three sections. This module reads the file once,
 * checks its shape and the references between sections, and leaves each section
 * to its own reader. No problem message repeats a value that could be a secret
 * (a YAML error gives a line and a column, not the text around it).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import type { DestinationConfig, RouteConfig } from '../delivery/destination.js';
import { type DestinationDefaults, readDestinations } from '../delivery/destinations-file.js';
import { readRoutes } from '../routing/routes-file.js';
import type { SourceDefinition } from '../sources/definition.js';
import { DEFAULT_SOURCE, readSources } from '../sources/file.js';
import type { Reader } from './reader.js';

type Env = Record<string, string | undefined>;

export interface FileConfig {
  /** The config file's path (CONFIG_FILE or SOURCES_FILE), if one is set, for display. */
  configFile: string | undefined;
  /** Verified sources for POST /webhooks/:source. */
  sources: SourceDefinition[];
  /** Where events are forwarded: the file's destinations, and FORWARD_URL's `default`. */
  destinations: DestinationConfig[];
  /** In order; FORWARD_URL's catch-all route comes last. */
  routes: RouteConfig[];
  /** Valid but probably unintended (a destination no route sends to); logged at start-up. */
  warnings: string[];
}

export interface ConfigFileResult {
  sources: SourceDefinition[];
  destinations: DestinationConfig[];
  routes: RouteConfig[];
  problems: string[];
  warnings: string[];
}

export interface ConfigFileOptions {
  /** Starts every problem and warning; `CONFIG_FILE` unless given. */
  label?: string;
  /** MAX_RETRIES and RETRY_*_DELAY, which destinations inherit. */
  defaults?: DestinationDefaults;
  /** FORWARD_URL: adds the `default` destination and a catch-all route to it. */
  forwardUrl?: string | undefined;
}

/** The job settings' own defaults (config.ts), for callers that have no Config. */
export const JOB_DEFAULTS: DestinationDefaults = {
  maxRetries: 3,
  retryBaseDelayMs: 1_000,
  retryMaxDelayMs: 300_000,
};

/** The destination FORWARD_URL defines. */
export const FORWARD_DESTINATION = 'default';
const SECTIONS = ['sources', 'destinations', 'routes'];

/**
 * Reads CONFIG_FILE (or SOURCES_FILE) and FORWARD_URL; problems go to the
 * reader's list, so start-up reports them with every other variable's.
 */
export function readConfigFile(r: Reader, env: Env, defaults: DestinationDefaults): FileConfig {
  const path = configPath(r);
  const forwardUrl = r.raw('FORWARD_URL', {
    set: 'the URL to forward every event to',
    unset: 'to forward nothing without a config file',
  });
  const opts = { label: path?.label, defaults, forwardUrl };
  let result: ConfigFileResult;
  if (path === undefined) {
    result = readSections({}, env, opts);
  } else {
    let text: string | undefined;
    try {
      text = readFileSync(path.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      r.problems.push(`${path.variable}=${path.path}: cannot read the file (${code})`);
    }
    result = text === undefined ? readSections({}, env, opts) : parseConfigFile(text, env, opts);
  }
  r.problems.push(...result.problems);
  const { sources, destinations, routes, warnings } = result;
  return { configFile: path?.path, sources, destinations, routes, warnings };
}

/** CONFIG_FILE, else SOURCES_FILE; both may be set only when they name the same file. */
function configPath(r: Reader): { path: string; variable: string; label: string } | undefined {
  const ifEmpty = { set: "the config file's path", unset: 'to run without one' };
  const configFile = r.raw('CONFIG_FILE', ifEmpty);
  const sourcesFile = r.raw('SOURCES_FILE', ifEmpty);
  if (configFile !== undefined && sourcesFile !== undefined) {
    if (resolve(configFile) !== resolve(sourcesFile)) {
      r.problems.push(
        `CONFIG_FILE (${configFile}) and SOURCES_FILE (${sourcesFile}) name different files; SOURCES_FILE is the older name of CONFIG_FILE: set only CONFIG_FILE`,
      );
    }
  }
  const variable = configFile !== undefined ? 'CONFIG_FILE' : 'SOURCES_FILE';
  const path = configFile ?? sourcesFile;
  return path === undefined ? undefined : { path, variable, label: `${variable} (${path})` };
}

/** Validates the text of a config file. */
export function parseConfigFile(
  text: string,
  env: Env,
  opts: ConfigFileOptions = {},
): ConfigFileResult {
  const label = opts.label ?? 'CONFIG_FILE';
  let doc: unknown;
  try {
    doc = parse(text, { uniqueKeys: true, maxAliasCount: 0 });
  } catch (err) {
    const where =
      err instanceof YAMLParseError && err.linePos
        ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col} (${err.code})`
        : '';
    return failed(`${label}: not valid YAML or JSON${where}`);
  }
  const expected = `expected a map with any of ${SECTIONS.join(', ')}`;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return failed(`${label}: ${doc == null ? 'the file is empty; ' : ''}${expected}`);
  }
  const keys = Object.keys(doc);
  const unknown = keys.filter((k) => !SECTIONS.includes(k));
  const shape = unknown.map((key) => `${label}: unknown top-level field "${key}" (${expected})`);
  if (keys.length === 0) shape.push(`${label}: ${expected}`);
  const result = readSections(doc as Record<string, unknown>, env, opts);
  return { ...result, problems: [...shape, ...result.problems] };
}

function failed(problem: string): ConfigFileResult {
  return { sources: [], destinations: [], routes: [], problems: [problem], warnings: [] };
}

function readSections(
  doc: Record<string, unknown>,
  env: Env,
  opts: ConfigFileOptions,
): ConfigFileResult {
  const label = opts.label ?? 'CONFIG_FILE';
  const defaults = opts.defaults ?? JOB_DEFAULTS;
  const problems: string[] = [];
  const warnings: string[] = [];
  const sources = doc.sources == null ? [] : readSources(doc.sources, env, label, problems);
  const destinations = readDestinations(doc.destinations, env, label, problems, defaults);
  const routes = readRoutes(doc.routes, label, problems, {
    sources: new Set([...namesIn(doc.sources), DEFAULT_SOURCE]),
    destinations: new Set([
      ...namesIn(doc.destinations),
      ...(opts.forwardUrl === undefined ? [] : [FORWARD_DESTINATION]),
    ]),
  });
  const routed = new Set(routes.flatMap((route) => route.to));
  for (const d of destinations) {
    if (!routed.has(d.name)) {
      warnings.push(
        `${label}: destination "${d.name}" is not named in any route's "to", so nothing is sent to it`,
      );
    }
  }
  if (opts.forwardUrl !== undefined) {
    if (namesIn(doc.destinations).includes(FORWARD_DESTINATION)) {
      problems.push(
        `FORWARD_URL and ${label} both define the destination "${FORWARD_DESTINATION}"; unset FORWARD_URL, or rename the file's destination`,
      );
    } else {
      const forward = { [FORWARD_DESTINATION]: { url: opts.forwardUrl } };
      destinations.push(...readDestinations(forward, env, 'FORWARD_URL', problems, defaults));
      routes.push({
        sources: '*',
        eventTypes: undefined,
        filter: undefined,
        to: [FORWARD_DESTINATION],
      });
    }
  }
  return { sources, destinations, routes, problems, warnings };
}

/** The names a section defines, valid or not, so one bad entry is not also "unknown" elsewhere. */
function namesIn(section: unknown): string[] {
  return section !== null && typeof section === 'object' && !Array.isArray(section)
    ? Object.keys(section)
    : [];
}
