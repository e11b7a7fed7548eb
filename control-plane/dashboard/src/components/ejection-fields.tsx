import type { JSX } from 'preact';
import type { ServicePolicy } from '../types.js';

type Ejection = ServicePolicy['ejection'];

/** One number of the circuit breaker (at least 1). */
function EjectionInput(props: {
  field: keyof Ejection;
  ejection: Ejection;
  disabled: boolean;
  onChange: (ejection: Ejection) => void;
}): JSX.Element {
  return (
    <input
      type="number"
      min={1}
      value={props.ejection[props.field]}
      disabled={props.disabled}
      onInput={(e) => props.onChange({ ...props.ejection, [props.field]: Number(e.currentTarget.value) })}
    />
  );
}

/** The circuit breaker as a sentence: eject after N failures, for a base that doubles up to a ceiling. */
export function EjectionFields(props: {
  ejection: Ejection;
  disabled: boolean;
  onChange: (ejection: Ejection) => void;
}): JSX.Element {
  const input = (field: keyof Ejection): JSX.Element => <EjectionInput field={field} {...props} />;
  return (
    <fieldset>
      <legend>circuit breaker</legend>
      <label>
        eject after {input('consecutiveFailures')} failures, for {input('baseMs')} ms doubling up to{' '}
        {input('maxMs')} ms
      </label>
    </fieldset>
  );
}
