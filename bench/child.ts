/**
 * The parent side of a bench server: spawn it (TypeScript through tsx, with IPC),
 * wait until it listens, ask for reports, stop it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { ChildMessage, ServerReport } from './servers/ipc.js';

export interface BenchServer {
  readonly name: string;
  readonly url: string;
  /** What the server says it stores in: `redis`, `sqlite`, `bullmq`, `none`. */
  readonly store: string;
  readonly pid: number;
  /** CPU the process had used once ready (start-up: loading, compiling, connecting). */
  readonly cpuAtReadyUs: number;
  report(): Promise<ServerReport>;
  /** SIGTERM, then wait for the exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

export interface SpawnOptions {
  /** File under bench/servers, e.g. `ours.ts`. */
  entry: string;
  env: Record<string, string>;
  /** Write a V8 CPU profile into this directory when the server exits. */
  cpuProfileDir?: string | undefined;
  readyTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export async function startServer(name: string, opts: SpawnOptions): Promise<BenchServer> {
  const args = ['--import', 'tsx'];
  // One directory per server: tsx's loader thread writes a profile of its own
  // beside the main thread's (the main thread's is the large one).
  if (opts.cpuProfileDir) args.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}/${name}`);
  args.push(new URL(`./servers/${opts.entry}`, import.meta.url).pathname);
  const proc = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  live.add(proc);
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      live.delete(proc);
      resolve(code);
    }),
  );
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    // BENCH_VERBOSE=1: pass the servers' stderr through, for debugging the bench.
    if (process.env.BENCH_VERBOSE === '1') process.stderr.write(c);
    stderr = (stderr + c.toString()).slice(-4_000);
  });
  const waiters: ((r: ServerReport) => void)[] = [];
  const ready = new Promise<{ url: string; store: string; cpuUs: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name}: not ready within ${opts.readyTimeoutMs ?? 30_000}ms`)),
      opts.readyTimeoutMs ?? 30_000,
    );
    proc.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m);
      } else if (m.type === 'report') waiters.shift()?.(m.report);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready: ${stderr.trim()}`));
    });
  });
  const { url, store, cpuUs } = await ready;
  return {
    name,
    url,
    store,
    cpuAtReadyUs: cpuUs,
    pid: proc.pid ?? 0,
    report: () =>
      new Promise<ServerReport>((resolve, reject) => {
        if (proc.exitCode !== null) return reject(new Error(`${name} has exited: ${stderr}`));
        waiters.push(resolve);
        proc.send({ type: 'report' });
      }),
    async stop(timeoutMs = 15_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(t);
    },
  };
}
