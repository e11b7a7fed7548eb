/** Joins byte chunks into one array (`size`: their total length, when known). */
export function concatBytes(parts: readonly Uint8Array[], size?: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size ?? parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
