/** Turning whatever a handler threw into the text recorded with the job. */

const MAX_ERROR_LENGTH = 2_000;

/** What describeError gives when nothing readable can be had from the value. */
export const UNDESCRIBABLE_ERROR = 'non-Error thrown: (not describable)';

/**
 * A readable, bounded description of any thrown value (Error, string, null,
 * Symbol, object…). Never throws: a value whose getters, `toString` or
 * `toJSON` throw is described as far as it can be, else by a fixed text. The
 * worker pool describes a failure before it frees the job's slot, so a throw
 * here would leak the slot.
 */
export function describeError(thrown: unknown): string {
  try {
    const text = describe(thrown);
    return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
  } catch {
    return UNDESCRIBABLE_ERROR;
  }
}

function describe(thrown: unknown): string {
  if (thrown instanceof Error) {
    return `${readText(() => thrown.name, 'Error')}: ${readText(() => thrown.message, '(unreadable message)')}`;
  }
  if (typeof thrown === 'string') return `non-Error thrown: ${thrown}`;
  if (thrown === null || (typeof thrown !== 'object' && typeof thrown !== 'function')) {
    // undefined, numbers, booleans, bigints and Symbols: String() takes them all.
    return `non-Error thrown: ${String(thrown)}`;
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(thrown);
  } catch {
    json = undefined; // cyclic, a BigInt inside, or a toJSON that throws
  }
  return `non-Error thrown: ${json ?? Object.prototype.toString.call(thrown)}`;
}

/** A property read as text, or `fallback` when reading or converting it throws. */
function readText(read: () => unknown, fallback: string): string {
  try {
    const value = read();
    return typeof value === 'string' ? value : String(value);
  } catch {
    return fallback;
  }
}
