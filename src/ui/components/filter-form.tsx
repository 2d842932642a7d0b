/**
 * A filter form: text, time and choice fields that apply together. The values
 * are the form's own (times as the browser's `datetime-local` strings); the
 * page turns them into API parameters.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export interface Field {
  name: string;
  label: string;
  kind?: 'text' | 'datetime' | 'select';
  /** For a select: its choices (an empty choice, "any", comes first). */
  options?: readonly string[];
  /** For a text field: suggestions. */
  suggestions?: readonly string[];
  placeholder?: string;
}

export type Values = Record<string, string>;

export function FilterForm(props: {
  fields: readonly Field[];
  values: Values;
  onApply: (values: Values) => void;
  label: string;
}) {
  const [values, setValues] = useState<Values>(props.values);
  const shown = JSON.stringify(props.values);
  const applied = useRef(shown);
  // The form starts over from the page's values whenever they change (`shown` stands
  // for them). Not on mount: the state already holds them, and what was typed before
  // the effect ran would be lost.
  useEffect(() => {
    if (applied.current === shown) return;
    applied.current = shown;
    setValues(props.values);
  }, [shown]);
  const set = (name: string, value: string) => setValues((v) => ({ ...v, [name]: value }));
  const nonEmpty = (v: Values) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== ''));

  return (
    <form
      class="filters"
      aria-label={props.label}
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply(nonEmpty(values));
      }}
    >
      {props.fields.map((f) => {
        const id = `f-${f.name}`;
        const value = values[f.name] ?? '';
        const onInput = (e: Event) => set(f.name, (e.currentTarget as HTMLInputElement).value);
        return (
          <label key={f.name} for={id}>
            <span>{f.label}</span>
            {f.kind === 'select' ? (
              <select id={id} name={f.name} value={value} onChange={onInput}>
                <option value="">any</option>
                {f.options?.map((o) => (
                  <option key={o} value={o}>
                    {o.replace(/_/g, ' ')}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={id}
                name={f.name}
                type={f.kind === 'datetime' ? 'datetime-local' : 'text'}
                step={f.kind === 'datetime' ? 1 : undefined}
                value={value}
                placeholder={f.placeholder}
                list={f.suggestions ? `${id}-list` : undefined}
                autocomplete="off"
                onInput={onInput}
              />
            )}
            {f.suggestions && (
              <datalist id={`${id}-list`}>
                {f.suggestions.map((s) => (
                  <option key={s} value={s} />
                ))}
              </datalist>
            )}
          </label>
        );
      })}
      <div class="filter-actions">
        <button type="submit" class="primary">
          Apply
        </button>
        <button
          type="button"
          onClick={() => {
            setValues({});
            props.onApply({});
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}
