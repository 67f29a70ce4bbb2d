/**
 * A bounded memo thinking text → cache key, so that each distinct thinking text is hashed once.
 *
 * Why it pays: in a multi-turn conversation every request re-sends all the earlier assistant turns, thinking included,
 * so `restoreSignatures` looks the same texts up again on every turn; and a get hit is by definition a text that was
 * stored earlier (the recorder hashed it then). SHA-256 costs 0.3–1.3 µs for a 150-character text and grows with the
 * text (key.ts has the figures per runtime); a memo hit costs ~0.15–0.45 µs up to 3,000 characters (table below).
 *
 * Bounds: at most `maxChars` characters of text and `maxEntries` texts; the oldest inserted goes first (FIFO: a hit
 * does not refresh, which would cost relinking per hit; a text still in use that falls out is remembered again at the
 * price of one hash). Texts longer than `maxTextLength` are hashed every time and never remembered. The memo keeps the
 * text strings it was given (no copies; `JSON.parse` and concatenation give strings that own their characters).
 *
 * **Why not a `Map` keyed by the text.** The texts a request brings are new string objects every time (`JSON.parse` of
 * the body), and a `Map` lookup with a new string makes the engine hash all its characters first: ~1.7 ns per character
 * on Node 20's V8, so for a fresh 1,000-character text a `Map<string, string>` hit cost 1.8 µs, more than SHA-256
 * itself (1.1 µs; 3,000 characters: 4.9 µs against 3.1 µs). Instead the memo files texts under a cheap fingerprint of
 * 32 of their characters (both ends and a spread over the middle) plus the length, in a `Map` of small integers, and
 * confirms a candidate with `===` (a length check, then a memcmp-speed compare). Per lookup with fresh strings (this
 * memo / a `Map<string, string>` / SHA-256 alone; one run on a shared 2 vCPU EPYC, run-to-run spread ±30%):
 *
 * | characters | Deno 2.9             | Bun 1.4              | Node 20.20            |
 * |-----------:|----------------------|----------------------|-----------------------|
 * |        150 | 203 / 149 / 2234 ns  | 158 / 98 / 450 ns    | 161 / 408 / 868 ns    |
 * |      1,000 | 277 / 335 / 2581 ns  | 267 / 330 / 956 ns   | 290 / 1774 / 1124 ns  |
 * |      3,000 | 436 / 679 / 4188 ns  | 349 / 498 / 2172 ns  | 254 / 4870 / 3054 ns  |
 * |     10,000 | 1080 / 1953 / 8872 ns | 1098 / 1447 / 6761 ns | 1361 / 17786 / 8438 ns |
 *
 * (At 150 characters the two memos were within 20–60 ns of each other on Deno and Bun, either way round, over several
 * runs; thinking blocks are often far longer than that.)
 *
 * Texts with the same fingerprint share a bucket (newest first); a bucket holds at most {@link MAX_SAME_FINGERPRINT}
 * texts, and a text that would make it longer is hashed and not remembered, so crafted collisions cost at most that
 * many compares on top of the hash a memo-less cache pays anyway.
 *
 * Eviction follows an intrusive list of the entries in insertion order (oldest → newest), so no `Map` is iterated: a
 * `Map`'s first entry is found by stepping over every hole earlier deletes left (V8 and JavaScriptCore compact only on
 * a rehash), 13–19 µs per eviction at 32,768 entries. The oldest entry is also the oldest of its bucket, i.e. its last.
 */
import { KEY_MEMO_MAX_CHARS, KEY_MEMO_MAX_ENTRIES, KEY_MEMO_MAX_TEXT_LENGTH } from "./constants.ts";
import { signatureKey } from "./key.ts";

/** Texts remembered under one fingerprint at most. */
export const MAX_SAME_FINGERPRINT = 4;

/** Characters read at each end of a text for its fingerprint (and the spread over the middle: 32 in all). */
const EDGE = 12;
const SPREAD = 8;

/**
 * A cheap fingerprint of `text` (a non-negative small integer): its length and 32 of its characters (12 at each end, 8
 * spread over the middle; every character of a shorter text), in four independent multiply-free lanes so the reads do
 * not wait on each other. Equal texts have equal fingerprints; texts that differ only away from the sampled characters
 * collide, which costs a compare, never a wrong key.
 */
