/** Label-value pairs, a header table and a JSON block: the parts of a detail view. */
import type { ComponentChildren } from 'preact';
import { prettyJson } from '../format.js';

export function Fields(props: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="fields">
      {props.rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function HeaderTable(props: { headers: Record<string, string> | undefined }) {
  const entries = Object.entries(props.headers ?? {});
  if (entries.length === 0) return <p class="muted">No headers kept.</p>;
  return (
    <div class="table-wrap">
      <table class="headers">
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Json(props: { value: unknown }) {
  return <pre class="json">{prettyJson(props.value)}</pre>;
}
