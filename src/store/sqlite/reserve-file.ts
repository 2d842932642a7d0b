/**
 * The reserve: a file of real, allocated bytes beside the queue's database,
 * held while there is room and deleted the moment the disk fills, so that the
 * workers always have that much space to record outcomes and drain the queue.
 *
 * Its content is random: zeros could be stored as holes (sparse files, or
 * filesystems that compress), which would reserve nothing. On a copy-on-write
 * filesystem with snapshots, deleting it may free nothing either.
 */
import { randomFillSync } from 'node:crypto';
import { statSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';

const CHUNK = 1024 * 1024;

export class ReserveFile {
  constructor(
    readonly path: string,
    readonly bytes: number,
  ) {}

  /** True when the file is there with its space allocated. */
  get held(): boolean {
    try {
      const st = statSync(this.path);
      return st.size >= this.bytes && st.blocks * 512 >= this.bytes;
    } catch {
      return false;
    }
  }

  /**
   * Writes the file (off the event loop) and syncs it. Resolves false, with
   * nothing left behind, when the space is not there.
   */
  async create(): Promise<boolean> {
    if (this.held) return true;
    const chunk = randomFillSync(Buffer.alloc(Math.min(CHUNK, this.bytes)));
    let fh: Awaited<ReturnType<typeof open>> | undefined;
    try {
      fh = await open(this.path, 'w');
      for (let at = 0; at < this.bytes; at += chunk.length) {
        await fh.write(chunk, 0, Math.min(chunk.length, this.bytes - at), at);
      }
      await fh.sync();
      await fh.close();
      return true;
    } catch (err) {
      await fh?.close().catch(() => undefined);
      this.release();
      if (isNoSpace(err)) return false;
      throw err;
    }
  }

  /** Deletes the file, freeing its space; returns whether there was one. */
  release(): boolean {
    try {
      unlinkSync(this.path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}

/** Out of space, or out of quota. */
export function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
