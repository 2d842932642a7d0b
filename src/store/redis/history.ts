/**
 * The per-minute throughput history in Redis: one hash per minute,
 * `{QUEUE_NAME}:history:<minute ms>`, with fields `accepted`, `duplicates`,
 * `dead`, `r:<status class>`, `d:<target>` (delivered) and `f:<target>`
 * (failed), counted by the same scripts that make the state changes.
 *
 * A key per minute rather than one fixed hash: each minute's hash expires by
 * itself a day after the minute ends (PEXPIREAT, set with every count), so no
 * trim step is needed and none can fall behind, and reading a range is one
 * HGETALL per minute. The writer names the minute by its own clock and passes
 * the key in KEYS, as every key a script touches must be.
 */
import type { Redis } from 'ioredis';
import {
  HISTORY_RETENTION_MS,
  type MinuteCounts,
  minuteOf,
  type ThroughputHistory,
} from '../event-log.js';

const MINUTE_MS = 60_000;
/** How far ahead of this clock a read looks (another instance's clock may run ahead). */
const FUTURE_SKEW_MS = 3_600_000;

export class RedisThroughputHistory implements ThroughputHistory {
  constructor(
    private readonly cmd: Redis,
    private readonly prefix: string,
  ) {}

  /** The hash of the minute that holds `ms`. */
  minuteKey(ms: number): string {
    return `${this.prefix}${minuteOf(ms)}`;
  }

  async read(fromMs: number, toMs: number): Promise<MinuteCounts[]> {
    const now = Date.now();
    const first = Math.max(minuteOf(fromMs), minuteOf(now - HISTORY_RETENTION_MS));
    const end = Math.min(toMs, now + FUTURE_SKEW_MS);
    const minutes: number[] = [];
    for (let m = first; m < end; m += MINUTE_MS) minutes.push(m);
    if (minutes.length === 0) return [];
    const pipeline = this.cmd.pipeline();
    for (const m of minutes) pipeline.hgetall(`${this.prefix}${m}`);
    const replies = (await pipeline.exec()) ?? [];
    const out: MinuteCounts[] = [];
    replies.forEach(([err, fields], i) => {
      if (err) throw err;
      const counts = minuteCounts(minutes[i] as number, fields as Record<string, string>);
      if (counts) out.push(counts);
    });
    return out;
  }

  async addRejected(byClass: Readonly<Record<string, number>>, at: number): Promise<void> {
    const counts = Object.entries(byClass).filter(([, n]) => Number.isSafeInteger(n) && n > 0);
    if (counts.length === 0) return;
    const key = this.minuteKey(at);
    const tx = this.cmd.multi();
    for (const [cls, n] of counts) tx.hincrby(key, `r:${cls}`, n);
    tx.pexpireat(key, minuteOf(at) + MINUTE_MS + HISTORY_RETENTION_MS);
    for (const [err] of (await tx.exec()) ?? []) if (err) throw err;
  }
}

/** A minute's counts from its hash; undefined when it counts nothing. */
function minuteCounts(minute: number, fields: Record<string, string>): MinuteCounts | undefined {
  const c: MinuteCounts = {
    minute,
    accepted: 0,
    duplicates: 0,
    rejected: {},
    delivered: {},
    failed: {},
    deadLettered: 0,
  };
  let any = false;
  for (const [field, raw] of Object.entries(fields)) {
    const n = Number(raw);
    if (!Number.isFinite(n) || n === 0) continue;
    const name = field.slice(2);
    if (field === 'accepted') c.accepted = n;
    else if (field === 'duplicates') c.duplicates = n;
    else if (field === 'dead') c.deadLettered = n;
    else if (field.startsWith('r:')) c.rejected[name] = n;
    else if (field.startsWith('d:')) c.delivered[name] = n;
    else if (field.startsWith('f:')) c.failed[name] = n;
    else continue;
    any = true;
  }
  return any ? c : undefined;
}
