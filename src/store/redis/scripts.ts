/**
 * The queue's Lua scripts, loaded once and called through typed wrappers.
 *
 * Each script lives in `scripts/<name>-<numkeys>.lua` with a doc block listing its
 * KEYS, ARGV and replies. A call sends the script itself (EVAL, which also loads
 * it) the first time on each socket and EVALSHA after that, and falls back to
 * EVAL on NOSCRIPT, so a Redis restart or failover needs no reload step (see
 * ScriptCall).
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
 * prune-consumers: XGROUP DELCONSUMER; dlq-trim: XTRIM) and runs at the limit;
 * what they record in the event log and the history comes after that first
 * write. Enqueue, replay and rate-limit write first with XADD or INCR and are
 * refused whole (the event records written at enqueue with them). The queue
 * scripts carry no `#!lua` flags line: with one, Redis would refuse any script
 * not flagged `allow-oom` before it starts. The scripts whose first write needs
 * memory and that must run at the limit are flagged `allow-oom` instead: the
 * destinations' (a few bytes each), marking claimed deliveries in the event
 * log (a few bytes of records that exist) and trimming the log (it deletes).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, type Redis, ReplyError } from 'ioredis';
import type { EventLogKeys } from './keys.js';

const SCRIPT_DIR = new URL('./scripts/', import.meta.url);

/** `name-NUMKEYS.lua`; `-n` when the caller passes the number of keys with each call. */
const DEFINITIONS = {
  enqueue: 'enqueue-n.lua',
  ack: 'ack-4.lua',
  retry: 'retry-6.lua',
  promote: 'promote-3.lua',
  deadLetter: 'dead-letter-5.lua',
  reclaim: 'reclaim-5.lua',
  drainLegacyStream: 'drain-legacy-stream-6.lua',
  release: 'release-5.lua',
  pruneConsumers: 'prune-consumers-1.lua',
  rateLimit: 'rate-limit-1.lua',
  dlqPage: 'dlq-page-1.lua',
  dlqReplay: 'dlq-replay-3.lua',
  dlqTrim: 'dlq-trim-1.lua',
  destinationOutcome: 'destination-outcome-3.lua',
  destinationGate: 'destination-gate-2.lua',
  rateTake: 'rate-take-1.lua',
  retireLane: 'retire-lane-6.lua',
  eventDelivering: 'event-delivering-1.lua',
  eventPage: 'event-page-3.lua',
  eventGet: 'event-get-3.lua',
  eventTrim: 'event-trim-5.lua',
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

/** A webhook's record for the event log, as enqueue-n.lua takes it (see there). */
export interface EnqueueRecord {
  mode: 'new' | 'replay';
  /** Its index member (see EventLogKeys.index). */
  member: string;
  /** "<state line>\n<meta JSON>", the line with one queued delivery per target, in order. */
  summary: string;
  /** "<headers JSON>\n<payload>", or "" when payloads are not kept. */
  body: string;
  /** Its member of the idempotency-key index (see EventLogKeys.byKey), "" for no key. */
  keyMember: string;
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
  record: EnqueueRecord;
}

/** How one enqueue call records its webhooks. */
export interface EnqueueLog {
  keys: EventLogKeys;
  /** This minute's history hash. */
  history: string;
  /** 0: the log is off. */
  maxEvents: number;
  retentionMs: number;
}

/** What an outcome script needs to record in the event log and the history. */
export interface OutcomeLog {
  keys: EventLogKeys;
  /** This minute's history hash. */
  history: string;
  /** False when the log is off (the history is counted all the same). */
  on: boolean;
  /** The target of the deliveries: their destination, or `handlers`. */
  target: string;
}

/** A completed delivery for the ack script. */
export interface AckEntry {
  handle: string;
  jobId: string;
  /** The attempt to record (JSON). */
  attempt: string;
}

/** The scripts sent at once rather than auto-pipelined: they batch themselves. */
const UNPIPELINED: ReadonlySet<ScriptName> = new Set(['enqueue']);

/**
 * One script on one connection: EVAL (which loads it) the first time on each
 * socket, EVALSHA after that, and EVAL again after a NOSCRIPT (a SCRIPT FLUSH).
 * A socket counts as having the script once Redis has answered an EVAL on it
 * (even with an error: the script was loaded before it ran); an EVAL that never
 * got an answer (the socket was not writable yet, a timeout) leaves it unmarked,
 * so the next call sends the script again. A NOSCRIPT retry goes out at once,
 * not in a later pipeline behind other commands.
 *
 * ioredis's `defineCommand` does the same, but copies every script defined on a
 * connection onto each pipeline it builds, and auto-pipelining builds one per
 * turn of the event loop: with twenty scripts that cost the drain more than
 * the commands in those pipelines.
 */
class ScriptCall {
  private readonly sha: string;
  private readonly loadedOn = new WeakSet<object>();

  constructor(
    private readonly redis: Redis,
    private readonly source: Source,
    private readonly pipelined: boolean,
  ) {
    this.sha = createHash('sha1').update(source.lua).digest('hex');
  }

  call(args: Arg[]): Promise<unknown> {
    const keys = this.source.numberOfKeys;
    const argv = keys === undefined ? args : [keys, ...args];
    const socket = this.redis.stream as object | undefined;
    if (socket && !this.loadedOn.has(socket)) {
      this.loadedOn.add(socket);
      return this.send('eval', this.source.lua, argv, this.pipelined).catch((err: unknown) => {
        if (!(err instanceof ReplyError)) this.loadedOn.delete(socket);
        throw err;
      });
    }
    return this.send('evalsha', this.sha, argv, this.pipelined).catch((err: unknown) => {
      if (!(err instanceof ReplyError) || !(err as Error).message.startsWith('NOSCRIPT')) throw err;
      return this.send('eval', this.source.lua, argv, false);
    });
  }

  private send(
    name: 'eval' | 'evalsha',
    first: string,
    argv: Arg[],
    pipelined: boolean,
  ): Promise<unknown> {
    if (pipelined) return this.redis.call(name, first, ...argv);
    const options = { replyEncoding: 'utf8' as const, keyPrefix: this.redis.options.keyPrefix };
    return this.redis.sendCommand(new Command(name, [first, ...argv], options)) as Promise<unknown>;
  }
}

const flag = (on: boolean) => (on ? '1' : '0');

/** Typed entry points to the scripts on one connection. */
export class QueueScripts {
  private readonly calls: Record<ScriptName, Call>;

  constructor(private readonly redis: Redis) {
    const defs = loadSources();
    this.calls = Object.fromEntries(
      (Object.entries(defs) as [ScriptName, Source][]).map(([name, def]) => {
        const script = new ScriptCall(redis, def, !UNPIPELINED.has(name));
        return [name, (...a: Arg[]) => script.call(a)];
      }),
    ) as Record<ScriptName, Call>;
  }

  /**
   * One call for a batch; the reply is three entries (id, duplicate flag, the
   * replay's queued targets as "1"/"0" a target) per item, in order.
   */
  enqueue(items: readonly EnqueueItem[], log: EnqueueLog) {
    const ev = log.keys;
    const keys: Arg[] = [ev.index, ev.summary, ev.body, ev.byKey, ev.attempts, log.history];
    const argv: Arg[] = [log.maxEvents, log.retentionMs];
    for (const it of items) {
      keys.push(it.idemKey, ...it.targets.map((t) => t.stream));
      argv.push(it.dedupe ? '1' : '0', it.ttlMs, it.id, it.targets.length);
      for (const t of it.targets) argv.push(t.job);
      const r = it.record;
      argv.push(r.mode, r.member, r.summary, r.body, r.keyMember);
    }
    return this.calls.enqueue(keys.length, ...keys, ...argv) as Promise<(string | number)[]>;
  }

  ack(stream: string, group: string, entries: readonly AckEntry[], log: OutcomeLog) {
    const argv: Arg[] = [group, flag(log.on), log.target];
    // With the log off the script needs only the handles: the rest is bytes to send.
    if (log.on) for (const e of entries) argv.push(e.handle, e.jobId, e.attempt);
    else for (const e of entries) argv.push(e.handle);
    return this.calls.ack(
      stream,
      log.keys.summary,
      log.keys.attempts,
      log.history,
      ...argv,
    ) as Promise<number>;
  }

  retry(
    keys: { stream: string; delayed: string; delayedData: string },
    group: string,
    entryId: string,
    jobId: string,
    delayMs: number,
    attempts: number,
    error: string,
    attempt: string,
    log: OutcomeLog,
  ) {
    return this.calls.retry(
      keys.stream,
      keys.delayed,
      keys.delayedData,
      log.keys.summary,
      log.keys.attempts,
      log.history,
      group,
      entryId,
      jobId,
      delayMs,
      attempts,
      error,
      flag(log.on),
      log.target,
      attempt,
    ) as Promise<number>;
  }

  promote(keys: { stream: string; delayed: string; delayedData: string }, max: number) {
    return this.calls.promote(keys.stream, keys.delayed, keys.delayedData, max) as Promise<number>;
  }

  /** `attempt` "" when none ran (see dead-letter-5.lua). */
  deadLetter(
    stream: string,
    dlq: string,
    group: string,
    entryId: string,
    attempts: number,
    error: string,
    attempt: string,
    log: OutcomeLog,
  ) {
    return this.calls.deadLetter(
      stream,
      dlq,
      log.keys.summary,
      log.keys.attempts,
      log.history,
      group,
      entryId,
      attempts,
      error,
      flag(log.on),
      log.target,
      attempt,
    ) as Promise<number>;
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
    log: OutcomeLog,
  ) {
    return this.calls.reclaim(
      stream,
      dlq,
      log.keys.summary,
      log.keys.attempts,
      log.history,
      group,
      consumer,
      idleMs,
      count,
      cursor,
      maxAttempts,
      error,
      flag(log.on),
      log.target,
    ) as Promise<[string, number, number, string[]]>;
  }

  /** See drain-legacy-stream-6.lua for the reply. */
  drainLegacyStream(
    keys: { legacyStream: string; stream: string; dlq: string },
    group: string,
    count: number,
    idleMs: number,
    maxAttempts: number,
    error: string,
    consumersGoneMs: number,
    log: OutcomeLog,
  ) {
    return this.calls.drainLegacyStream(
      keys.legacyStream,
      keys.stream,
      keys.dlq,
      log.keys.summary,
      log.keys.attempts,
      log.history,
      group,
      count,
      idleMs,
      maxAttempts,
      error,
      consumersGoneMs,
      flag(log.on),
    ) as Promise<[number, number, number, string[], 0 | 1 | 2]>;
  }

  pruneConsumers(stream: string, group: string, idleMs: number, self: string) {
    return this.calls.pruneConsumers(stream, group, idleMs, self) as Promise<number>;
  }

  /** `maxAttempts` and `error` matter only when `started`; see release-5.lua. */
  release(
    stream: string,
    dlq: string,
    group: string,
    started: boolean,
    maxAttempts: number,
    error: string,
    ids: readonly string[],
    log: OutcomeLog,
  ) {
    return this.calls.release(
      stream,
      dlq,
      log.keys.summary,
      log.keys.attempts,
      log.history,
      group,
      started ? '1' : '0',
      maxAttempts,
      error,
      flag(log.on),
      log.target,
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

  dlqReplay(
    stream: string,
    dlq: string,
    lanePrefix: string,
    events: { summary: string; on: boolean },
    ids: readonly string[],
  ) {
    return this.calls.dlqReplay(
      stream,
      dlq,
      events.summary,
      lanePrefix,
      flag(events.on),
      ...ids,
    ) as Promise<number>;
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

  /** See retire-lane-6.lua for the reply. */
  retireLane(
    keys: { stream: string; delayed: string; delayedData: string; dlq: string },
    group: string,
    idleMs: number,
    count: number,
    error: string,
    log: OutcomeLog,
  ) {
    return this.calls.retireLane(
      keys.stream,
      keys.delayed,
      keys.delayedData,
      keys.dlq,
      log.keys.summary,
      log.history,
      group,
      idleMs,
      count,
      error,
      flag(log.on),
      log.target,
    ) as Promise<[moved: number, held: number, removed: 0 | 1, more: 0 | 1]>;
  }

  dlqTrim(dlq: string, retentionMs: number, maxLength: number) {
    return this.calls.dlqTrim(dlq, retentionMs, maxLength) as Promise<[number, number]>;
  }

  /**
   * Loads the scripts sent without waiting for their reply into the server's
   * script cache, so that their EVALSHA does not meet NOSCRIPT (whose EVAL
   * retry would let later commands overtake it). Run on every (re)connect.
   */
  async preloadUnawaited(): Promise<void> {
    await this.redis.script('LOAD', loadSources().eventDelivering.lua);
  }

  /** Marks claimed deliveries as delivering; returns how many records changed. */
  eventDelivering(summary: string, target: string, jobIds: readonly string[]) {
    return this.calls.eventDelivering(summary, target, ...jobIds) as Promise<number>;
  }

  /** See event-page-3.lua for the arguments and the reply. */
  eventPage(
    keys: { index: string; summary: string; body: string },
    range: { max: string; min: string; prefixBytes: number },
    window: number,
    limit: number,
    filter: { source: string; type: string; state: string; target: string; q: string },
    maxBodyBytes: number,
  ) {
    return this.calls.eventPage(
      keys.index,
      keys.summary,
      keys.body,
      range.max,
      range.min,
      range.prefixBytes,
      window,
      limit,
      filter.source,
      filter.type,
      filter.state,
      filter.target,
      filter.q,
      maxBodyBytes,
    ) as Promise<[next: string, scanned: number, matches: string[]]>;
  }

  /** See event-get-3.lua for the reply. */
  eventGet(keys: EventLogKeys, id: string) {
    return this.calls.eventGet(keys.summary, keys.body, keys.attempts, id) as Promise<string[]>;
  }

  /** Drops up to `budget` events past the bounds; returns how many. */
  eventTrim(keys: EventLogKeys, maxEvents: number, retentionMs: number, budget: number) {
    return this.calls.eventTrim(
      keys.index,
      keys.summary,
      keys.body,
      keys.attempts,
      keys.byKey,
      maxEvents,
      retentionMs,
      budget,
    ) as Promise<number>;
  }
}
