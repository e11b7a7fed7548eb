import type { JSX } from 'preact';
import type { MatchKind, Row } from './policy-rows.js';

/** The editable rows: a match kind, its value and its number each, with remove and add buttons. */
function Rows(props: {
  rows: Row[];
  label: string;
  testId: string;
  onChange: (rows: Row[]) => void;
  disabled: boolean;
}): JSX.Element {
  const set = (i: number, patch: Partial<Row>): void =>
    props.onChange(props.rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div class="rows" data-testid={props.testId}>
      {props.rows.map((r, i) => (
        <div class="row" key={i}>
          <select
            value={r.kind}
            disabled={props.disabled}
            onChange={(e) => set(i, { kind: e.currentTarget.value as MatchKind })}
          >
            <option value="site">site</option>
            <option value="agent">agent</option>
            <option value="label">label k=v</option>
          </select>
          <input
            value={r.value}
            disabled={props.disabled}
            placeholder={r.kind === 'label' ? 'tier=gold' : r.kind}
            aria-label={`${props.label} ${i + 1} match`}
            onInput={(e) => set(i, { value: e.currentTarget.value })}
          />
          <input
            type="number"
            min={0}
            value={r.n}
            disabled={props.disabled}
            aria-label={`${props.label} ${i + 1}`}
            onInput={(e) => set(i, { n: Number(e.currentTarget.value) })}
          />
          {props.disabled ? null : (
            <button
              type="button"
              class="link"
              onClick={() => props.onChange(props.rows.filter((_, j) => j !== i))}
            >
              remove
            </button>
          )}
        </div>
      ))}
      {props.disabled ? null : (
        <button
          type="button"
          class="small"
          data-testid={`${props.testId}-add`}
          onClick={() =>
            props.onChange([...props.rows, { kind: 'site', value: '', n: props.label === 'weight' ? 1 : 10 }])
          }
        >
          + {props.label}
        </button>
      )}
    </div>
  );
}

/** A fieldset of match rows, or a hint to use JSON when the matches do not fit one row each (`rows` null). */
export function RowsField(props: {
  legend: string;
  rows: Row[] | null;
  label: string;
  testId: string;
  disabled: boolean;
  onChange: (rows: Row[]) => void;
}): JSX.Element {
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.rows ? (
        <Rows
          rows={props.rows}
          label={props.label}
          testId={props.testId}
          disabled={props.disabled}
          onChange={props.onChange}
        />
      ) : (
        <p class="note">These use combined matches: edit them as JSON.</p>
      )}
    </fieldset>
  );
}
