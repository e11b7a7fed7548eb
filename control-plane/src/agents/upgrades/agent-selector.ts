import { ValidationError } from '@tether/shared';

/** What a selector looks at in an agent. */
export interface SelectableAgent {
  id: string;
  site: string | null;
  labels: Record<string, string>;
  revokedAt: number | null;
}

/**
 * The agents a rollout's `--agents` selector names, in id order, revoked ones never: `all` (or empty) is every
 * agent; otherwise comma-separated terms, each an agent id or `key=value` (`site=berlin` or a label), and an agent
 * matches when any term does. A ValidationError when nothing matches.
 */
export function selectAgents<A extends SelectableAgent>(selector: string, agents: readonly A[]): A[] {
  const terms = selector
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const all = terms.length === 0 || (terms.length === 1 && terms[0] === 'all');
  const matches = (agent: A): boolean =>
    terms.some((term) => {
      const eq = term.indexOf('=');
      if (eq < 0) return agent.id === term;
      const [key, value] = [term.slice(0, eq), term.slice(eq + 1)];
      return key === 'site' ? agent.site === value : agent.labels[key] === value;
    });
  const chosen = agents
    .filter((a) => a.revokedAt === null && (all || matches(a)))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (chosen.length === 0)
    throw new ValidationError(
      `no agent matches --agents "${selector.slice(0, 200)}": name agent ids or key=value labels (site=NAME for a site), comma-separated, or "all"`,
    );
  return chosen;
}
