import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import type { ServicePolicy } from '../types.js';

/** What the last save, reset or JSON parse said (shown beside the buttons). */
export interface PolicyStatus {
  ok: boolean;
  text: string;
}

/** The policy editor's state: the draft, the JSON text while editing as JSON, and the actions on the server. */
export interface PolicyDraft {
  draft: ServicePolicy;
  /** The JSON being edited, or null while the form shows. */
  json: string | null;
  status: PolicyStatus | null;
  /** Changes fields of the draft (from the form). */
  update: (patch: Partial<ServicePolicy>) => void;
  /** Changes the JSON text. */
  editJson: (text: string) => void;
  /** Switches between the form and JSON; leaving JSON parses it over the stored policy. */
  toggleJson: () => void;
  /** PUTs the draft (or the JSON); the server's 400 names the bad field. */
  save: (e: Event) => Promise<void>;
  /** Asks, then DELETEs the policy: the service goes back to the defaults. */
  reset: () => Promise<void>;
}

/** The draft of `service`'s policy, following `policy` until edited; `onSaved` after a save or reset. */
export function usePolicyDraft(service: string, policy: ServicePolicy, onSaved: () => void): PolicyDraft {
  const [draft, setDraft] = useState<ServicePolicy>(policy);
  const [json, setJson] = useState<string | null>(null);
  const [status, setStatus] = useState<PolicyStatus | null>(null);
  const [dirty, setDirty] = useState(false);

  useEffect(() => {
    if (!dirty) setDraft(policy);
  }, [policy, dirty]);

  const path = `/api/v1/services/${encodeURIComponent(service)}/policy`;

  const update = (patch: Partial<ServicePolicy>): void => {
    setDraft({ ...draft, ...patch });
    setDirty(true);
    setStatus(null);
  };

  const editJson = (text: string): void => {
    setJson(text);
    setDirty(true);
  };

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
      const stored = await api<{ policy: ServicePolicy }>(path, { method: 'PUT', body });
      setDraft(stored.policy);
      setJson(null);
      setDirty(false);
      setStatus({ ok: true, text: 'Saved.' });
      onSaved();
    } catch (err) {
      setStatus({ ok: false, text: err instanceof ApiError ? err.message : String(err) });
    }
  };

  const toggleJson = (): void => {
    if (json === null) return setJson(JSON.stringify(draft, null, 2));
    try {
      // Fields left out take the stored policy's values, so the form always has every field.
      setDraft({ ...policy, ...(JSON.parse(json) as Partial<ServicePolicy>) });
      setJson(null);
    } catch (err) {
      setStatus({ ok: false, text: `not JSON: ${(err as Error).message}` });
    }
  };

  const reset = async (): Promise<void> => {
    if (!confirm(`Drop the policy of ${service} and go back to the defaults?`)) return;
    try {
      await api(path, { method: 'DELETE' });
      setDirty(false);
      setJson(null);
      setStatus({ ok: true, text: 'Back to the defaults.' });
      onSaved();
    } catch (err) {
      setStatus({ ok: false, text: (err as Error).message });
    }
  };

  return { draft, json, status, update, editJson, toggleJson, save, reset };
}
