/** Joins byte chunks into one array (`size`: their total length, when known). */
export function concatBytes(parts: readonly Uint8Array[], size?: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  // Not zero-filled: every byte is written below.
  const out = Buffer.allocUnsafe(size ?? parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
