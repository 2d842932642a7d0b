/**
 * A small real filesystem for the full-disk tests: a tmpfs mount of a few MiB
 * (mounting needs root), and a filler file that takes whatever space is left.
 * Unmount in an `after` hook, whatever happened.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';

/** Mounts a tmpfs of `bytes` at `dir` (created if needed). */
export function mountTmpfs(dir: string, bytes: number): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
}

/** Unmounts `dir`; lazily if something still holds a file in it. Never throws. */
export function unmountTmpfs(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    } catch {
      // Not mounted (the mount itself failed).
    }
  }
}

export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * Writes `path` until the filesystem has no space left (or only `leaveBytes`),
 * as another program filling the disk would. Returns the bytes written.
 */
export function fillDisk(path: string, leaveBytes = 0): number {
  const fd = openSync(path, 'a');
  let written = 0;
  try {
    for (const size of [64 * 1024, 4096, 512]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        const dir = path.slice(0, path.lastIndexOf('/'));
        if (freeBytes(dir) - size < leaveBytes) break;
        try {
          written += writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

export function removeFiller(path: string): void {
  rmSync(path, { force: true });
}
