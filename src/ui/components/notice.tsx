/** A one-line message in a page: information, a warning, or an error. */
import type { ComponentChildren } from 'preact';

export function Notice(props: { kind?: 'info' | 'warn' | 'error'; children: ComponentChildren }) {
  const kind = props.kind ?? 'info';
  return (
    <p class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </p>
  );
}
