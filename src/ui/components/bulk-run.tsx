/**
 * A bulk action on every item a filter matches, in three steps: count the
 * matches, ask to confirm that number, then run in batches with a progress bar.
 * What counting and a batch mean is the plan's (see src/ui/bulk/); this
 * component is the steps, the wording and the stop button. A run can be stopped
 * between batches.
 */
import { useRef, useState } from 'preact/hooks';
import { describe } from '../api/client.js';
import { count } from '../format.js';

/** What the count found: how many, anything to say with it, and where the run starts. */
export interface Counted<P> {
  total: number;
  note?: string;
  start: P;
}

/** A bulk action's two calls; `P` is where a batch starts. */
export interface BulkPlan<P> {
  /** Counts the matches, reporting progress; undefined when `stopped()` cut it short. */
  count(seen: (n: number) => void, stopped: () => boolean): Promise<Counted<P> | undefined>;
  /** One batch from `at`: how many it did, and where the next starts (undefined: done). */
  batch(at: P): Promise<{ did: number; next: P | undefined }>;
}

export interface BulkWords {
  /** "Replay": the button is "Replay all matching…", the confirmation "Replay 3". */
  verb: string;
  doing: string;
  did: string;
  /** What is counted, singular and plural: "dead letter", "dead letters". */
  one: string;
  many: string;
  /** Said after the count in the question, e.g. " for good? This cannot be undone." */
  warning?: string;
}

type Step<P> =
  | { at: 'idle' }
  | { at: 'counting'; seen: number }
  | { at: 'confirm'; counted: Counted<P> }
  | { at: 'running'; total: number; done: number }
  | { at: 'finished'; done: number; stopped: boolean }
  | { at: 'failed'; message: string };

export function BulkRun<P>(props: {
  plan: BulkPlan<P>;
  words: BulkWords;
  /** The filter in words, shown in the question. */
  filterText: string;
  /** For tests and assistive technology: the box's test id. */
  name: string;
  danger?: boolean;
  /** Why the action cannot run now, if it cannot. */
  disabled?: string;
  onChange: () => void;
}) {
  const [step, setStep] = useState<Step<P>>({ at: 'idle' });
  const stop = useRef(false);
  const { words } = props;
  const noun = (n: number) => (n === 1 ? words.one : words.many);

  async function countMatches() {
    stop.current = false;
    setStep({ at: 'counting', seen: 0 });
    let counted: Counted<P> | undefined;
    try {
      counted = await props.plan.count(
        (seen) => setStep({ at: 'counting', seen }),
        () => stop.current,
      );
    } catch (err) {
      return setStep({ at: 'failed', message: describe(err) });
    }
    if (!counted) return setStep({ at: 'idle' });
    if (counted.total === 0 && counted.note === undefined)
      return setStep({ at: 'finished', done: 0, stopped: false });
    setStep({ at: 'confirm', counted });
  }

  async function run(counted: Counted<P>) {
    stop.current = false;
    let at: P | undefined = counted.start;
    let done = 0;
    setStep({ at: 'running', total: counted.total, done });
    try {
      while (at !== undefined && !stop.current) {
        const r: { did: number; next: P | undefined } = await props.plan.batch(at);
        done += r.did;
        at = r.next;
        setStep({ at: 'running', total: counted.total, done });
      }
      setStep({ at: 'finished', done, stopped: at !== undefined });
    } catch (err) {
      setStep({ at: 'failed', message: `${describe(err)} (${count(done)} done before that)` });
    }
    props.onChange();
  }

  const close = () => setStep({ at: 'idle' });
  const stopButton = (label: string) => (
    <button
      type="button"
      onClick={() => {
        stop.current = true;
      }}
    >
      {label}
    </button>
  );

  switch (step.at) {
    case 'idle':
      return (
        <button
          type="button"
          class={props.danger ? 'danger' : ''}
          disabled={props.disabled !== undefined}
          title={props.disabled}
          onClick={countMatches}
        >
          {words.verb} all matching…
        </button>
      );
    case 'counting':
      return (
        <div class="bulk" data-testid={props.name} role="status">
          Counting matching {words.many}… {count(step.seen)}
          {stopButton('Cancel')}
        </div>
      );
    case 'confirm': {
      const { total, note } = step.counted;
      return (
        <div
          class="bulk bulk-confirm"
          data-testid={props.name}
          role="alertdialog"
          aria-label="Confirm"
        >
          <p>
            {words.verb} <strong>{count(total)}</strong> {noun(total)} ({props.filterText})
            {words.warning ?? '?'}
          </p>
          {note && <p class="muted">{note}</p>}
          {total > 0 && (
            <button
              type="button"
              class={props.danger ? 'danger' : 'primary'}
              onClick={() => run(step.counted)}
            >
              {words.verb} {count(total)}
            </button>
          )}
          <button type="button" onClick={close}>
            Cancel
          </button>
        </div>
      );
    }
    case 'running':
      return (
        <div class="bulk" data-testid={props.name} role="status">
          <span>
            {words.doing}… {count(step.done)} of {count(step.total)}
          </span>
          <progress max={step.total} value={step.done} />
          {stopButton('Stop')}
        </div>
      );
    case 'finished':
      return (
        <div class="bulk" data-testid={props.name} role="status">
          {step.done === 0 && !step.stopped
            ? 'Nothing matches these filters.'
            : `${words.did} ${count(step.done)}${step.stopped ? ' (stopped)' : ''}.`}
          <button type="button" onClick={close}>
            OK
          </button>
        </div>
      );
    case 'failed':
      return (
        <div class="bulk" data-testid={props.name} role="alert">
          {step.message}
          <button type="button" onClick={close}>
            OK
          </button>
        </div>
      );
  }
}
