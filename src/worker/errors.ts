/** Turning whatever a handler threw into the text recorded with the job. */

const MAX_ERROR_LENGTH = 2_000;

/** A readable, bounded description of any thrown value (Error, string, null, object…). */
export function describeError(thrown: unknown): string {
  let text: string;
  if (thrown instanceof Error) {
    text = `${thrown.name}: ${thrown.message}`;
  } else if (thrown === null || thrown === undefined) {
    text = `non-Error thrown: ${String(thrown)}`;
  } else if (typeof thrown === 'string') {
    text = `non-Error thrown: ${thrown}`;
  } else {
    let json: string | undefined;
    try {
      json = JSON.stringify(thrown);
    } catch {
      json = undefined;
    }
    text = `non-Error thrown: ${json ?? Object.prototype.toString.call(thrown)}`;
  }
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}
