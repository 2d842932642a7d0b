/**
 * Closed-loop load with autocannon, the same settings for every server: as many
 * requests as the server answers, over a fixed number of keep-alive connections,
 * each request a fresh ~300-byte webhook.
 */
import autocannon from 'autocannon';
import { AUTOCANNON_BODY, HEADERS } from './body.js';

export interface SaturationResult {
  /** 2xx responses per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  non2xx: number;
  errors: number;
  durationS: number;
}

const base = (url: string, connections: number) => ({
  url: `${url}/webhooks`,
  method: 'POST',
  headers: { ...HEADERS },
  body: AUTOCANNON_BODY,
  idReplacement: true,
  connections,
  pipelining: 1,
  timeout: 10,
});

/** Warms a server up (JIT, connections): the same load, not counted. */
export async function warmUp(url: string, connections: number, durationS: number): Promise<void> {
  if (durationS > 0) await autocannon({ ...base(url, connections), duration: durationS });
}

/** As fast as the server goes, for `durationS`. */
export async function saturate(
  url: string,
  opts: { connections: number; durationS: number },
): Promise<SaturationResult> {
  const r = await autocannon({ ...base(url, opts.connections), duration: opts.durationS });
  return {
    rps: r['2xx'] / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    durationS: r.duration,
  };
}

/** Sends exactly `amount` webhooks; resolves with how many were accepted. */
export async function preload(
  url: string,
  amount: number,
  connections: number,
): Promise<{ accepted: number; refused: number }> {
  const r = await autocannon({ ...base(url, connections), amount });
  return { accepted: r['2xx'], refused: r.non2xx + r.errors + r.timeouts };
}
