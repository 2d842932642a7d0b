/**
 * The bench's own redis-server, configured as production should be: AOF on
 * (`appendfsync` everysec by default, or `always`), no eviction. Every server the
 * bench starts shares it. It is private to the bench, so wiping it between
 * measurements is safe; the shared Redis on 6379 is never touched.
 */
import { Redis } from 'ioredis';
import { RedisServer } from '../test/helpers/redis-server.js';

export type Fsync = 'everysec' | 'always';

export class BenchRedis {
  private constructor(
    private readonly server: RedisServer,
    readonly client: Redis,
    readonly fsync: Fsync,
    readonly version: string,
  ) {}

  static async start(fsync: Fsync): Promise<BenchRedis> {
    const server = await RedisServer.start([
      '--appendonly',
      'yes',
      '--appendfsync',
      fsync,
      '--maxmemory-policy',
      'noeviction',
    ]);
    const client = new Redis(server.port, '127.0.0.1');
    const info = (await client.info('server')) as string;
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    return new BenchRedis(server, client, fsync, version);
  }

  get port(): number {
    return this.server.port;
  }

  get addr(): string {
    return this.server.addr;
  }

  /**
   * Empties the database and rewrites the AOF, so that each measurement starts
   * from the same small file and no rewrite (a fork) lands inside one.
   */
  async reset(): Promise<void> {
    // A rewrite Redis started by itself (the last measurement grew the file) must end first.
    await this.rewriteDone();
    await this.client.flushall();
    try {
      await this.client.bgrewriteaof();
    } catch (err) {
      // Redis began one of its own in between: that one leaves the file small too.
      if (!/already in progress/.test(String(err))) throw err;
    }
    await this.rewriteDone();
  }

  private async rewriteDone(): Promise<void> {
    for (;;) {
      const info = (await this.client.info('persistence')) as string;
      if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Counters of the server so far: CPU time (user + system, microseconds),
   * commands processed, and read events (roughly, client writes received: the
   * ratio of the two shows how well clients pipeline).
   */
  async counters(): Promise<{ cpuUs: number; commands: number; reads: number }> {
    const info = (await this.client.info()) as string;
    const num = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
    return {
      cpuUs: Math.round((num('used_cpu_sys') + num('used_cpu_user')) * 1e6),
      commands: num('total_commands_processed'),
      reads: num('total_reads_processed'),
    };
  }

  async cpuUs(): Promise<number> {
    return (await this.counters()).cpuUs;
  }

  async stop(): Promise<void> {
    this.client.disconnect();
    await this.server.stop();
  }
}
