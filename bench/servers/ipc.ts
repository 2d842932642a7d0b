/**
 * The child side of the bench's IPC: a server announces where it listens and
 * answers `report` requests with its counters. SIGTERM stops it through `stop`,
 * and the process then exits 0 (so `--cpu-prof` can write its profile).
 */

/** What every bench server reports about itself. */
export interface ServerReport {
  /** Jobs whose handler ran (servers that process jobs). */
  processed: number;
  /** Date.now() when the first handler started / the last one finished. */
  firstStartAt: number | undefined;
  lastEndAt: number | undefined;
  /** CPU the process had used when the first handler started (µs). */
  cpuAtFirstStartUs: number | undefined;
  rssBytes: number;
  /** CPU time this process has used so far (user + system), microseconds. */
  cpuUs: number;
  /** 202 sent → handler start, ms (only when BENCH_E2E=1). */
  e2eMs?: number[];
  /** Handlers that started before their 202 was sent (counted as 0 ms in e2eMs). */
  e2eEarly?: number;
  /** Accepted (before the store write) → handler start, whole ms (only when BENCH_E2E=1). */
  acceptToStartMs?: number[];
  /** [job id, absolute ms] per 202 sent or handler started (BENCH_E2E=sent / started). */
  marks?: [string, number][];
  /** Distinct `webhook-id`s received (the forwarding receiver). */
  distinct?: number;
  /** Requests that failed or were not answered 200 (the bare undici sender). */
  failed?: number;
}

export type ParentMessage = { type: 'report' };
export type ChildMessage =
  | { type: 'ready'; url: string; store: string; cpuUs: number }
  | { type: 'report'; report: ServerReport };

/** Counts handler runs the same way in every server that processes jobs. */
export class JobCounter {
  processed = 0;
  firstStartAt: number | undefined;
  lastEndAt: number | undefined;
  cpuAtFirstStartUs: number | undefined;

  started(): void {
    if (this.firstStartAt !== undefined) return;
    this.firstStartAt = Date.now();
    this.cpuAtFirstStartUs = cpuUs();
  }

  finished(): void {
    this.processed++;
    this.lastEndAt = Date.now();
  }

  report(): ServerReport {
    return {
      cpuUs: cpuUs(),
      processed: this.processed,
      firstStartAt: this.firstStartAt,
      lastEndAt: this.lastEndAt,
      cpuAtFirstStartUs: this.cpuAtFirstStartUs,
      rssBytes: process.memoryUsage.rss(),
    };
  }
}

function cpuUs(): number {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Wires a started server to the parent: ready message, reports, SIGTERM. */
export function serve(opts: {
  url: string;
  store: string;
  report: () => ServerReport;
  stop: () => Promise<void>;
}): void {
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'report') send({ type: 'report', report: opts.report() });
  });
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    opts.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  });
  // The parent going away must not leave a server running.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url: opts.url, store: opts.store, cpuUs: cpuUs() });
}

/** Reads a required environment variable of the bench (children only). */
export function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`bench server: ${name} is not set`);
  return v;
}
