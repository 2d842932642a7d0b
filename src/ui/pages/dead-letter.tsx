/** One dead letter: why it failed, its headers and payload; replay or delete it. */
import { useEffect, useState } from 'preact/hooks';
import {
  type DeadLetterEntry,
  deleteDeadLetter,
  getDeadLetter,
  replayDeadLetter,
} from '../api/admin.js';
import { describe } from '../api/client.js';
import { DetailPending } from '../components/detail-page.js';
import { Fields, HeaderTable, Json } from '../components/details.js';
import { Notice } from '../components/notice.js';
import { count, time } from '../format.js';
import { href } from '../router.js';

type Outcome = { kind: 'info' | 'error'; text: string; gone?: boolean };

export function DeadLetterPage(props: { id: string }) {
  const [entry, setEntry] = useState<DeadLetterEntry>();
  const [error, setError] = useState<string>();
  const [outcome, setOutcome] = useState<Outcome>();
  const [confirmDelete, setConfirmDelete] = useState(false);

  useEffect(() => {
    setEntry(undefined);
    setError(undefined);
    setOutcome(undefined);
    getDeadLetter(props.id).then(setEntry, (err) => setError(describe(err)));
  }, [props.id]);

  async function act(what: 'replay' | 'delete') {
    setConfirmDelete(false);
    try {
      if (what === 'replay') {
        const r = await replayDeadLetter(props.id);
        setOutcome({ kind: 'info', text: `Queued again as job ${r.job_id}.`, gone: true });
      } else {
        await deleteDeadLetter(props.id);
        setOutcome({ kind: 'info', text: 'Deleted.', gone: true });
      }
    } catch (err) {
      setOutcome({ kind: 'error', text: describe(err) });
    }
  }

  const back = <a href={href('dead-letters')}>← Dead letters</a>;
  if (error || !entry) return <DetailPending back={back} error={error || undefined} />;
  return (
    <section>
      {back}
      <h1>
        Dead letter <code>{entry.id}</code>
      </h1>
      {outcome && <Notice kind={outcome.kind}>{outcome.text}</Notice>}
      {!outcome?.gone && (
        <div class="toolbar">
          <button type="button" class="primary" onClick={() => act('replay')}>
            Replay
          </button>
          {confirmDelete ? (
            <span class="confirm">
              Delete for good?{' '}
              <button type="button" class="danger" onClick={() => act('delete')}>
                Delete
              </button>
              <button type="button" onClick={() => setConfirmDelete(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
              Delete…
            </button>
          )}
        </div>
      )}
      <Fields
        rows={[
          ['Event type', entry.event_type],
          ['Source', entry.source],
          ['Destination', entry.destination ?? 'in-process handlers'],
          [
            'Event',
            <a
              key="job"
              href={href('events', entry.job_id)}
              title="Its deliveries in the event log"
            >
              <code>{entry.job_id}</code>
            </a>,
          ],
          ['Idempotency key', entry.idempotency_key ?? '—'],
          ['Accepted', time(entry.first_seen)],
          ['Dead-lettered', time(entry.failed_at)],
          ['Attempts', count(entry.attempts)],
          [
            'Last error',
            <span key="error" class="error-text">
              {entry.last_error}
            </span>,
          ],
        ]}
      />
      <h2>Payload</h2>
      <Json value={entry.payload} />
      <h2>Headers</h2>
      <HeaderTable headers={entry.headers} />
    </section>
  );
}
