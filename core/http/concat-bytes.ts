/** Joins byte chunks read from a body; `size` is their total length, which the readers count anyway. */
export function concatBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  // Fast path: most bodies arrive in one chunk, which is returned as it is.
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
