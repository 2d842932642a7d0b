/**
 * The queue's Lua scripts, loaded once and called through typed wrappers.
 *
 * Each script lives in `scripts/<name>-<numkeys>.lua` with a doc block listing its
 * KEYS, ARGV and replies. ioredis `defineCommand` sends EVALSHA and falls back to
 * EVAL on NOSCRIPT, so a Redis restart or failover needs no reload step.
 *
 * Pieces several scripts share (the Redis clock, taking a pending entry, adding a
 * dead letter) live in `scripts/includes/`; a line `--@include "includes/x.lua"`
 * is replaced by that file when the script is loaded.
 *
 * At maxmemory (noeviction) Redis refuses a script whose first write needs memory
 * (a command flagged `denyoom`: XADD, HSET, INCR…), and lets one that has written
 * run to its end. Only finishing jobs frees memory, so every script that drains
 * writes first with a command that needs none (ack, retry, dead-letter, release:
 * XACK; reclaim: XAUTOCLAIM; promote: ZREM; drain-legacy-stream: XACK or XDEL;
 * prune-consumers: XGROUP DELCONSUMER; dlq-trim: XTRIM) and runs at the limit. Enqueue, replay and rate-limit write
 * first with XADD or INCR and are refused whole. The scripts carry no `#!lua`
 * flags line: with one, Redis would refuse any script not flagged `allow-oom`
 * before it starts.
 */
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const SCRIPT_DIR = new URL('./scripts/', import.meta.url);

/** `name-NUMKEYS.lua`; `-n` when the caller passes the number of keys with each call. */
const DEFINITIONS = {
  enqueue: 'enqueue-n.lua',
  ack: 'ack-1.lua',
  retry: 'retry-3.lua',
  promote: 'promote-3.lua',
  deadLetter: 'dead-letter-2.lua',
  reclaim: 'reclaim-2.lua',
  drainLegacyStream: 'drain-legacy-stream-3.lua',
  release: 'release-2.lua',
  pruneConsumers: 'prune-consumers-1.lua',
  rateLimit: 'rate-limit-1.lua',
  dlqPage: 'dlq-page-1.lua',
  dlqReplay: 'dlq-replay-2.lua',
  dlqTrim: 'dlq-trim-1.lua',
  destinationOutcome: 'destination-outcome-3.lua',
  destinationGate: 'destination-gate-2.lua',
  rateTake: 'rate-take-1.lua',
  retireLane: 'retire-lane-4.lua',
} as const;

type ScriptName = keyof typeof DEFINITIONS;
type Arg = string | number;
type Call = (...args: Arg[]) => Promise<unknown>;

/** A script's source; no `numberOfKeys` when each call passes it. */
type Source = { lua: string; numberOfKeys?: number };

let sources: Record<ScriptName, Source> | undefined;

const INCLUDE = /^--@include "([\w./-]+)"$/gm;

/** Replaces each `--@include "path"` line with that file (paths relative to the scripts). */
export function withIncludes(lua: string): string {
  return lua.replace(INCLUDE, (_line, path: string) =>
    readFileSync(new URL(path, SCRIPT_DIR), 'utf8').trimEnd(),
  );
}

function loadSources(): Record<ScriptName, Source> {
  if (sources) return sources;
  const out = {} as Record<ScriptName, Source>;
  for (const [name, file] of Object.entries(DEFINITIONS) as [ScriptName, string][]) {
    const keys = /-(\d+|n)\.lua$/.exec(file)?.[1];
    const lua = withIncludes(readFileSync(new URL(file, SCRIPT_DIR), 'utf8'));
    out[name] = keys === 'n' ? { lua } : { lua, numberOfKeys: Number(keys) };
  }
  sources = out;
  return out;
}

/** One copy of a webhook: the stream it goes to and its envelope (JSON). */
export interface EnqueueTarget {
  stream: string;
  job: string;
}

/** One webhook for the enqueue script. */
export interface EnqueueItem {
  /** Its idempotency key (any key of the queue when `dedupe` is false). */
  idemKey: string;
  dedupe: boolean;
  ttlMs: number;
  id: string;
  /** At least one. */
  targets: readonly EnqueueTarget[];
}

/** The commands ioredis sends at once rather than auto-pipelined (they batch themselves). */
export const UNPIPELINED_SCRIPTS = ['wp_enqueue'];

/** Typed entry points to the scripts on one connection. */
export class QueueScripts {
  private readonly calls: Record<ScriptName, Call>;

  constructor(redis: Redis) {
    const defs = loadSources();
    for (const [name, def] of Object.entries(defs)) {
      if (!(name in redis)) redis.defineCommand(`wp_${name}`, def);
    }
    const r = redis as unknown as Record<string, Call>;
    this.calls = Object.fromEntries(
      Object.keys(defs).map((name) => [
        name,
        (...a: Arg[]) => (r[`wp_${name}`] as Call).apply(redis, a),
      ]),
    ) as Record<ScriptName, Call>;
  }

