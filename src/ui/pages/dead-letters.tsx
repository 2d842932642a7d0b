/**
 * The dead-letter queue: filter, page through, replay one, or replay or delete
 * every match in bulk.
 */
import { useState } from 'preact/hooks';
import {
  type DeadLetter,
  type DeadLetterFilter,
  listDeadLetters,
  listDestinations,
  replayDeadLetter,
} from '../api/admin.js';
import { describe } from '../api/client.js';
import { DEAD_LETTER_WORDS, deadLetterPlan } from '../bulk/dead-letters.js';
import { BulkRun } from '../components/bulk-run.js';
import { type Field, FilterForm, type Values } from '../components/filter-form.js';
import { Notice } from '../components/notice.js';
import { Pager, useCursors } from '../components/pager.js';
import { count, localToRfc3339, time } from '../format.js';
import { usePoll } from '../poll.js';
import { go, href } from '../router.js';

export const DEAD_LETTERS_POLL_MS = 3_000;
const PAGE_SIZE = 50;

/** The form's values as the API's filter. */
export function dlqFilter(values: Values): DeadLetterFilter {
  const f: DeadLetterFilter = {};
  if (values.type) f.type = values.type;
  if (values.source) f.source = values.source;
  if (values.destination) f.destination = values.destination;
  const after = localToRfc3339(values.failed_after);
  const before = localToRfc3339(values.failed_before);
  if (after) f.failed_after = after;
  if (before) f.failed_before = before;
  return f;
}

function describeFilter(values: Values): string {
  const parts = Object.entries(values).map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`);
  return parts.length === 0 ? 'every entry' : parts.join(', ');
}

function Row(props: { e: DeadLetter; onReplayed: (msg: string) => void }) {
  const { e } = props;
  const [busy, setBusy] = useState(false);
  async function replay() {
    setBusy(true);
    try {
      const r = await replayDeadLetter(e.id);
      props.onReplayed(`Queued again: ${e.event_type} as job ${r.job_id}.`);
    } catch (err) {
      props.onReplayed(describe(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <tr data-dlq-id={e.id}>
      <td data-label="Failed at">{time(e.failed_at)}</td>
      <td data-label="Type">{e.event_type}</td>
      <td data-label="Source">{e.source}</td>
      <td data-label="Destination">{e.destination ?? <span class="muted">handlers</span>}</td>
      <td data-label="Attempts">{count(e.attempts)}</td>
      <td data-label="Last error" class="error-text">
        {e.last_error}
      </td>
      <td class="actions">
        <a href={href('dead-letters', e.id)}>Inspect</a>
        <button type="button" disabled={busy} onClick={replay}>
          Replay
        </button>
      </td>
    </tr>
  );
}

export function DeadLettersPage(props: { query: Values }) {
  const values = props.query;
  const filter = dlqFilter(values);
  const key = JSON.stringify(filter);
  const cursors = useCursors(key);
  const [message, setMessage] = useState<string>();
  const page = usePoll(
    () => listDeadLetters(filter, cursors.cursor, PAGE_SIZE),
    DEAD_LETTERS_POLL_MS,
    `${key}|${cursors.cursor ?? ''}`,
  );
  const destinations = usePoll(listDestinations, 30_000);

  const fields: Field[] = [
    { name: 'type', label: 'Event type', placeholder: 'e.g. invoice.paid' },
    { name: 'source', label: 'Source', placeholder: 'e.g. stripe' },
    {
      name: 'destination',
      label: 'Destination',
      suggestions: destinations.data?.map((d) => d.name) ?? [],
    },
    { name: 'failed_after', label: 'Failed after', kind: 'datetime' },
    { name: 'failed_before', label: 'Failed before', kind: 'datetime' },
  ];
  const changed = () => page.refresh();

  return (
    <section>
      <h1>Dead letters</h1>
      <FilterForm
        label="Filter dead letters"
        fields={fields}
        values={values}
        onApply={(v) => go('dead-letters', undefined, v)}
      />
      <div class="toolbar">
        <BulkRun
          name="bulk-replay"
          plan={deadLetterPlan('replay', filter)}
          words={DEAD_LETTER_WORDS.replay}
          filterText={describeFilter(values)}
          onChange={changed}
        />
        <BulkRun
          name="bulk-purge"
          danger
          plan={deadLetterPlan('purge', filter)}
          words={DEAD_LETTER_WORDS.purge}
          filterText={describeFilter(values)}
          onChange={changed}
        />
      </div>
      {message && <Notice>{message}</Notice>}
      {page.error !== undefined && <Notice kind="error">{describe(page.error)}</Notice>}
      {page.data === undefined && page.error === undefined && <p class="muted">Loading…</p>}
      {page.data && page.data.items.length === 0 && (
        <p class="empty">
          {cursors.page === 1 && !page.data.next_cursor
            ? 'No dead letters match.'
            : 'None on this page.'}
        </p>
      )}
      {page.data && page.data.items.length > 0 && (
        <div class="table-wrap">
          <table class="stack" aria-label="Dead letters">
            <thead>
              <tr>
                <th>Failed at</th>
                <th>Type</th>
                <th>Source</th>
                <th>Destination</th>
                <th>Attempts</th>
                <th>Last error</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((e) => (
                <Row
                  key={e.id}
                  e={e}
                  onReplayed={(msg) => {
                    setMessage(msg);
                    changed();
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager cursors={cursors} nextCursor={page.data?.next_cursor} />
    </section>
  );
}
