/**
 * A redis-server of the test's own, on a free port, for tests that kill, restart
 * or reconfigure Redis. The shared Redis on 6379 is never touched.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from './wait.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

export class RedisServer {
  readonly dir: string;
  private proc: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly args: string[],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'wp-redis-'));
  }

  /** Starts a server; `args` are extra redis-server options (e.g. ['--appendonly', 'yes']). */
  static async start(args: string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), args);
    await server.restart();
    return server;
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port and data directory. */
  async restart(): Promise<void> {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--dir',
        this.dir,
        ...this.args,
      ],
      { stdio: 'ignore' },
    );
    this.proc = proc;
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
        const probe = new Redis({
          port: this.port,
          host: '127.0.0.1',
          lazyConnect: true,
          retryStrategy: () => null,
          maxRetriesPerRequest: 0,
        });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      },
      { what: `redis-server on ${this.port}`, timeoutMs: 10_000 },
    );
  }

  /** SIGKILL: no shutdown save, like a crash. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
