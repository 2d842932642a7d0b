/** One item's page before it has its item: the link back, then an error or a loading line. */
import type { ComponentChildren } from 'preact';
import { Notice } from './notice.js';

export function DetailPending(props: { back: ComponentChildren; error?: ComponentChildren }) {
  return (
    <section>
      {props.back}
      {props.error !== undefined ? (
        <Notice kind="error">{props.error}</Notice>
      ) : (
        <p class="muted">Loading…</p>
      )}
    </section>
  );
}
