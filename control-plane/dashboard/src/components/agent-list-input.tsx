import type { JSX } from 'preact';

/** A comma-separated list of agent ids (or `*`). */
export function AgentList(props: {
  label: string;
  ids: readonly string[];
  disabled: boolean;
  testId?: string;
  onChange: (ids: string[]) => void;
}): JSX.Element {
  return (
    <label>
      {props.label}{' '}
      <input
        value={props.ids.join(', ')}
        disabled={props.disabled}
        placeholder="agent ids, or *"
        data-testid={props.testId}
        onInput={(e) =>
          props.onChange(
            e.currentTarget.value
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          )
        }
      />
    </label>
  );
}