  /** One call for a batch; the reply is two entries (id, duplicate flag) per item, in order. */
  enqueue(items: readonly EnqueueItem[]) {
    const keys: Arg[] = [];
    const argv: Arg[] = [];
    for (const it of items) {
      keys.push(it.idemKey, ...it.targets.map((t) => t.stream));
      argv.push(it.dedupe ? '1' : '0', it.ttlMs, it.id, it.targets.length);
      for (const t of it.targets) argv.push(t.job);
    }
    return this.calls.enqueue(keys.length, ...keys, ...argv) as Promise<(string | number)[]>;
  }

  ack(stream: string, group: string, ids: readonly string[]) {
    return this.calls.ack(stream, group, ...ids) as Promise<number>;
  }

  retry(
    keys: { stream: string; delayed: string; delayedData: string },
    group: string,
    entryId: string,
    jobId: string,
    delayMs: number,
    attempts: number,
    error: string,
  ) {
    return this.calls.retry(
      keys.stream,
      keys.delayed,
      keys.delayedData,
      group,
      entryId,
      jobId,
      delayMs,
      attempts,
      error,
    ) as Promise<number>;
  }

  promote(keys: { stream: string; delayed: string; delayedData: string }, max: number) {
    return this.calls.promote(keys.stream, keys.delayed, keys.delayedData, max) as Promise<number>;
  }

  deadLetter(
    stream: string,
    dlq: string,
    group: string,
    entryId: string,
    attempts: number,
    error: string,
  ) {
    return this.calls.deadLetter(stream, dlq, group, entryId, attempts, error) as Promise<number>;
  }

  reclaim(
    stream: string,
    dlq: string,
    group: string,
    consumer: string,
    idleMs: number,
    count: number,
    cursor: string,
    maxAttempts: number,
    error: string,
  ) {
    return this.calls.reclaim(
      stream,
      dlq,
      group,
      consumer,
      idleMs,
      count,
      cursor,
      maxAttempts,
      error,
    ) as Promise<[string, number, number, string[]]>;
  }

  /** See drain-legacy-stream-3.lua for the reply. */
  drainLegacyStream(
    keys: { legacyStream: string; stream: string; dlq: string },
    group: string,
    count: number,
    idleMs: number,
    maxAttempts: number,
    error: string,
    consumersGoneMs: number,
  ) {
    return this.calls.drainLegacyStream(
      keys.legacyStream,
      keys.stream,
      keys.dlq,
      group,
      count,
      idleMs,
      maxAttempts,
      error,
      consumersGoneMs,
    ) as Promise<[number, number, number, string[], 0 | 1 | 2]>;
  }

  pruneConsumers(stream: string, group: string, idleMs: number, self: string) {
    return this.calls.pruneConsumers(stream, group, idleMs, self) as Promise<number>;
  }

  /** `maxAttempts` and `error` matter only when `started`; see release-2.lua. */
  release(
    stream: string,
    dlq: string,
    group: string,
    started: boolean,
    maxAttempts: number,
    error: string,
    ids: readonly string[],
  ) {
    return this.calls.release(
      stream,
      dlq,
      group,
      started ? '1' : '0',
      maxAttempts,
      error,
      ...ids,
    ) as Promise<[released: number, deadLettered: number]>;
  }

  rateLimit(counter: string, windowMs: number) {
    return this.calls.rateLimit(counter, windowMs) as Promise<[number, number]>;
  }

  /** See dlq-page-1.lua for the reply. */
  dlqPage(
    dlq: string,
    start: string,
    end: string,
    scan: number,
    limit: number,
    type: string,
    source: string,
    destination: string,
  ) {
    return this.calls.dlqPage(dlq, start, end, scan, limit, type, source, destination) as Promise<
      [string, string[]]
    >;
  }

  dlqReplay(stream: string, dlq: string, lanePrefix: string, ids: readonly string[]) {
    return this.calls.dlqReplay(stream, dlq, lanePrefix, ...ids) as Promise<number>;
  }

  destinationOutcome(
    keys: { state: string; minute: string; probe: string },
    outcome: 'ok' | 'fail' | 'refused',
    policy: { failures: number; cooldownMs: number; maxCooldownMs: number },
    error: string,
    probe: boolean,
  ) {
    return this.calls.destinationOutcome(
      keys.state,
      keys.minute,
      keys.probe,
      outcome,
      policy.failures,
      policy.cooldownMs,
      policy.maxCooldownMs,
      error,
      probe ? '1' : '0',
    ) as Promise<string>;
  }

  destinationGate(state: string, probeKey: string, probeLeaseMs: number) {
    return this.calls.destinationGate(state, probeKey, probeLeaseMs) as Promise<[string, number]>;
  }

  rateTake(key: string, intervalMs: number) {
    return this.calls.rateTake(key, intervalMs) as Promise<number>;
  }

  /** See retire-lane-4.lua for the reply. */
  retireLane(
    keys: { stream: string; delayed: string; delayedData: string; dlq: string },
    group: string,
    idleMs: number,
    count: number,
    error: string,
  ) {
    return this.calls.retireLane(
      keys.stream,
      keys.delayed,
      keys.delayedData,
      keys.dlq,
      group,
      idleMs,
      count,
      error,
    ) as Promise<[moved: number, held: number, removed: 0 | 1, more: 0 | 1]>;
  }

  dlqTrim(dlq: string, retentionMs: number, maxLength: number) {
    return this.calls.dlqTrim(dlq, retentionMs, maxLength) as Promise<[number, number]>;
  }
}
