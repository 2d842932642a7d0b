/**
 * Opening the queue's database file: ownership, durability settings and checks.
 * Any reason the file cannot be used stops start-up with a message that says
 * what is wrong and what to do; the file itself is never changed in that case.
 *
 * Ownership: one process owns the file. SQLite's `locking_mode = EXCLUSIVE`
 * takes an OS lock (fcntl) on the first write and holds it until the connection
 * closes; a second process gets SQLITE_BUSY. The kernel drops the lock when the
 * owner dies, even by kill -9, so there is no stale lock to clean up (unlike a
 * pid file, whose pid the OS may have given to another process). A side file
 * `<db>.owner` records who holds the lock, only to name the owner in the
 * message; it is never trusted as the lock. The OS lock needs a local disk: on
 * network filesystems fcntl locks may be unreliable.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import DatabaseConstructor, { type Database } from 'better-sqlite3';
import { prepareSchema, SchemaMismatchError } from './schema.js';

export type UnusableReason = 'in_use' | 'corrupt' | 'unreadable' | 'not_ours' | 'no_space';

/** The database file cannot be used; `message` says why and what to do. */
export class DatabaseUnusableError extends Error {
  override name = 'DatabaseUnusableError';
  constructor(
    readonly reason: UnusableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * How long to wait for another process to let go of the file: long enough for
 * an instance being replaced to finish closing, short enough to fail clearly.
 */
const LOCK_WAIT_MS = 2_000;
/**
 * Most WAL pages between automatic checkpoints. A checkpoint runs inside a
 * commit and blocks the event loop, mostly for its two fsyncs, whatever its
 * size; a webhook costs about 1.5 WAL pages, so SQLite's default (1,000) would
 * checkpoint every ~650 webhooks. 10,000 (~40 MB of WAL) makes that ten times
 * rarer. The disk guard lowers both limits to fit its reserve (disk-guard.ts).
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/** Once the WAL has been checkpointed, truncate it back to this size. */
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

/** Opens (creating if needed) the queue database at `file` and takes ownership of it. */
export function openDatabase(file: string): Database {
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (err) {
    throw new DatabaseUnusableError(
      'unreadable',
      `cannot create the data directory ${dirname(file)}: ${(err as Error).message}. Set DATA_DIR to a writable directory.`,
      { cause: err },
    );
  }
  let db: Database | undefined;
  try {
    db = new DatabaseConstructor(file, { timeout: LOCK_WAIT_MS });
    // Exclusive locking first: then WAL mode keeps its index in this process's
    // memory (no -shm file to share) and the first write takes the OS lock.
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      throw new DatabaseUnusableError(
        'unreadable',
        `${file}: could not switch to WAL journal mode (got "${String(mode)}").`,
      );
    }
    db.exec('BEGIN IMMEDIATE; COMMIT'); // take the lock now, not at the first webhook
    checkIntegrity(db, file);
    prepareSchema(db, file);
    // Durability per transaction is set by the caller (see queries.ts): the
    // connection default covers worker bookkeeping; ingest commits raise it to FULL.
    db.pragma('synchronous = NORMAL');
    // macOS: fsync() does not flush the drive's cache; F_FULLFSYNC does. No-op elsewhere.
    db.pragma('fullfsync = ON');
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
    db.pragma('temp_store = MEMORY');
  } catch (err) {
    db?.close();
    throw explain(err, file);
  }
  writeOwner(file);
  return db;
}

/** Closes the database (checkpointing the WAL into it) and gives up ownership. */
export function closeDatabase(db: Database, file: string): void {
  try {
    db.close();
  } finally {
    rmSync(ownerFile(file), { force: true });
  }
}

function checkIntegrity(db: Database, file: string): void {
  const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
  const problems = rows
    .flatMap((r) => r.quick_check.split('\n'))
    .filter((line) => line !== 'ok' && !line.startsWith('***'));
  if (problems.length > 0) {
    throw new DatabaseUnusableError(
      'corrupt',
      `${file} is damaged (quick_check: ${problems.join('; ')}). ${AFTER_DAMAGE}`,
    );
  }
}

const AFTER_DAMAGE =
  'Stop here: move the file (and any -wal file beside it) aside to keep it for recovery, then start again with an empty queue, or restore a backup.';

function explain(err: unknown, file: string): Error {
  if (err instanceof DatabaseUnusableError) return err;
  if (err instanceof SchemaMismatchError) {
    return new DatabaseUnusableError('not_ours', err.message, { cause: err });
  }
  const code = String((err as { code?: unknown }).code ?? '');
  const why = (err as Error).message;
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_LOCKED')) {
    return new DatabaseUnusableError(
      'in_use',
      `${file} is in use by another process${describeOwner(file)}. One process owns an embedded queue: stop the other one or point DATA_DIR elsewhere; to run several instances on one queue, use Redis (STORE=redis).`,
      { cause: err },
    );
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new DatabaseUnusableError('corrupt', `${file} is unreadable (${why}). ${AFTER_DAMAGE}`, {
      cause: err,
    });
  }
  if (code === 'SQLITE_FULL') {
    return new DatabaseUnusableError(
      'no_space',
      `${file}: the disk is full (${why}). Free some space and start again.`,
      { cause: err },
    );
  }
  return new DatabaseUnusableError(
    'unreadable',
    `cannot open ${file} for reading and writing (${code || 'error'}: ${why}). Check that DATA_DIR is a writable directory on a local disk.`,
    { cause: err },
  );
}

function ownerFile(file: string): string {
  return `${file}.owner`;
}

function writeOwner(file: string): void {
  const owner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  try {
    writeFileSync(ownerFile(file), `${JSON.stringify(owner)}\n`);
  } catch {
    // Only used to name the owner in another process's error message.
  }
}

function describeOwner(file: string): string {
  try {
    const o = JSON.parse(readFileSync(ownerFile(file), 'utf8')) as Record<string, unknown>;
    return ` (pid ${String(o.pid)} on ${String(o.host)}, since ${String(o.since)})`;
  } catch {
    return '';
  }
}
