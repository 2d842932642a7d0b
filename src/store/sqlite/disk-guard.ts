/**
 * The embedded store on a full disk: ingest stops, the workers keep draining,
 * and ingest resumes by itself once there is room again.
 *
 * In WAL mode every write appends to the -wal file, so on a full volume the
 * workers' bookkeeping (claim, complete, retry, reclaim) fails as well as
 * ingest, and deleting rows frees nothing until a checkpoint. So:
 *
 * - Room is the free space of the filesystem plus the free pages inside the
 *   database file (new rows fill those before the file grows).
 * - While ingest runs, a reserve file of R bytes is held (reserve-file.ts); R
 *   is an eighth of the filesystem, between 256 KiB and 64 MiB.
 * - The WAL is checkpointed before it holds R/2, and cut back to R after a
 *   checkpoint. A checkpoint copies at most the WAL's pages into the file, so
 *   once the reserve is freed a checkpoint always has the space to complete.
 * - Ingest refuses once room falls under R (checked after every ingest commit
 *   and every interval), or once any write fails with SQLITE_FULL. Then the
 *   reserve is deleted and the WAL checkpointed and truncated. A worker write
 *   that failed for space is tried once more at once (see QueueDatabase.write).
 * - While refusing, every check checkpoints again, and ingest resumes once the
 *   reserve is back and room beside it is at least 2R, R/4 of it free on the
 *   filesystem (for the WAL to grow into).
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { DiskStatus } from '../store.js';
import { ReserveFile } from './reserve-file.js';

const MiB = 1024 * 1024;
const MAX_RESERVE = 64 * MiB;
const MIN_RESERVE = MiB / 4;

/** The reserve for a filesystem of `totalBytes`: an eighth of it, within the bounds, in whole pages. */
export function reserveFor(totalBytes: number): number {
  const eighth = Math.floor(totalBytes / 8 / 4096) * 4096;
  return Math.min(MAX_RESERVE, Math.max(MIN_RESERVE, eighth));
}

export interface DiskGuardOptions {
  /** The database file; the reserve is `<file>.reserve` beside it. */
  file: string;
  log: Logger;
  /** The reserve's size; by default from the filesystem's size (`reserveFor`). */
  reserveBytes?: number;
  checkIntervalMs: number;
}

export function isSqliteFull(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'SQLITE_FULL';
}

