/**
 * Making ingest commits durable without blocking the event loop.
 *
 * With `synchronous = FULL`, SQLite fsyncs the WAL inside every commit, on the
 * calling thread: the event loop stops for the whole fsync (milliseconds on an
 * SSD, tens on a busy or networked disk). Instead, ingest commits run at
 * `synchronous = NORMAL`, which writes the commit's frames to the WAL file with
 * write() and returns, and this class then fsyncs the WAL file on libuv's
 * thread pool; a 202 is sent only after an fsync that began after its commit
 * has completed. That is exactly the guarantee of FULL (the commit's frames are
 * on stable storage before we answer) with the wait moved off the event loop,
 * and one fsync covers every commit made while the previous one ran.
 *
 * Why it holds:
 * - The WAL is appended in commit order and replayed on open up to the last
 *   intact commit, so once the file is synced through our commit, recovery
 *   restores it. fsync covers the file, whichever descriptor wrote to it.
 * - A checkpoint may copy our frames into the database and later reuse the WAL
 *   from its start; in NORMAL mode SQLite syncs the WAL before a checkpoint and
 *   the database after it, so the frames are durable in the database first.
 * - In WAL mode with exclusive locking the WAL file is never deleted while the
 *   connection is open, so our descriptor stays on the file SQLite writes.
 * - The directory is synced once the WAL exists, so the file's name survives too.
 * - On macOS libuv's fdatasync is F_FULLFSYNC (a plain fsync there does not
 *   flush the drive's cache).
 * Our descriptor is on the -wal file only: closing a descriptor of the main
 * database file would drop SQLite's POSIX lock on it.
 *
 * A failed fsync leaves the kernel's copy of the data in an unknown state
 * (dirty pages may have been dropped), so after one the store refuses further
 * ingest until it is restarted, and SQLite's recovery then reads what is
 * actually on disk.
 */
import { closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export class WalSync {
  private fd: number | undefined;
  /** The fsync running now, if any. */
  private running: Promise<void> | undefined;
  /** The fsync that will start when the running one ends; covers later commits. */
  private queued: Promise<void> | undefined;
  private failed: Error | undefined;

  /** `flush` is the fsync itself (replaceable in tests). */
  constructor(
    private readonly dbFile: string,
    private readonly flush: (fd: number) => Promise<void> = fsync,
  ) {}

  /** The error that made durability unknown, once an fsync has failed. */
  get failure(): Error | undefined {
    return this.failed;
  }

  /** Resolves once everything committed before this call is on stable storage. */
  sync(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.running) {
      this.running = this.fsyncOnce();
      return this.running;
    }
    // The running fsync may have started before our commit: wait for the next one.
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        if (this.failed) throw this.failed;
        this.running = this.fsyncOnce();
        return this.running;
      });
    return this.queued;
  }

  /** Waits for fsyncs in flight, then lets go of the file. */
  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.queued]);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private async fsyncOnce(): Promise<void> {
    try {
      const fd = this.walFd();
      if (fd !== undefined) await this.flush(fd);
    } catch (err) {
      this.failed ??= new Error(
        `fsync of the queue's write-ahead log failed (${(err as Error).message}); durability of recent writes is unknown, so ingest is stopped: restart the service`,
        { cause: err },
      );
      throw this.failed;
    } finally {
      this.running = undefined;
    }
  }

  /** The WAL's descriptor; undefined while there is no WAL (nothing written since it was folded in). */
  private walFd(): number | undefined {
    if (this.fd === undefined) {
      try {
        this.fd = openSync(`${this.dbFile}-wal`, 'r+');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      syncDirectory(dirname(this.dbFile));
    }
    return this.fd;
  }
}

function fsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

function syncDirectory(dir: string): void {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd); // once per process
  } finally {
    closeSync(fd);
  }
}