export function textFingerprint(text: string): number {
  const n = text.length;
  let a = n;
  let b = 0;
  let c = 0;
  let d = 0;
  if (n < 2 * EDGE + SPREAD) {
    for (let i = 0; i < n; i++) a = ((a << 5) - a + text.charCodeAt(i)) | 0;
  } else {
    for (let i = 0; i < EDGE; i += 4) {
      a = ((a << 5) - a + text.charCodeAt(i)) | 0;
      b = ((b << 5) - b + text.charCodeAt(i + 1)) | 0;
      c = ((c << 5) - c + text.charCodeAt(i + 2)) | 0;
      d = ((d << 5) - d + text.charCodeAt(i + 3)) | 0;
    }
    for (let i = n - EDGE; i < n; i += 4) {
      a = ((a << 5) - a + text.charCodeAt(i)) | 0;
      b = ((b << 5) - b + text.charCodeAt(i + 1)) | 0;
      c = ((c << 5) - c + text.charCodeAt(i + 2)) | 0;
      d = ((d << 5) - d + text.charCodeAt(i + 3)) | 0;
    }
    // SPREAD positions evenly over [EDGE, n - EDGE).
    const step = (n - 2 * EDGE) >>> 3;
    for (let p = EDGE + (step >>> 1), k = 0; k < SPREAD; k += 4, p += 4 * step) {
      a = ((a << 5) - a + text.charCodeAt(p)) | 0;
      b = ((b << 5) - b + text.charCodeAt(p + step)) | 0;
      c = ((c << 5) - c + text.charCodeAt(p + 2 * step)) | 0;
      d = ((d << 5) - d + text.charCodeAt(p + 3 * step)) | 0;
    }
  }
  const h = Math.imul(a ^ ((b << 7) | (b >>> 25)), 0x9e3779b1) ^ Math.imul(c ^ ((d << 13) | (d >>> 19)), 0x85ebca6b);
  // 30 bits: a small integer on every engine (no boxed number as a Map key).
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

class MemoEntry {
  /** The next older entry with the same fingerprint. */
  sameFingerprint: MemoEntry | undefined;
  /** The next newer entry in insertion order. */
  newer: MemoEntry | null = null;
  constructor(
    readonly text: string,
    readonly key: string,
    readonly fingerprint: number,
    sameFingerprint: MemoEntry | undefined,
  ) {
    this.sameFingerprint = sameFingerprint;
  }
}

export interface KeyMemoLimits {
  /** Total characters of the remembered texts (default {@link KEY_MEMO_MAX_CHARS}). */
  readonly maxChars?: number;
  /** Remembered texts at most (default {@link KEY_MEMO_MAX_ENTRIES}). */
  readonly maxEntries?: number;
  /** Longer texts are not remembered (default {@link KEY_MEMO_MAX_TEXT_LENGTH}). */
  readonly maxTextLength?: number;
}

export class KeyMemo {
  readonly maxChars: number;
  readonly maxEntries: number;
  readonly maxTextLength: number;
  readonly #derive: (text: string) => string;
  /** Fingerprint → the newest entry with it (older ones follow `sameFingerprint`). */
  #buckets = new Map<number, MemoEntry>();
  #oldest: MemoEntry | null = null;
  #newest: MemoEntry | null = null;
  #size = 0;
  #chars = 0;

  /** `derive` is the key function memoised (tests count its calls). */
  constructor(limits: KeyMemoLimits = {}, derive: (text: string) => string = signatureKey) {
    this.maxChars = Math.max(0, limits.maxChars ?? KEY_MEMO_MAX_CHARS);
    this.maxEntries = Math.max(0, limits.maxEntries ?? KEY_MEMO_MAX_ENTRIES);
    this.maxTextLength = Math.min(this.maxChars, Math.max(0, limits.maxTextLength ?? KEY_MEMO_MAX_TEXT_LENGTH));
    this.#derive = derive;
  }

  /** The key of `text`: remembered, or derived (and remembered when it fits). */
  key(text: string): string {
    const fingerprint = textFingerprint(text);
    const newest = this.#buckets.get(fingerprint);
    let same = 0;
    for (let e = newest; e !== undefined; e = e.sameFingerprint) {
      if (e.text === text) return e.key;
      same++;
    }
    const key = this.#derive(text);
    const length = text.length;
    if (length <= this.maxTextLength && same < MAX_SAME_FINGERPRINT && this.maxEntries > 0) {
      while (this.#size >= this.maxEntries || this.#chars + length > this.maxChars) this.#evictOldest();
      // Evicting may have emptied this very bucket: read its head again.
      const entry = new MemoEntry(text, key, fingerprint, this.#buckets.get(fingerprint));
      this.#buckets.set(fingerprint, entry);
      if (this.#newest === null) this.#oldest = entry;
      else this.#newest.newer = entry;
      this.#newest = entry;
      this.#size++;
      this.#chars += length;
    }
    return key;
  }

  /** True when `text` is remembered (derives nothing). */
  has(text: string): boolean {
    for (let e = this.#buckets.get(textFingerprint(text)); e !== undefined; e = e.sameFingerprint) {
      if (e.text === text) return true;
    }
    return false;
  }

  /** Remembered texts. */
  get size(): number {
    return this.#size;
  }

  /** Characters of the remembered texts. */
  get chars(): number {
    return this.#chars;
  }

  /** The remembered texts, oldest first. */
  texts(): string[] {
    const out: string[] = [];
    for (let e = this.#oldest; e !== null; e = e.newer) out.push(e.text);
    return out;
  }

  /** Forgets every text. */
  clear(): void {
    this.#buckets = new Map();
    this.#oldest = this.#newest = null;
    this.#size = 0;
    this.#chars = 0;
  }

  #evictOldest(): void {
    // Never null here: `key` evicts only while something is remembered (an empty memo fits any text up to
    // maxTextLength ≤ maxChars, and maxEntries > 0).
    const e = this.#oldest!;
    this.#oldest = e.newer;
    if (this.#oldest === null) this.#newest = null;
    // The oldest entry is the last of its bucket.
    const head = this.#buckets.get(e.fingerprint)!;
    if (head === e) this.#buckets.delete(e.fingerprint);
    else {
      let p = head;
      while (p.sameFingerprint !== e) p = p.sameFingerprint!;
      p.sameFingerprint = undefined;
    }
    this.#size--;
    this.#chars -= e.text.length;
  }
}