export class DiskGuard {
  private db: Database | undefined;
  private reserve: ReserveFile | undefined;
  private refusing = false;
  private freeBytes = 0;
  private pageSize = 4096;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: DiskGuardOptions) {}

  get status(): DiskStatus {
    return { full: this.refusing, freeBytes: this.freeBytes };
  }

  /** True while ingest must refuse. */
  get full(): boolean {
    return this.refusing;
  }

  /**
   * Before the file is opened. Opening writes (recovery, the schema check), so
   * on a disk that is already full the reserve goes first, and ingest starts
   * refused.
   */
  beforeOpen(): void {
    const fs = readFilesystem(this.o.file);
    if (!fs) return; // no data directory yet, so no reserve either
    const reserve = this.reserveOn(fs.totalBytes);
    this.freeBytes = fs.freeBytes;
    if (fs.freeBytes < reserve.bytes && reserve.release()) {
      this.refusing = true;
      this.o.log.error(
        { file: this.o.file, free_bytes: fs.freeBytes, reserve_bytes: reserve.bytes },
        'the disk of the queue database is full at start: freed the reserve to open it; refusing new webhooks until there is room',
      );
    }
  }

  /** Once the file is open: keeps the WAL within half the reserve. */
  attach(db: Database): void {
    this.db = db;
    const fs = readFilesystem(this.o.file);
    const reserve = this.reserveOn(fs?.totalBytes ?? 0);
    this.pageSize = db.pragma('page_size', { simple: true }) as number;
    const pages = db.pragma('wal_autocheckpoint', { simple: true }) as number;
    const limit = db.pragma('journal_size_limit', { simple: true }) as number;
    const fit = Math.max(16, Math.floor(reserve.bytes / 2 / this.pageSize));
    db.pragma(`wal_autocheckpoint = ${Math.min(pages, fit)}`);
    db.pragma(`journal_size_limit = ${Math.min(limit, reserve.bytes)}`);
  }

  /** A first check (which writes the reserve when there is room), then one every interval. */
  async start(): Promise<void> {
    await this.check();
    const loop = () => {
      this.timer = setTimeout(async () => {
        await this.check();
        if (!this.stopped) loop();
      }, this.o.checkIntervalMs);
      this.timer.unref();
    };
    if (!this.stopped) loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.checking;
  }

  /**
   * After an ingest commit: refuses once room runs short. Costs a statfs and a
   * header read. Never throws: the batch is committed, and its answers must say so.
   */
  afterIngestCommit(): void {
    if (this.refusing) return;
    try {
      const room = this.measure();
      if (room !== undefined && room < this.reserveBytes)
        this.refuse('room fell under the reserve');
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'disk space check failed');
    }
  }

  /**
   * A write failed. True when it failed for space: ingest now refuses, the
   * reserve is freed and the WAL checkpointed, and the caller may try again.
   */
  writeFailed(err: unknown, what: string): boolean {
    if (!isSqliteFull(err)) return false;
    this.refuse(`${what}: SQLITE_FULL`);
    return true;
  }

  private get reserveBytes(): number {
    return this.reserve?.bytes ?? 0;
  }

  private reserveOn(totalBytes: number): ReserveFile {
    this.reserve ??= new ReserveFile(
      `${this.o.file}.reserve`,
      this.o.reserveBytes ?? reserveFor(totalBytes),
    );
    return this.reserve;
  }

  private refuse(why: string): void {
    let released = false;
    try {
      released = this.reserve?.release() ?? false;
    } catch (err) {
      this.o.log.error({ err: (err as Error).message }, 'could not delete the disk reserve');
    }
    this.checkpoint();
    this.measure();
    const fields = {
      file: this.o.file,
      free_bytes: this.freeBytes,
      reserve_bytes: this.reserveBytes,
      reserve_freed: released,
      why,
    };
    if (!this.refusing) {
      this.refusing = true;
      this.o.log.error(
        fields,
        'the disk of the queue database is full: refusing new webhooks (503 store_unavailable); workers go on draining with the reserve freed for them, and ingest resumes by itself once there is room',
      );
    } else if (released) {
      this.o.log.warn(fields, 'freed the disk reserve for the workers');
    }
  }

  /** One check, never two at once, never throwing (a failure is logged and the next check tries again). */
  private check(): Promise<void> {
    this.checking ??= this.evaluate()
      .catch((err: unknown) => {
        this.o.log.warn({ err: (err as Error).message }, 'disk space check failed');
      })
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }

  private async evaluate(): Promise<void> {
    const reserve = this.reserve;
    if (!reserve || this.stopped) return;
    if (this.refusing) this.checkpoint();
    let room = this.measure();
    if (room === undefined) return;
    const r = reserve.bytes;
    if (!this.refusing) {
      if (room < r) this.refuse('room fell under the reserve');
      else if (!reserve.held && !(await reserve.create())) this.refuse('no room for the reserve');
      return;
    }
    const held = reserve.held;
    const cost = held ? 0 : r;
    if (room - cost < 2 * r || this.freeBytes - cost < r / 4) return;
    if (!held && !(await reserve.create())) return;
    room = this.measure();
    if (room === undefined || !reserve.held || room < 2 * r || this.freeBytes < r / 4) return;
    this.refusing = false;
    this.o.log.info(
      { file: this.o.file, free_bytes: this.freeBytes, room_bytes: room, reserve_bytes: r },
      'the disk of the queue database has room again: the reserve is back, and new webhooks are accepted',
    );
  }

  /** Updates the free space; returns room (free space plus free pages), undefined once closed. */
  private measure(): number | undefined {
    const fs = readFilesystem(this.o.file);
    if (!fs) return undefined;
    this.freeBytes = fs.freeBytes;
    if (!this.db?.open) return undefined;
    const freePages = this.db.pragma('freelist_count', { simple: true }) as number;
    return fs.freeBytes + freePages * this.pageSize;
  }

  /** Folds the WAL into the file and truncates it; a failure (no room yet) waits for the next check. */
  private checkpoint(): void {
    if (!this.db?.open || this.db.inTransaction) return;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      this.o.log.debug({ err: (err as Error).message }, 'checkpoint failed; trying again later');
    }
  }
}

function readFilesystem(file: string): { freeBytes: number; totalBytes: number } | undefined {
  try {
    const s = statfsSync(dirname(file));
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
  } catch {
    return undefined;
  }
}
