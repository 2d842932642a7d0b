/**
 * A redis-server of the test's own, on a free port, for tests that kill, restart
 * or reconfigure Redis. The shared Redis on 6379 is never touched.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
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

/** PEM files for a TLS-only server: its certificate and key, and the CA that signs clients. */
export interface RedisTlsFiles {
  cert: string;
  key: string;
  ca: string;
  /** `tls-auth-clients`: require a client certificate (default yes). */
  authClients?: 'yes' | 'no' | 'optional';
  /** The client certificate and key the readiness probe presents. */
  probeCert: string;
  probeKey: string;
}

export interface RedisServerOptions {
  /** Serve TLS only, on `port` (the plain port is off). */
  tls?: RedisTlsFiles;
  /** How the readiness probe authenticates (for requirepass or ACL servers). */
  probe?: Pick<RedisOptions, 'username' | 'password'>;
}

/** True when this redis-server build has TLS (it was built with BUILD_TLS). */
export function redisTlsSupported(): boolean {
  // A TLS build refuses this for want of a certificate; a build without TLS does
  // not know the directive at all.
  const r = spawnSync('redis-server', ['--port', '0', '--tls-port', '1', '--save', ''], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return /tls-cert-file|Failed to configure TLS/i.test(`${r.stdout}${r.stderr}`);
}

export class RedisServer {
  readonly dir: string;
  private proc: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly opts: RedisServerOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'wp-redis-'));
  }

  /** Starts a server; `args` are extra redis-server options (e.g. ['--appendonly', 'yes']). */
  static async start(args: string[] = [], opts: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), args, opts);
    await server.restart();
    return server;
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port and data directory. */
  async restart(): Promise<void> {
    const tls = this.opts.tls;
    const listen = tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(this.port),
          '--tls-cert-file',
          tls.cert,
          '--tls-key-file',
          tls.key,
          '--tls-ca-cert-file',
          tls.ca,
          '--tls-auth-clients',
          tls.authClients ?? 'yes',
        ]
      : ['--port', String(this.port)];
    const proc = spawn(
      'redis-server',
      [...listen, '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, ...this.args],
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
          ...this.opts.probe,
          ...(tls
            ? {
                tls: {
                  ca: readFileSync(tls.ca),
                  cert: readFileSync(tls.probeCert),
                  key: readFileSync(tls.probeKey),
                },
              }
            : {}),
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
    // Exited already: on its own (exitCode) or killed (signalCode; exitCode stays null).
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
