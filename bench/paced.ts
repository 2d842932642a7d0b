/**
 * An open-loop load generator: it sends requests on a fixed schedule (rate per
 * second, evenly spaced), whatever the server does, over a pool of keep-alive
 * connections, and measures each request's latency from the moment it was
 * *scheduled*. A slow server therefore shows up as latency, instead of quietly
 * lowering the offered rate (coordinated omission).
 *
 * autocannon's rate option cannot do this: it gives each connection a quota per
 * second, which it sends back to back, so "half load" becomes full load half of
 * the time. The generator speaks just enough HTTP/1.1 for our servers' answers
 * (status line, Content-Length or chunked; one request in flight per connection).
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { bodyWithId } from './body.js';

export interface PacedOptions {
  url: string;
  /** Requests per second. */
  rate: number;
  durationMs: number;
  connections: number;
  /** How long to wait for outstanding requests after the schedule ends. */
  drainMs?: number;
}

export interface PacedResult {
  offered: number;
  completed: number;
  durationMs: number;
  /** Responses by status code. */
  byStatus: Record<string, number>;
  /** Latencies (ms, from the scheduled time) by status code. */
  latencies: Record<string, number[]>;
  /** Requests in flight on a connection that failed. */
  errors: number;
  /** Requests still queued or in flight when the drain time ran out. */
  unfinished: number;
  /** The most requests ever waiting for a free connection. */
  maxQueued: number;
  /**
   * Cores this process (the generator) used while sending. Near 1.0 it is the
   * bottleneck, and latencies measure its own queue as much as the server.
   */
  generatorCores: number;
}

interface Conn {
  socket: Socket;
  buf: Buffer | undefined;
  /** Scheduled time of the request in flight, if any. */
  inflight: number | undefined;
}

export function runPaced(opts: PacedOptions): Promise<PacedResult> {
  const { hostname, port } = new URL(opts.url);
  const head = `POST /webhooks HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: `;
  const prefix = randomBytes(6).toString('hex');
  const total = Math.round((opts.rate * opts.durationMs) / 1000);
  const interval = 1000 / opts.rate;
  const result: PacedResult = {
    offered: total,
    completed: 0,
    durationMs: opts.durationMs,
    byStatus: {},
    latencies: {},
    errors: 0,
    unfinished: 0,
    maxQueued: 0,
    generatorCores: 0,
  };
  const cpu0 = process.cpuUsage();
  const queue: number[] = [];
  let queueHead = 0;
  const idle: Conn[] = [];
  const conns = new Set<Conn>();
  let scheduled = 0;
  let sent = 0;
  let finished = false;
  let t0 = 0;

  const send = (conn: Conn, at: number) => {
    const body = bodyWithId(`${prefix}${sent++}`);
    conn.inflight = at;
    conn.socket.write(`${head}${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };

  const dispatch = () => {
    while (queueHead < queue.length && idle.length > 0) {
      send(idle.pop() as Conn, queue[queueHead++] as number);
    }
    if (queueHead > 4096 && queueHead * 2 > queue.length) {
      queue.splice(0, queueHead);
      queueHead = 0;
    }
  };

  const record = (status: string, at: number) => {
    result.completed++;
    result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
    let list = result.latencies[status];
    if (!list) {
      list = [];
      result.latencies[status] = list;
    }
    list.push(performance.now() - at);
  };

  const onData = (conn: Conn, chunk: Buffer) => {
    conn.buf = conn.buf ? Buffer.concat([conn.buf, chunk]) : chunk;
    for (;;) {
      const buf: Buffer | undefined = conn.buf;
      if (!buf) return;
      const end: number = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headers: string = buf.toString('latin1', 0, end).toLowerCase();
      let size: number;
      if (headers.includes('\r\ntransfer-encoding: chunked')) {
        const last = buf.indexOf('\r\n0\r\n\r\n', end + 2);
        if (last < 0) return;
        size = last + 7;
      } else {
        size = end + 4 + Number(/\r\ncontent-length:\s*(\d+)/.exec(headers)?.[1] ?? 0);
        if (buf.length < size) return;
      }
      conn.buf = buf.length > size ? buf.subarray(size) : undefined;
      const at = conn.inflight;
      conn.inflight = undefined;
      if (at !== undefined) record(headers.slice(9, 12), at);
      if (headers.includes('\r\nconnection: close')) {
        conn.socket.end();
        return;
      }
      idle.push(conn);
      dispatch();
    }
  };

  const open = () => {
    const conn: Conn = {
      socket: connect({ host: hostname, port: Number(port), noDelay: true }),
      buf: undefined,
      inflight: undefined,
    };
    conns.add(conn);
    conn.socket.on('connect', () => {
      idle.push(conn);
      dispatch();
    });
    conn.socket.on('data', (c: Buffer) => onData(conn, c));
    conn.socket.on('error', () => undefined);
    conn.socket.on('close', () => {
      conns.delete(conn);
      const i = idle.indexOf(conn);
      if (i >= 0) idle.splice(i, 1);
      if (conn.inflight !== undefined) result.errors++;
      if (!finished) open();
    });
  };

  return new Promise((resolve) => {
    for (let i = 0; i < opts.connections; i++) open();
    t0 = performance.now();
    const ticker = setInterval(() => {
      const due = Math.min(total, Math.floor((performance.now() - t0) / interval) + 1);
      while (scheduled < due) queue.push(t0 + scheduled++ * interval);
      result.maxQueued = Math.max(result.maxQueued, queue.length - queueHead);
      dispatch();
      if (scheduled < total) return;
      clearInterval(ticker);
      const deadline = performance.now() + (opts.drainMs ?? 15_000);
      const waitDrain = setInterval(() => {
        const busy = [...conns].filter((c) => c.inflight !== undefined).length;
        const left = queue.length - queueHead + busy;
        if (left > 0 && performance.now() < deadline) return;
        clearInterval(waitDrain);
        finished = true;
        result.unfinished = left;
        const cpu = process.cpuUsage(cpu0);
        result.generatorCores =
          Math.round(((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100) / 100;
        for (const c of conns) c.socket.destroy();
        resolve(result);
      }, 5);
    }, 1);
  });
}
