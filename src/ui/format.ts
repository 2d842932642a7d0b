/** How numbers and times read on every page. */

const integer = new Intl.NumberFormat('en');

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : integer.format(n);
}

/** A success rate over `attempts`: "no attempts" when there were none. */
export function rate(ratio: number | null, attempts: number): string {
  return attempts === 0 || ratio === null
    ? 'no attempts'
    : `${percent(ratio)} of ${count(attempts)}`;
}

/** A duration in milliseconds, to a tenth below 10 ms. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value < 10 ? `${value.toFixed(1)} ms` : `${integer.format(Math.round(value))} ms`;
}

export function percent(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined ? '—' : `${(ratio * 100).toFixed(1)} %`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An RFC 3339 time (or epoch ms) as local `YYYY-MM-DD HH:MM:SS`. */
export function time(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A `datetime-local` input's value as RFC 3339 (UTC), or undefined when empty or invalid. */
export function localToRfc3339(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A value as readable JSON: pretty-printed, or the text as it is. */
export function prettyJson(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}
