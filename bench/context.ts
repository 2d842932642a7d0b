/**
 * What every measurement shares: the settings of this run, the Redis, and how to
 * start each kind of server on it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchServer, startServer } from './child.js';
import type { BenchRedis } from './redis.js';

export interface Settings {
  quick: boolean;
  /** Closed-loop ingest: connections, warm-up and measured seconds, interleaved rounds. */
  connections: number;
  warmupS: number;
  ingestS: number;
  ingestRounds: number;
  /** Jobs preloaded for the drain. */
  drainJobs: number;
  /** Concurrency of both workers in the drain. */
  concurrency: number;
  e2eS: number;
  overloadS: number;
  /** Connections of the open-loop generator. */
  pacedConnections: number;
  /** Events preloaded for the forwarding measurement, and the longest their delivery may take. */
  forwardJobs: number;
  forwardTimeoutS: number;
}

export const FULL: Settings = {
  quick: false,
  connections: 100,
  warmupS: 2,
  ingestS: 8,
  ingestRounds: 3,
  drainJobs: 50_000,
  concurrency: 10,
  e2eS: 10,
  overloadS: 30,
  pacedConnections: 200,
  forwardJobs: 20_000,
  forwardTimeoutS: 300,
};

export const QUICK: Settings = {
  ...FULL,
  quick: true,
  warmupS: 1,
  ingestS: 3,
  ingestRounds: 1,
  drainJobs: 5_000,
  e2eS: 3,
  overloadS: 5,
  forwardJobs: 3_000,
};

/** The queue name every server uses; the Redis is wiped between measurements. */
export const QUEUE = 'bench';

/** The store a run of ours asked for is not in this build (e.g. sqlite before it exists). */
export class StoreNotSupported extends Error {}

export class BenchContext {
  constructor(
    readonly settings: Settings,
    readonly redis: BenchRedis,
    readonly profileDir: string | undefined,
  ) {}

  progress(line: string): void {
    process.stderr.write(`bench: ${line}\n`);
  }

  /** A fresh data directory for one run of an embedded store. */
  dataDir(): string {
    return mkdtempSync(join(tmpdir(), 'wp-bench-data-'));
  }

  /**
   * Our service on `store`, configured by `env` on top of the bench's defaults.
   * Throws StoreNotSupported when the service came up on another store (the
   * build ignores STORE) or refused the store.
   */
  async ours(
    label: string,
    store: string,
    env: Record<string, string>,
    dataDir?: string,
  ): Promise<BenchServer> {
    let server: BenchServer;
    try {
      server = await startServer(`ours-${store}-${label}`, {
        entry: 'ours.ts',
        cpuProfileDir: this.profileDir,
        env: {
          REDIS_ADDR: this.redis.addr,
          QUEUE_NAME: QUEUE,
          HOST: '127.0.0.1',
          PORT: '0',
          LOG_LEVEL: 'warn',
          STORE: store,
          ...(store === 'redis' ? {} : { DATA_DIR: dataDir ?? this.dataDir() }),
          ...env,
        },
      });
    } catch (err) {
      if (store === 'redis') throw err;
      throw new StoreNotSupported(`STORE=${store} did not start: ${(err as Error).message}`);
    }
    if (server.store !== store) {
      await server.stop();
      throw new StoreNotSupported(`STORE=${store} is not supported by this build`);
    }
    return server;
  }

  /** A peer server (bare.ts, bullmq-ingest.ts, bullmq-worker.ts). */
  peer(entry: string, env: Record<string, string> = {}): Promise<BenchServer> {
    return startServer(entry.replace(/\.ts$/, ''), {
      entry,
      cpuProfileDir: this.profileDir,
      env: {
        BENCH_REDIS_PORT: String(this.redis.port),
        BENCH_QUEUE: QUEUE,
        BENCH_CONCURRENCY: String(this.settings.concurrency),
        ...env,
      },
    });
  }
}
