import { signal } from '@preact/signals';
import type { ComponentChildren, JSX } from 'preact';

/** The current path (client-side routing with the History API; the server answers index.html for any). */
export const path = signal(location.pathname);

window.addEventListener('popstate', () => {
  path.value = location.pathname;
});

/** Goes to a client route without reloading. */
export function navigate(to: string): void {
  if (to === location.pathname) return;
  history.pushState(null, '', to);
  path.value = to;
  window.scrollTo(0, 0);
}

/** An anchor that navigates client-side (ctrl/cmd-click still opens a new tab). */
export function Link(props: { href: string; class?: string; children: ComponentChildren }): JSX.Element {
  const onClick = (e: MouseEvent): void => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  const active = path.value === props.href || (props.href !== '/' && path.value.startsWith(`${props.href}/`));
  return (
    <a
      href={props.href}
      class={[props.class, active ? 'active' : ''].filter(Boolean).join(' ')}
      onClick={onClick}
    >
      {props.children}
    </a>
  );
}

/** Matches `pattern` (`/agents/:id`) against a path; the decoded parameters, or null. */
export function match(pattern: string, p: string): Record<string, string> | null {
  const a = pattern.split('/');
  const b = p.split('/');
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const seg = a[i]!;
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(b[i]!);
    else if (seg !== b[i]) return null;
  }
  return params;
}
