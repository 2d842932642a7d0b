/**
 * Sizes as the configuration writes them: `1048576`, `512KiB`, `2MiB`, `1mb`. One
 * table serves reading a size (BODY_LIMIT) and printing it back in messages, so a
 * limit is shown in the unit an operator would have written.
 */

export const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** The printed units, largest first: binary before decimal, as BODY_LIMIT's default is. */
const PRINTED: readonly [string, number][] = [
  ['GiB', 1024 ** 3],
  ['GB', 1000 ** 3],
  ['MiB', 1024 ** 2],
  ['MB', 1000 ** 2],
  ['KiB', 1024],
  ['kB', 1000],
];

/** `1 MiB`, `512 KiB`, `1 MB`; a size no unit divides exactly is given in bytes. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of PRINTED) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return bytes === 1 ? '1 byte' : `${bytes} bytes`;
}
