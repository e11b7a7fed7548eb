/** A `major.minor.patch` version (a pre-release or build suffix is ignored for acceptance). */
export interface Version {
  major: number;
  minor: number;
  patch: number;
}

/** Parses `1.2.3` (or `1.2.3-rc.1`); undefined for anything else. */
export function parseVersion(text: string | null | undefined): Version | undefined {
  const m = /^(\d{1,6})\.(\d{1,6})\.(\d{1,6})(?:[-+][0-9A-Za-z.-]*)?$/.exec(text ?? '');
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/**
 * The agent versions a control plane of `hub` accepts: its own major, from one minor behind up to its own minor
 * (any patch): `>=0.1.0 <0.3.0` for hub 0.2.x. Agents are upgraded after their hub, never before it.
 */
export function acceptedAgentVersions(hub: string): { min: string; below: string; text: string } {
  const v = parseVersion(hub) ?? { major: 0, minor: 0, patch: 0 };
  const min = `${v.major}.${Math.max(0, v.minor - 1)}.0`;
  const below = `${v.major}.${v.minor + 1}.0`;
  return { min, below, text: `>=${min} <${below}` };
}

/**
 * Why a control plane of version `hub` refuses an agent of version `agent`, or undefined when it accepts it. An
 * agent that reports no version (older than versions) is accepted: nothing is known against it.
 */
export function agentVersionRefusal(agent: string | null | undefined, hub: string): string | undefined {
  if (agent === undefined || agent === null) return undefined;
  const accepted = acceptedAgentVersions(hub);
  const a = parseVersion(agent);
  const min = parseVersion(accepted.min)!;
  const below = parseVersion(accepted.below)!;
  if (!a)
    return `agent version "${agent.slice(0, 64)}" is not a version this control plane (${hub}) can compare: it accepts ${accepted.text}`;
  const key = (v: Version): number => (v.major * 1e6 + v.minor) * 1e6 + v.patch;
  if (key(a) < key(min))
    return `agent version ${agent} is too old for this control plane (${hub}, which accepts ${accepted.text}): upgrade the agent (tether-cp agents upgrade, or install a newer build)`;
  if (key(a) >= key(below))
    return `agent version ${agent} is newer than this control plane (${hub}, which accepts ${accepted.text}): upgrade the control plane first`;
  return undefined;
}
