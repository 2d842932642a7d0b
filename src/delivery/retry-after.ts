/**
 * `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an HTTP-date. Anything else
 * (negative, fractional, a bare year, text) is ignored rather than guessed at,
 * so the normal backoff applies; the caller caps what comes back.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

// Sun, 06 Nov 1994 08:49:37 GMT
const IMF_FIXDATE = /^[a-z]{3}, (\d{2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/;
// Sunday, 06-Nov-94 08:49:37 GMT
const RFC850 = /^[a-z]{6,9}, (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/;
// Sun Nov  6 08:49:37 1994
const ASCTIME = /^[a-z]{3} ([a-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/** Milliseconds to wait, from `nowMs`; undefined when absent, invalid or in the past. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  nowMs: number,
): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  if (!raw) return undefined;
  if (/^\d+$/.test(raw)) {
    const ms = Number(raw) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  const at = parseHttpDate(raw, nowMs);
  if (at === undefined || at < nowMs) return undefined;
  return at - nowMs;
}

function parseHttpDate(s: string, nowMs: number): number | undefined {
  let m = IMF_FIXDATE.exec(s);
  if (m) return utc(Number(m[3]), m[2], m[1], m[4], m[5], m[6]);
  m = RFC850.exec(s);
  if (m) {
    // Two-digit years: RFC 9110 says a date more than 50 years ahead is in the past century.
    const yy = Number(m[3]);
    const thisYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + yy;
    if (year > thisYear + 50) year -= 100;
    return utc(year, m[2], m[1], m[4], m[5], m[6]);
  }
  m = ASCTIME.exec(s);
  if (m) return utc(Number(m[6]), m[1], m[2], m[3], m[4], m[5]);
  return undefined;
}

function utc(
  year: number,
  mon: string | undefined,
  day: string | undefined,
  h: string | undefined,
  min: string | undefined,
  sec: string | undefined,
): number | undefined {
  const month = MONTHS.indexOf(mon ?? '');
  const [d, hh, mm, ss] = [day, h, min, sec].map(Number) as [number, number, number, number];
  if (month < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return undefined;
  const t = Date.UTC(year, month, d, hh, mm, ss);
  // Date.UTC rolls 31 Feb over into March: such a date is not a date.
  return new Date(t).getUTCDate() === d ? t : undefined;
}
