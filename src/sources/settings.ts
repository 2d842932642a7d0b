/**
 * The kinds of setting a scheme can take, beyond the `scheme`, `secret_env` and
 * `rate_limit` every source has. A setting reads one value, from the config file
 * or from `send`'s command line, so that both check it the same way; an absent
 * value gives the default, or a problem when the setting is required.
 *
 * Problems are the text after the setting's name ("must be …") and never repeat
 * the value, which could be a misplaced secret.
 */
import { parseDuration } from '../config/duration.js';

export type Reading<T> = { ok: true; value: T } | { ok: false; problem: string };

export interface Setting<T> {
  /** The key in the config file. */
  readonly key: string;
  /**
   * `send`'s option for it (without `--`), when signing depends on it; a setting
   * without one (a tolerance) takes its default when `send` signs.
   */
  readonly flag?: string;
  /** The option's value in `send --help`, with its default: `NAME (default X-Event-Type)`. */
  readonly flagHelp?: string;
  read(value: unknown): Reading<T>;
}

/** A scheme's settings: one `Setting` per property of the definition it yields. */
export type SettingsSchema<S> = { readonly [K in keyof S]: Setting<S[K]> };

const ok = <T>(value: T): Reading<T> => ({ ok: true, value });
const bad = (problem: string): Reading<never> => ({ ok: false, problem });

const DEFAULT_TOLERANCE_MS = 5 * 60_000;
const MAX_TOLERANCE_MS = 60 * 60_000;

/** How far a signed timestamp may be from now, either way: `tolerance`, 1s to 1h, default 5m. */
export function tolerance(): Setting<number> {
  return {
    key: 'tolerance',
    read(value) {
      if (value === undefined) return ok(DEFAULT_TOLERANCE_MS);
      const ms =
        typeof value === 'number'
          ? Number.isFinite(value)
            ? value * 1000
            : undefined
          : typeof value === 'string'
            ? parseDuration(value)
            : undefined;
      return ms === undefined || ms < 1000 || ms > MAX_TOLERANCE_MS
        ? bad('must be a duration from 1s to 1h, such as 300s or 5m (a bare number is seconds)')
        : ok(ms);
    },
  };
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

/** An HTTP header name, kept in lower case (as Node presents headers); required without a fallback. */
export function headerName(key: string, flag: string, fallback?: string): Setting<string> {
  return {
    key,
    flag,
    flagHelp: fallback === undefined ? 'NAME (required)' : `NAME (default ${fallback})`,
    read(value) {
      const name = value ?? fallback;
      return typeof name === 'string' && HEADER_NAME.test(name)
        ? ok(name.toLowerCase())
        : bad('must be an HTTP header name, e.g. X-Signature');
    },
  };
}

/** One of a few words; the first is the default. */
export function choice<const T extends string>(
  key: string,
  flag: string,
  allowed: readonly [T, ...T[]],
): Setting<T> {
  return {
    key,
    flag,
    flagHelp: allowed.join('|'),
    read(value) {
      const word = value ?? allowed[0];
      return typeof word === 'string' && (allowed as readonly string[]).includes(word)
        ? ok(word as T)
        : bad(`must be one of ${allowed.join(', ')}`);
    },
  };
}

const PREFIX = /^[\x21-\x7e]{0,32}$/;

/** Text before a digest in its header, such as `sha256=`; default none. */
export function prefix(key: string, flag: string): Setting<string> {
  return {
    key,
    flag,
    flagHelp: 'TEXT',
    read(value) {
      const text = value ?? '';
      return typeof text === 'string' && PREFIX.test(text)
        ? ok(text)
        : bad('must be up to 32 printable characters without spaces, e.g. sha256=');
    },
  };
}

/**
 * Reads every setting of a schema with `valueFor`, reporting each problem through
 * `problem`; the result is complete only when no problem was reported.
 */
export function readSettings<S>(
  schema: SettingsSchema<S>,
  valueFor: (setting: Setting<unknown>) => unknown,
  problem: (setting: Setting<unknown>, text: string) => void,
): S {
  const out: Record<string, unknown> = {};
  for (const [property, setting] of Object.entries(schema) as [string, Setting<unknown>][]) {
    const reading = setting.read(valueFor(setting));
    if (reading.ok) out[property] = reading.value;
    else problem(setting, reading.problem);
  }
  return out as S;
}
