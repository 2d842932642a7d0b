/**
 * What an answer or a failure means for a delivery: delivered, worth retrying,
 * or dead at once. The classes are the `code_class` label of the metrics.
 */

export type CodeClass = '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'network';

export type StatusVerdict =
  | { kind: 'delivered' }
  | { kind: 'retry' | 'dead'; codeClass: CodeClass; error: string };

/**
 * 2xx delivered. 408, 429 and 5xx are worth another try. 410 Gone and any
 * other 4xx are dead at once (the receiver refused this event), unless the
 * destination retries 4xx. A 3xx is dead too: redirects are not followed.
 */
export function classifyStatus(status: number, retry4xx: boolean): StatusVerdict {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status >= 300 && status < 400) {
    return { kind: 'dead', codeClass: '3xx', error: `redirect (${status}) not followed` };
  }
  if (status >= 500) return { kind: 'retry', codeClass: '5xx', error: `server error (${status})` };
  if (status === 408 || status === 429) {
    return { kind: 'retry', codeClass: '4xx', error: `answered ${status}` };
  }
  if (status === 410) return { kind: 'dead', codeClass: '4xx', error: 'gone (410)' };
  if (status >= 400 && status < 500) {
    return { kind: retry4xx ? 'retry' : 'dead', codeClass: '4xx', error: `refused (${status})` };
  }
  return { kind: 'dead', codeClass: '4xx', error: `unexpected status ${status}` };
}

/** A failure with no answer: a timeout, or a network error named by its code. */
export function classifyError(
  err: unknown,
  timedOut: boolean,
  timeoutMs: number,
): { codeClass: CodeClass; error: string } {
  if (timedOut) return { codeClass: 'timeout', error: `no answer within ${timeoutMs}ms` };
  const e = err as { name?: string; code?: string; message?: string; errors?: unknown[] };
  if (e?.name === 'AbortError') return { codeClass: 'network', error: 'aborted' };
  const inner = Array.isArray(e?.errors) ? (e.errors[0] as typeof e) : undefined;
  const cause = (e as { cause?: typeof e })?.cause;
  const code = e?.code ?? inner?.code ?? cause?.code;
  const message = String(inner?.message ?? cause?.message ?? e?.message ?? 'request failed');
  return {
    codeClass: 'network',
    error: code ? `${code}: ${message}`.slice(0, 300) : message.slice(0, 300),
  };
}
