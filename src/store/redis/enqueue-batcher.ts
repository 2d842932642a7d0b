/**
 * Group enqueue: the webhooks accepted in one turn of the event loop go to Redis
 * as one script call.
 *
 * Under load, each turn of the loop parses many requests; sending each its own
 * command cost more client CPU than anything else ingest does (a command object,
 * promises, reply parsing per job). A batch is sent when the turn's I/O has been
 * handled (setImmediate), or at once when it is full, and each webhook's promise
 * settles with its own result once Redis has run the whole batch. Nothing waits
 * for a timer: at low load a batch is one webhook, sent in the same turn.
 *
 * A batch is bounded in count and in bytes: Redis runs nothing else while a
 * script runs, so one call carrying a hundred large bodies would stall every
 * other client for as long as it takes to append them (and, with appendfsync
 * always, to write them to the AOF). A webhook that would take its batch past the
 * byte bound starts the next one; one larger than the bound goes alone.
 */
import type { EnqueueItem } from './scripts.js';

export interface EnqueueOutcome {
  id: string;
  duplicate: boolean;
  /** For a replay: "1" for each target queued, "0" for one skipped, in order; else "". */
  queued: string;
}

interface Waiting {
  item: EnqueueItem;
  resolve: (r: EnqueueOutcome) => void;
  reject: (err: unknown) => void;
}

/** Sends a batch; resolves with the script's flat reply (id, flag, queued per item). */
export type SendBatch = (items: EnqueueItem[]) => Promise<(string | number)[]>;

export interface BatchBounds {
  /** Most webhooks in one script call. */
  maxItems: number;
  /**
   * Most bytes of job envelopes, keys and event records in one script call (a
   * larger webhook goes alone). A record kept with its payload carries the body
   * a second time.
   */
  maxBytes: number;
}

export class EnqueueBatcher {
  private waiting: Waiting[] = [];
  private bytes = 0;

  constructor(
    private readonly send: SendBatch,
    private readonly bounds: BatchBounds,
  ) {}

  add(item: EnqueueItem): Promise<EnqueueOutcome> {
    return new Promise((resolve, reject) => {
      const r = item.record;
      let size =
        Buffer.byteLength(item.idemKey) + Buffer.byteLength(r.summary) + Buffer.byteLength(r.body);
      for (const t of item.targets) size += Buffer.byteLength(t.job) + Buffer.byteLength(t.stream);
      if (this.waiting.length > 0 && this.bytes + size > this.bounds.maxBytes) this.flush();
      this.waiting.push({ item, resolve, reject });
      this.bytes += size;
      if (this.waiting.length === 1) setImmediate(() => this.flush());
      if (this.waiting.length >= this.bounds.maxItems || this.bytes >= this.bounds.maxBytes) {
        this.flush();
      }
    });
  }

  private flush(): void {
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    this.bytes = 0;
    let sent: Promise<(string | number)[]>;
    try {
      sent = this.send(batch.map((w) => w.item));
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (reply) => {
        batch.forEach((w, i) => {
          const id = reply[3 * i];
          if (typeof id !== 'string') {
            w.reject(new Error(`enqueue script: no result for item ${i}`));
            return;
          }
          w.resolve({
            id,
            duplicate: Number(reply[3 * i + 1]) === 1,
            queued: String(reply[3 * i + 2] ?? ''),
          });
        });
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
  }
}
