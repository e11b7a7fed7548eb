import type { ComponentChildren, JSX } from 'preact';
import { duration, rate } from '../format.js';
import type { StatsEvent } from '../types.js';
import { AGENT_STATE_MEANING } from '../../../src/api/agent-state.js';
import { INSTANCE_STATUS_MEANING } from '../../../src/api/instance-status.js';

/** What a badge's word means (its tooltip and the legends). */
const MEANING: Readonly<Record<string, string>> = {
  ...AGENT_STATE_MEANING,
  ...INSTANCE_STATUS_MEANING,
  active: 'the route is live',
  conflict: 'an edge advertises a centrally defined name: kept out of selection',
};

/** A coloured status word: online/healthy green, stale/half-open amber, offline/ejected red-grey. */
export function Badge(props: { value: string; title?: string }): JSX.Element {
  return (
    <span
      class={`badge badge-${props.value}`}
      title={props.title ?? MEANING[props.value]}
      data-status={props.value}
    >
      {props.value}
    </span>
  );
}

/** A figure with its label, for the overview. */
export function Stat(props: {
  label: string;
  value: ComponentChildren;
  hint?: string;
  tone?: string;
  testId?: string;
}): JSX.Element {
  return (
    <div class={`stat ${props.tone ? `stat-${props.tone}` : ''}`} data-testid={props.testId}>
      <div class="stat-value">{props.value}</div>
      <div class="stat-label">{props.label}</div>
      {props.hint ? <div class="stat-hint">{props.hint}</div> : null}
    </div>
  );
}

/** A titled section. */
export function Panel(props: {
  title: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
}): JSX.Element {
  return (
    <section class="panel">
      <header class="panel-head">
        <h2>{props.title}</h2>
        {props.actions ? <div class="panel-actions">{props.actions}</div> : null}
      </header>
      <div class="panel-body">{props.children}</div>
    </section>
  );
}

/** A tiny line chart of the last values (SVG, no library). */
export function Sparkline(props: { values: readonly number[]; label: string }): JSX.Element {
  const w = 160;
  const h = 36;
  const max = Math.max(1, ...props.values);
  const step = props.values.length > 1 ? w / (props.values.length - 1) : w;
  const points = props.values.map(
    (v, i) => `${(i * step).toFixed(1)},${(h - (v / max) * (h - 2) - 1).toFixed(1)}`,
  );
  return (
    <svg class="spark" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={props.label}>
      {points.length > 1 ? <polyline points={points.join(' ')} /> : null}
    </svg>
  );
}

/** A message for an empty table or a failed load. */
export function Empty(props: { children: ComponentChildren }): JSX.Element {
  return <p class="empty">{props.children}</p>;
}

/** A service's traffic in the last stats interval as four cells: calls/s, errors/s, in flight, mean duration. */
export function TrafficCells(props: { tick: StatsEvent['perService'][number] | undefined }): JSX.Element {
  const t = props.tick;
  return (
    <>
      <td>{rate(t?.perSecond ?? 0)}</td>
      <td class={t && t.errorsPerSecond > 0 ? 'bad' : ''}>{rate(t?.errorsPerSecond ?? 0)}</td>
      <td>{t?.inFlight ?? 0}</td>
      <td>{duration(t?.meanMs ?? null)}</td>
    </>
  );
}

/** The words of `values` with their meaning, under a table (the same words the badges show). */
export function Legend(props: { values: readonly string[]; testId?: string }): JSX.Element {
  return (
    <dl class="legend-list" data-testid={props.testId}>
      {props.values.map((v) => (
        <div key={v}>
          <dt>
            <Badge value={v} />
          </dt>
          <dd>{MEANING[v] ?? v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Which edges may see a central service, as chips: `tier = gold`, `agent edge-1`, or `every edge`. */
export function VisibleTo(props: { value: unknown }): JSX.Element {
  const v = (props.value ?? {}) as { labels?: Record<string, string>; agents?: string[] };
  const chips = [
    ...Object.entries(v.labels ?? {}).map(([k, val]) => `${k} = ${val}`),
    ...(v.agents ?? []).map((a) => `agent ${a}`),
  ];
  if (chips.length === 0) return <span class="chip chip-all">every edge</span>;
  return (
    <span class="chips" title="an edge must match every chip">
      {chips.map((c) => (
        <span key={c} class="chip">
          {c}
        </span>
      ))}
    </span>
  );
}
