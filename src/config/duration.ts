/**
 * Go-style duration strings (`300ms`, `1.5s`, `1m30s`, `24h`) to milliseconds.
 *
 * We accept exactly the grammar of Go's `time.ParseDuration` minus the
 * sub-millisecond units, because the documented defaults are written that way and
 * operators copy values between the two worlds. A bare `0` is allowed, as in Go.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * The longest delay a Node.js timer accepts: 2^31 - 1 ms, about 24.8 days. A
 * longer one is not refused by Node but fires after 1 ms (TimeoutOverflowWarning),
 * so every duration that reaches a timer is held below it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)/y;

/** Returns milliseconds, or `undefined` when the text is not a valid duration. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (s === '') return undefined;
  let sign = 1;
  let i = 0;
  if (s[0] === '-' || s[0] === '+') {
    sign = s[0] === '-' ? -1 : 1;
    i = 1;
  }
  if (i === s.length) return undefined;
  let total = 0;
  PART.lastIndex = i;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const m = PART.exec(s);
    if (!m || m.index !== start) return undefined;
    const [, num, unit] = m as unknown as [string, string, string];
    total += Number(num) * (UNIT_MS[unit] as number);
  }
  const ms = sign * total;
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** Formats milliseconds the way Go prints durations, for logs and docs. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let rest = ms;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
