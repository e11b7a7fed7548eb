import type { JSX } from 'preact';
import type { ServicePolicy } from '../types.js';
import { AgentList } from './agent-list-input.js';
import { EjectionFields } from './ejection-fields.js';
import { fromRow, rowsOf } from './policy-rows.js';
import { RowsField } from './policy-rows-field.js';
import { usePolicyDraft } from './use-policy-draft.js';

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
  const { draft, json, status, update, editJson, toggleJson, save, reset } = usePolicyDraft(
    props.service,
    props.policy,
    props.onSaved,
  );
  const tiers = rowsOf(draft.tiers, (t) => t.priority);
  const weights = rowsOf(draft.weights, (w) => w.weight);
  const ro = props.readOnly;

  return (
    <form class="policy" onSubmit={(e) => void save(e)} data-testid="policy-editor">
      {ro ? <p class="note">Read only: changing a policy needs an admin token.</p> : null}
      {json !== null ? (
        <textarea
          class="json"
          rows={18}
          value={json}
          aria-label="policy JSON"
          onInput={(e) => editJson(e.currentTarget.value)}
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
          <EjectionFields
            ejection={draft.ejection}
            disabled={ro}
            onChange={(ejection) => update({ ejection })}
          />
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
