/**
 * End-to-end latency inside one process, on one clock: from a 202 being handed to
 * the socket to the handler of its job starting.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Pairs "202 sent" with "handler started" by job id. */
export class E2eClock {
  private readonly sentAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly latencies: number[] = [];
  private readonly sinceAccept: number[] = [];
  private early = 0;
  private readonly ids = new WeakMap<FastifyReply, string>();

  install(app: FastifyInstance): void {
    app.addHook('onSend', async (_request, reply, payload) => {
      if (reply.statusCode === 202 && typeof payload === 'string') {
        const at = payload.indexOf('"id":"');
        if (at >= 0) this.ids.set(reply, payload.slice(at + 6, payload.indexOf('"', at + 6)));
      }
      return payload;
    });
    // onResponse runs once the response has been handed to the socket.
    app.addHook('onResponse', async (_request, reply) => {
      const id = this.ids.get(reply);
      if (id === undefined) return;
      const now = performance.now();
      if (this.startedAt.delete(id)) {
        this.early++;
        this.latencies.push(0);
      } else this.sentAt.set(id, now);
    });
  }

  /** `receivedAt`: when ingest accepted the job (Date.now(), before the store write). */
  handlerStarted(id: string, receivedAt: number): void {
    this.sinceAccept.push(Date.now() - receivedAt);
    const now = performance.now();
    const sent = this.sentAt.get(id);
    if (sent === undefined) {
      this.startedAt.set(id, now);
      return;
    }
    this.sentAt.delete(id);
    this.latencies.push(now - sent);
  }

  report(): { e2eMs: number[]; e2eEarly: number; acceptToStartMs: number[] } {
    return { e2eMs: this.latencies, e2eEarly: this.early, acceptToStartMs: this.sinceAccept };
  }
}

/** Absolute milliseconds, comparable between processes on one machine. */
const absNow = () => performance.timeOrigin + performance.now();

/**
 * End-to-end latency across two processes (an ingest-only and a worker-only
 * instance): each side marks its event per job id on the machine's clock, and
 * the bench pairs the marks.
 */
export class E2eMarks {
  private readonly marks: [string, number][] = [];
  private readonly ids = new WeakMap<FastifyReply, string>();

  /** Ingest side: marks each 202 when it is handed to the socket. */
  installSent(app: FastifyInstance): void {
    app.addHook('onSend', async (_request, reply, payload) => {
      if (reply.statusCode === 202 && typeof payload === 'string') {
        const at = payload.indexOf('"id":"');
        if (at >= 0) this.ids.set(reply, payload.slice(at + 6, payload.indexOf('"', at + 6)));
      }
      return payload;
    });
    app.addHook('onResponse', async (_request, reply) => {
      const id = this.ids.get(reply);
      if (id !== undefined) this.marks.push([id, absNow()]);
    });
  }

  /** Worker side: marks each handler start. */
  started(id: string): void {
    this.marks.push([id, absNow()]);
  }

  report(): { marks: [string, number][] } {
    return { marks: this.marks };
  }
}
