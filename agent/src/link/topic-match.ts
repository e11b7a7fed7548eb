/** True when an MQTT topic filter (with `+` and `#` wildcards) matches a concrete topic. */
export function topicMatches(filter: string, topic: string): boolean {
  // Checked for every subscription on every message (each tunnel message): the common cases without splitting.
  if (filter === topic) return true;
  if (!filter.includes('+') && !filter.includes('#')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const part = f[i];
    if (part === '#') return true;
    if (i >= t.length) return false;
    if (part !== '+' && part !== t[i]) return false;
  }
  return f.length === t.length;
}
