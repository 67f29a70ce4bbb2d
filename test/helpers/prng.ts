/** Seeded PRNG (mulberry32): random tests are reproducible from their seed on every runtime. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `bytes` at `cuts` random positions (sorted, distinct), for replaying a stream in arbitrary chunks. */
export function randomSplit(bytes: Uint8Array, rand: () => number, maxPieces = 16): Uint8Array[] {
  if (bytes.length < 2) return [bytes];
  const pieces = 1 + Math.floor(rand() * Math.min(maxPieces, bytes.length));
  const cuts = new Set<number>();
  while (cuts.size < pieces - 1) cuts.add(1 + Math.floor(rand() * (bytes.length - 1)));
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}
