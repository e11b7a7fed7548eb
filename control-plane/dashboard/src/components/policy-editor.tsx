import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { api, ApiError } from '../api.js';
import type { ServicePolicy } from '../types.js';

type MatchKind = 'site' | 'agent' | 'label';

/** One tier or weight row as the form edits it: a single-field match and its number. */
interface Row {
  kind: MatchKind;
  value: string;
  n: number;
}

type Match = ServicePolicy['tiers'][number]['match'];

/** A match the form can show as one row, or null when it needs the JSON editor. */
function toRow(match: Match, n: number): Row | null {
  const keys = Object.keys(match) as Array<keyof Match>;
  const labelEntries = Object.entries(match.labels ?? {});
  if (keys.length !== 1) return null;
  if (match.site !== undefined) return { kind: 'site', value: match.site, n };
  if (match.agent !== undefined) return { kind: 'agent', value: match.agent, n };
  if (labelEntries.length === 1)
    return { kind: 'label', value: `${labelEntries[0]![0]}=${labelEntries[0]![1]}`, n };
  return null;
}

function fromRow(row: Row): Match {
  if (row.kind === 'site') return { site: row.value };
  if (row.kind === 'agent') return { agent: row.value };
  const at = row.value.indexOf('=');
  return { labels: { [at < 0 ? row.value : row.value.slice(0, at)]: at < 0 ? '' : row.value.slice(at + 1) } };
}

