/**
 * Bulk replay or delete of the dead letters that match a filter, in three steps:
 * count them (paging through the list), ask to confirm that number, then run in
 * batches with a progress bar. The run is bounded to the newest entry counted,
 * so it touches only what was counted, even while new failures arrive; it can
 * be stopped between batches and started again safely.
 */
import { useRef, useState } from 'preact/hooks';
import {
  type BulkPosition,
  type BulkStep,
  bulkPurge,
  bulkReplay,
  type DeadLetterFilter,
  listDeadLetters,
} from '../api/admin.js';
import { describe } from '../api/client.js';
import { count } from '../format.js';

const COUNT_PAGE = 500;
const BATCH = 500;

type Action = 'replay' | 'purge';

type Step =
  | { at: 'idle' }
  | { at: 'counting'; seen: number }
  | { at: 'confirm'; total: number; upTo: string }
  | { at: 'running'; total: number; done: number }
  | { at: 'finished'; done: number; stopped: boolean }
  | { at: 'failed'; message: string };

const VERB: Record<Action, { button: string; doing: string; did: string }> = {
  replay: { button: 'Replay', doing: 'Replaying', did: 'Replayed' },
  purge: { button: 'Delete', doing: 'Deleting', did: 'Deleted' },
};

export function BulkRun(props: {
  action: Action;
  filter: DeadLetterFilter;
  filterText: string;
  onChange: () => void;
}) {
  const [step, setStep] = useState<Step>({ at: 'idle' });
  const stop = useRef(false);
  const verb = VERB[props.action];

  async function countMatches() {
    stop.current = false;
    setStep({ at: 'counting', seen: 0 });
    let seen = 0;
    let newest: string | undefined;
    let cursor: string | undefined;
    try {
      do {
        const page = await listDeadLetters(props.filter, cursor, COUNT_PAGE);
        seen += page.items.length;
        newest = page.items[page.items.length - 1]?.id ?? newest;
        cursor = page.next_cursor ?? undefined;
        setStep({ at: 'counting', seen });
      } while (cursor !== undefined && !stop.current);
    } catch (err) {
      return setStep({ at: 'failed', message: describe(err) });
    }
    if (stop.current) return setStep({ at: 'idle' });
    if (newest === undefined) return setStep({ at: 'finished', done: 0, stopped: false });
    setStep({ at: 'confirm', total: seen, upTo: newest });
  }

  async function run(total: number, upTo: string) {
    stop.current = false;
    let at: BulkPosition = { up_to: upTo, cursor: null };
    let done = 0;
    setStep({ at: 'running', total, done });
    try {
      for (;;) {
        const r: BulkStep = await (props.action === 'replay' ? bulkReplay : bulkPurge)(
          props.filter,
          at,
          BATCH,
        );
        done += r.count;
        setStep({ at: 'running', total, done });
        if (r.done || stop.current) break;
        at = { up_to: r.up_to, cursor: r.cursor };
      }
      setStep({ at: 'finished', done, stopped: stop.current });
    } catch (err) {
      setStep({ at: 'failed', message: `${describe(err)} (${count(done)} done before that)` });
    }
    props.onChange();
  }

  const close = () => setStep({ at: 'idle' });
  const name = props.action === 'replay' ? 'bulk-replay' : 'bulk-purge';

  switch (step.at) {
    case 'idle':
      return (
        <button
          type="button"
          class={props.action === 'purge' ? 'danger' : ''}
          onClick={countMatches}
        >
          {verb.button} all matching…
        </button>
      );
    case 'counting':
      return (
        <div class="bulk" data-testid={name} role="status">
          Counting matching dead letters… {count(step.seen)}
          <button
            type="button"
            onClick={() => {
              stop.current = true;
            }}
          >
            Cancel
          </button>
        </div>
      );
    case 'confirm':
      return (
        <div class="bulk bulk-confirm" data-testid={name} role="alertdialog" aria-label="Confirm">
          <p>
            {verb.button} <strong>{count(step.total)}</strong> dead{' '}
            {step.total === 1 ? 'letter' : 'letters'} ({props.filterText})
            {props.action === 'purge' ? ' for good? This cannot be undone.' : '?'}
          </p>
          <button
            type="button"
            class={props.action === 'purge' ? 'danger' : 'primary'}
            onClick={() => run(step.total, step.upTo)}
          >
            {verb.button} {count(step.total)}
          </button>
          <button type="button" onClick={close}>
            Cancel
          </button>
        </div>
      );
    case 'running':
      return (
        <div class="bulk" data-testid={name} role="status">
          <span>
            {verb.doing}… {count(step.done)} of {count(step.total)}
          </span>
          <progress max={step.total} value={step.done} />
          <button
            type="button"
            onClick={() => {
              stop.current = true;
            }}
          >
            Stop
          </button>
        </div>
      );
    case 'finished':
      return (
        <div class="bulk" data-testid={name} role="status">
          {step.done === 0 && !step.stopped
            ? 'Nothing matches these filters.'
            : `${verb.did} ${count(step.done)}${step.stopped ? ' (stopped)' : ''}.`}
          <button type="button" onClick={close}>
            OK
          </button>
        </div>
      );
    case 'failed':
      return (
        <div class="bulk" data-testid={name} role="alert">
          {step.message}
          <button type="button" onClick={close}>
            OK
          </button>
        </div>
      );
  }
}
