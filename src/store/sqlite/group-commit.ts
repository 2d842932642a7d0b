/**
 * Group commit: requests that arrive within a short window share one
 * transaction, and each is answered once that transaction is durable.
 *
 * The transaction itself is synchronous (better-sqlite3) and blocks the event
 * loop while it runs; batching makes its fixed cost per batch instead of per
 * request. Durability (`durable`, an fsync) is awaited after it: the next batch
 * can commit meanwhile, and one fsync covers every batch committed before it
 * began. A window of 0 gathers what arrives within one event-loop turn
 * (setImmediate); under load that already batches everything parsed in that
 * turn. A longer window adds up to that much latency to each 202 and batches
 * more. A full batch (by count or by bytes) commits at once. docs/sqlite-store.md
 * has the figures.
 */

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions<T> {
  windowMs: number;
  /** A batch commits at once when it holds this many requests… */
  maxBatch: number;
  /** …or when their weights (e.g. body sizes) add up to this, bounding one transaction's time. */
  maxWeight: number;
  weigh: (item: T) => number;
  /** Resolves once what was committed before the call is on stable storage. */
  durable: () => Promise<void>;
  /** The error each request of a failed batch is rejected with. */
  failure: (err: unknown) => Error;
}

/** Running figures, for the benchmark and for debugging a slow disk. */
export interface GroupCommitStats {
  batches: number;
  items: number;
  /** Total and longest time spent in transactions (event loop blocked), in ms. */
  commitMs: number;
  maxCommitMs: number;
}

export class GroupCommit<T, R> {
  private batch: Waiting<T, R>[] = [];
  private weight = 0;
  private scheduled: (() => void) | undefined;
  /** Batches committed and waiting to be durable. */
  private readonly settling = new Set<Promise<void>>();
  readonly stats: GroupCommitStats = { batches: 0, items: 0, commitMs: 0, maxCommitMs: 0 };

  /** `commit` stores every item in one transaction and returns one result per item, in order. */
  constructor(
    private readonly commit: (items: T[]) => R[],
    private readonly opts: GroupCommitOptions<T>,
  ) {}

  /** Requests waiting for the next commit. */
  get pending(): number {
    return this.batch.length;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.batch.push({ item, resolve, reject });
      this.weight += this.opts.weigh(item);
      if (this.batch.length >= this.opts.maxBatch || this.weight >= this.opts.maxWeight) {
        this.flush();
      } else this.scheduled ??= this.schedule();
    });
  }

  /** Commits what is waiting now (also used by close, so nothing is left unanswered). */
  flush(): void {
    this.scheduled?.();
    this.scheduled = undefined;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    this.weight = 0;
    const started = performance.now();
    let results: R[];
    try {
      results = this.commit(batch.map((w) => w.item));
    } catch (err) {
      const failure = this.opts.failure(err);
      for (const w of batch) w.reject(failure);
      return;
    } finally {
      this.record(performance.now() - started, batch.length);
    }
    const settled = this.opts.durable().then(
      () => {
        batch.forEach((w, i) => {
          w.resolve(results[i] as R);
        });
      },
      (err: unknown) => {
        const failure = this.opts.failure(err);
        for (const w of batch) w.reject(failure);
      },
    );
    this.settling.add(settled);
    void settled.finally(() => this.settling.delete(settled));
  }

  /** Commits what is waiting and resolves once every request has its answer. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all([...this.settling]);
  }

  /** Arranges the next flush; returns its cancel function. */
  private schedule(): () => void {
    if (this.opts.windowMs > 0) {
      const t = setTimeout(() => this.flush(), this.opts.windowMs);
      return () => clearTimeout(t);
    }
    const i = setImmediate(() => this.flush());
    return () => clearImmediate(i);
  }

  private record(ms: number, items: number): void {
    this.stats.batches++;
    this.stats.items += items;
    this.stats.commitMs += ms;
    if (ms > this.stats.maxCommitMs) this.stats.maxCommitMs = ms;
  }
}
