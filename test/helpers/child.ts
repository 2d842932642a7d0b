/** The service as a child process: start it, read its logs, signal it, wait for its exit. */
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './redis-server.js';
import { waitFor } from './wait.js';

export interface ServiceProcess {
  proc: ChildProcess;
  port: number;
  url: string;
  lines: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(
    pred: (line: Record<string, unknown>) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}

const FIXTURE = 'test/fixtures/service.ts';
const live = new Set<ChildProcess>();

/** SIGKILLs every service process still running; call from an `after` hook. */
export async function killServiceProcesses(): Promise<void> {
  const waits = [...live].map(
    (p) =>
      new Promise((r) =>
        p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r),
      ),
  );
  for (const p of live) p.kill('SIGKILL');
  await Promise.all(waits);
}
export const MAIN = 'src/main.ts';

/** Starts `entry` (default: the test fixture) with `env`, and waits until it listens. */
export async function startServiceProcess(
  env: Record<string, string>,
  opts: { entry?: string; waitReady?: boolean } = {},
): Promise<ServiceProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', opts.entry ?? FIXTURE], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let buf = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        stderr.push(line);
      }
      nl = buf.indexOf('\n');
    }
  });
  proc.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const child: ServiceProcess = {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    lines,
    stderr,
    exited,
    waitForLog: (pred, what, timeoutMs = 15_000) =>
      waitFor(
        () => {
          if (proc.exitCode !== null && !lines.some(pred))
            throw new Error(`exited (${proc.exitCode}): ${stderr.join('')}`);
          return lines.find(pred);
        },
        { what, timeoutMs },
      ),
  };
  if (opts.waitReady !== false) {
    await child.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('webhook-processor listening'),
      'service start',
    );
  }
  return child;
}

/** POST /webhooks over a real socket; resolves with status and body (or the network error). */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<
  { status: number; body: Record<string, unknown>; headers: Headers } | { error: string }
> {
  try {
    const res = await fetch(`${url}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown>,
      headers: res.headers,
    };
  } catch (err) {
    return {
      error:
        (err as Error).name === 'TimeoutError' ? 'timeout' : String((err as Error).cause ?? err),
    };
  }
}