function rowsOf<T extends { match: Match }>(items: readonly T[], n: (item: T) => number): Row[] | null {
  const rows = items.map((item) => toRow(item.match, n(item)));
  return rows.every((r) => r !== null) ? rows : null;
}

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
function RowsField(props: {
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

/** A comma-separated list of agent ids (or `*`). */
function AgentList(props: {
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

/**
 * The route selection policy of a service: the common knobs as a form (tiers and weights by site, agent or
 * one label; local-first; default weight; edge callers; the circuit breaker), everything as JSON. Saving PUTs
 * the policy; the server's 400 names the bad field.
 */
export function PolicyEditor(props: {
  service: string;
  policy: ServicePolicy;
  source: string;
  readOnly: boolean;
  onSaved: () => void;
}): JSX.Element {
  const [draft, setDraft] = useState<ServicePolicy>(props.policy);
  const [json, setJson] = useState<string | null>(null);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [dirty, setDirty] = useState(false);

  useEffect(() => {
    if (!dirty) setDraft(props.policy);
  }, [props.policy, dirty]);

  const tiers = rowsOf(draft.tiers, (t) => t.priority);
  const weights = rowsOf(draft.weights, (w) => w.weight);
  const update = (patch: Partial<ServicePolicy>): void => {
    setDraft({ ...draft, ...patch });
    setDirty(true);
    setStatus(null);
  };
  const ro = props.readOnly;

  const save = async (e: Event): Promise<void> => {
    e.preventDefault();
    let body: unknown = draft;
    if (json !== null) {
      try {
        body = JSON.parse(json);
      } catch (err) {
        setStatus({ ok: false, text: `not JSON: ${(err as Error).message}` });
        return;
      }
    }
    try {
      const stored = await api<{ policy: ServicePolicy }>(
        `/api/v1/services/${encodeURIComponent(props.service)}/policy`,
        {
          method: 'PUT',
          body,
        },
      );
      setDraft(stored.policy);
      setJson(null);
      setDirty(false);
      setStatus({ ok: true, text: 'Saved.' });
      props.onSaved();
    } catch (err) {
      setStatus({ ok: false, text: err instanceof ApiError ? err.message : String(err) });
    }
  };

  const toggleJson = (): void => {
    if (json === null) return setJson(JSON.stringify(draft, null, 2));
    try {
      // Fields left out take the stored policy's values, so the form always has every field.
      setDraft({ ...props.policy, ...(JSON.parse(json) as Partial<ServicePolicy>) });
      setJson(null);
    } catch (err) {
      setStatus({ ok: false, text: `not JSON: ${(err as Error).message}` });
    }
  };

  const reset = async (): Promise<void> => {
    if (!confirm(`Drop the policy of ${props.service} and go back to the defaults?`)) return;
    try {
      await api(`/api/v1/services/${encodeURIComponent(props.service)}/policy`, { method: 'DELETE' });
      setDirty(false);
      setJson(null);
      setStatus({ ok: true, text: 'Back to the defaults.' });
      props.onSaved();
    } catch (err) {
      setStatus({ ok: false, text: (err as Error).message });
    }
  };

  return (
    <form class="policy" onSubmit={(e) => void save(e)} data-testid="policy-editor">
      {ro ? <p class="note">Read only: changing a policy needs an admin token.</p> : null}
      {json !== null ? (
        <textarea
          class="json"
          rows={18}
          value={json}
          aria-label="policy JSON"
          onInput={(e) => {
            setJson(e.currentTarget.value);
            setDirty(true);
          }}
        />
      ) : (
        <div class="form-grid">
          <label>
            <input
              type="checkbox"
              checked={draft.localFirst}
              disabled={ro}
              data-testid="policy-localFirst"
              onChange={(e) => update({ localFirst: e.currentTarget.checked })}
            />{' '}
            prefer the caller’s site (local first)
          </label>
          <label>
            default weight{' '}
            <input
              type="number"
              min={0}
              value={draft.defaultWeight}
              disabled={ro}
              data-testid="policy-defaultWeight"
              onInput={(e) => update({ defaultWeight: Number(e.currentTarget.value) })}
            />
          </label>
          <AgentList
            label="edges that may call other edges’ instances"
            ids={draft.allowEdgeCallers}
            disabled={ro}
            onChange={(ids) => update({ allowEdgeCallers: ids })}
          />
          <AgentList
            label="edges whose instances may serve it when the hub defines it"
            ids={draft.allowEdgeInstances}
            disabled={ro}
            testId="policy-allowEdgeInstances"
            onChange={(ids) => update({ allowEdgeInstances: ids })}
          />
          <RowsField
            legend="priority tiers (lowest takes the calls; the next takes over)"
            rows={tiers}
            label="priority"
            testId="policy-tiers"
            disabled={ro}
            onChange={(rows) => update({ tiers: rows.map((r) => ({ match: fromRow(r), priority: r.n })) })}
          />
          <RowsField
            legend="weights inside a tier"
            rows={weights}
            label="weight"
            testId="policy-weights"
            disabled={ro}
            onChange={(rows) => update({ weights: rows.map((r) => ({ match: fromRow(r), weight: r.n })) })}
          />
          <fieldset>
            <legend>circuit breaker</legend>
            <label>
              eject after{' '}
              <input
                type="number"
                min={1}
                value={draft.ejection.consecutiveFailures}
                disabled={ro}
                onInput={(e) =>
                  update({
                    ejection: { ...draft.ejection, consecutiveFailures: Number(e.currentTarget.value) },
                  })
                }
              />{' '}
              failures, for{' '}
              <input
                type="number"
                min={1}
                value={draft.ejection.baseMs}
                disabled={ro}
                onInput={(e) =>
                  update({ ejection: { ...draft.ejection, baseMs: Number(e.currentTarget.value) } })
                }
              />{' '}
              ms doubling up to{' '}
              <input
                type="number"
                min={1}
                value={draft.ejection.maxMs}
                disabled={ro}
                onInput={(e) =>
                  update({ ejection: { ...draft.ejection, maxMs: Number(e.currentTarget.value) } })
                }
              />{' '}
              ms
            </label>
          </fieldset>
          {draft.filter ? <p class="note">Filter: {JSON.stringify(draft.filter)} (edit as JSON)</p> : null}
        </div>
      )}
      <div class="actions">
        {ro ? null : (
          <button type="submit" class="primary" data-testid="policy-save">
            Save policy
          </button>
        )}
        <button type="button" onClick={toggleJson}>
          {json === null ? 'Edit as JSON' : 'Back to the form'}
        </button>
        {ro || props.source === 'default' ? null : (
          <button type="button" class="danger" onClick={() => void reset()}>
            Reset to defaults
          </button>
        )}
        {status ? (
          <span class={status.ok ? 'ok' : 'bad'} role="status" data-testid="policy-status">
            {status.text}
          </span>
        ) : null}
      </div>
    </form>
  );
}
