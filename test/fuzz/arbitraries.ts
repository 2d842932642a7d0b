/** Generators shared by the fuzz tests. */
import fc from 'fast-check';

/** Any text a header can carry: visible ASCII, space, tab and Latin-1 (obs-text). */
export const headerText = fc.string({
  unit: fc
    .integer({ min: 0x09, max: 0xff })
    .filter((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f))
    .map((c) => String.fromCharCode(c)),
  maxLength: 300,
});

/** A hex string of exactly `n` digits, in either case. */
export const hexDigits = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-fA-F]{${n}}$`));
