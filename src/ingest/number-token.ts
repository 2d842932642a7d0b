/**
 * The exact source text of a number in a JSON object, for numbers that
 * `JSON.parse` cannot hold exactly (integers past 2^53, fractions): two distinct
 * ids such as 1795916857141234567 and 1795916857141234568 parse to the same
 * double, and only their text tells them apart.
 *
 * The scanner reads text that `JSON.parse` already accepted as an object, walks
 * its top-level members only (strings and nested values are skipped whole, so an
 * `"id":` inside a string or a nested object does not count), and keeps the last
 * member of the name, as `JSON.parse` does with duplicates. It never guesses:
 * anything unexpected gives `undefined`.
 */

const WHITESPACE = /[ \t\n\r]*/y;
/** A JSON string token (unrolled loop: no backtracking blow-up on long strings). */
const STRING = /"[^"\\]*(?:\\.[^"\\]*)*"/y;
/** A JSON number token. */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** true, false, null. */
const LITERAL = /true|false|null/y;

function skipWhitespace(text: string, at: number): number {
  WHITESPACE.lastIndex = at;
  WHITESPACE.test(text);
  return WHITESPACE.lastIndex;
}

/** The end of the sticky `pattern`'s match at `at`, or -1. */
function matchEnd(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at;
  return pattern.test(text) ? pattern.lastIndex : -1;
}

/** The end of the JSON value that starts at `at` (no leading whitespace), or -1. */
function skipValue(text: string, at: number): number {
  const c = text[at];
  if (c === '"') return matchEnd(STRING, text, at);
  if (c !== '{' && c !== '[') {
    const end = matchEnd(NUMBER, text, at);
    return end !== -1 ? end : matchEnd(LITERAL, text, at);
  }
  let depth = 0;
  let i = at;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      i = matchEnd(STRING, text, i);
      if (i === -1) return -1;
      continue;
    }
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/**
 * The number token of the last top-level member called `name` in the JSON
 * object `text`; undefined when there is none, when that member is not a
 * number, or when the text is not what the scanner expects.
 */
export function lastTopLevelNumberToken(text: string, name: string): string | undefined {
  try {
    let i = skipWhitespace(text, 0);
    if (text[i] !== '{') return undefined;
    i = skipWhitespace(text, i + 1);
    if (text[i] === '}') return undefined;
    let found: string | undefined;
    for (;;) {
      const keyEnd = matchEnd(STRING, text, i);
      if (keyEnd === -1) return undefined;
      // The name may be written with escapes ("\u0069d"): decode it as JSON does.
      const key: unknown = JSON.parse(text.slice(i, keyEnd));
      i = skipWhitespace(text, keyEnd);
      if (text[i] !== ':') return undefined;
      const valueStart = skipWhitespace(text, i + 1);
      const valueEnd = skipValue(text, valueStart);
      if (valueEnd === -1) return undefined;
      if (key === name) {
        found =
          matchEnd(NUMBER, text, valueStart) === valueEnd
            ? text.slice(valueStart, valueEnd)
            : undefined;
      }
      i = skipWhitespace(text, valueEnd);
      if (text[i] === '}') return found;
      if (text[i] !== ',') return undefined;
      i = skipWhitespace(text, i + 1);
    }
  } catch {
    return undefined;
  }
}
