/**
 * Reading environment variables into typed values. A Reader collects problems
 * instead of throwing at the first, so one start-up shows them all.
 *
 * A variable set to the empty string (or to spaces) is a problem of its own, named
 * as such (`PORT is empty: …`), not taken for an unset one: `PORT=` in an env file,
 * or a template whose value went missing, would otherwise start the service on
 * defaults without a word. The message says what to set, and what unsetting the
 * variable would mean. Only variables declared `emptyIsUnset` read empty as unset.
 */
import { BYTE_UNITS, formatBytes } from './bytes.js';
import { formatDuration, MAX_TIMER_MS, parseDuration } from './duration.js';
import type { Variable } from './variables.js';

type Env = Record<string, string | undefined>;

/** What an empty variable's message offers: what to set it to, and what unsetting it does. */
export interface IfEmpty {
  /** "a whole number from 0 to 65535" */
  set: string;
  /** "to use the default (8080)" */
  unset: string;
}

export interface DurationOptions {
  allowZero?: boolean;
  /** The largest value accepted; refused above it, with `why`. */
  maxMs?: number;
  why?: string;
}

const useDefault = (shown: string): string => `to use the default (${shown})`;

export class Reader {
  readonly problems: string[] = [];
  /** Empty variables already reported: a variable may be read more than once. */
  private readonly reportedEmpty = new Set<string>();
  private readonly declared: ReadonlyMap<string, Variable>;

  /** Reads `env`, refusing any name `declared` does not hold. */
  constructor(
    private readonly env: Env,
    declared: readonly Variable[],
  ) {
    this.declared = new Map(declared.map((v) => [v.name, v]));
  }

  /**
   * Throws unless `name` is declared. Reading an undeclared name is a programming
   * error, not a configuration problem: it fails every test that loads the config.
   */
  private assertDeclared(name: string): Variable {
    const v = this.declared.get(name);
    if (!v) {
      throw new Error(
        `the configuration reads ${name}, which is not declared: add it to VARIABLES (src/config/variables.ts), or to its store driver's variables, with its default and meaning, then run npm run docs:gen`,
      );
    }
    return v;
  }

  /**
   * The value as set, untrimmed: for a secret, whose stray spaces are a problem
   * to report. Only declared names are read.
   */
  exact(name: string): string | undefined {
    this.assertDeclared(name);
    return this.env[name];
  }

  /**
   * The variable's value, trimmed; undefined when it is unset. When it is set but
   * empty it is undefined too, and a problem (`ifEmpty` says what to do about it)
   * unless the variable is declared `emptyIsUnset`.
   */
  raw(name: string, ifEmpty?: IfEmpty): string | undefined {
    const declared = this.assertDeclared(name);
    const v = this.env[name];
    if (v === undefined) return undefined;
    const value = v.trim();
    if (value !== '') return value;
    if (!declared.emptyIsUnset && !this.reportedEmpty.has(name)) {
      this.reportedEmpty.add(name);
      const what = ifEmpty ?? { set: 'a value', unset: 'for its default' };
      this.problems.push(`${name} is empty: set it to ${what.set}, or unset it ${what.unset}`);
    }
    return undefined;
  }

  int(name: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    const expected = `a whole number ${range}`;
    const v = this.raw(name, { set: expected, unset: useDefault(String(def)) });
    if (v === undefined) return def;
    const n = /^[+-]?\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${name}=${JSON.stringify(v)}: expected ${expected}`);
      return def;
    }
    return n;
  }

  duration(name: string, def: number, opts: DurationOptions = {}): number {
    const expected = `a ${opts.allowZero ? 'non-negative' : 'positive'} duration such as 500ms, 30s, 1m30s or 24h`;
    const v = this.raw(name, { set: expected, unset: useDefault(formatDuration(def)) });
    if (v === undefined) return def;
    const ms = parseDuration(v);
    if (ms === undefined || ms < 0 || (ms === 0 && !opts.allowZero)) {
      this.problems.push(`${name}=${JSON.stringify(v)}: expected ${expected} (units: ms, s, m, h)`);
      return def;
    }
    if (opts.maxMs !== undefined && ms > opts.maxMs) {
      this.problems.push(
        `${name}=${JSON.stringify(v)}: at most ${formatDuration(opts.maxMs)}${opts.why ? ` (${opts.why})` : ''}`,
      );
      return def;
    }
    return ms;
  }

  /**
   * A duration that reaches a timer: refused above MAX_TIMER_MS, or above `maxMs`
   * when a timer is derived from it (`because` says how).
   */
  timerDuration(
    name: string,
    def: number,
    opts: { maxMs?: number; because?: string } = {},
  ): number {
    return this.duration(name, def, {
      maxMs: opts.maxMs ?? MAX_TIMER_MS,
      why: opts.because
        ? `${opts.because}, and Node.js timers go up to ${formatDuration(MAX_TIMER_MS)}`
        : 'the longest timer Node.js supports',
    });
  }

  bytes(name: string, def: number): number {
    const v = this.raw(name, {
      set: 'a positive size in bytes, optionally with a unit, e.g. 1048576 or 1MiB',
      unset: useDefault(formatBytes(def)),
    });
    if (v === undefined) return def;
    const m = /^(\d+)\s*([a-z]*)$/i.exec(v);
    const unit = m ? BYTE_UNITS[(m[2] ?? '').toLowerCase()] : undefined;
    const n = m && unit ? Number(m[1]) * unit : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      this.problems.push(
        `${name}=${JSON.stringify(v)}: expected a positive size in bytes, optionally with a unit (kb, KiB, mb, MiB), e.g. 1048576 or 1MiB`,
      );
      return def;
    }
    return n;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.raw(name, {
      set: 'true or false',
      unset: useDefault(String(def)),
    })?.toLowerCase();
    if (v === undefined) return def;
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    this.problems.push(`${name}=${JSON.stringify(v)}: expected true or false`);
    return def;
  }

  oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T {
    const expected = `one of ${allowed.join(', ')}`;
    const v = this.raw(name, { set: expected, unset: useDefault(def) })?.toLowerCase();
    if (v === undefined) return def;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${name}=${JSON.stringify(v)}: expected ${expected}`);
    return def;
  }

  matching(name: string, def: string, pattern: RegExp, what: string): string {
    const v = this.raw(name, { set: what, unset: useDefault(def) });
    if (v === undefined) return def;
    if (pattern.test(v)) return v;
    this.problems.push(`${name}=${JSON.stringify(v)}: expected ${what}`);
    return def;
  }
}
