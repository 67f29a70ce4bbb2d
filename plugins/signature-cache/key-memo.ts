/**
 * A bounded memo thinking text → cache key, so that each distinct thinking text is hashed once.
 *
 * Why it pays: in a multi-turn conversation every request re-sends all the earlier assistant turns, thinking included,
 * so `restoreSignatures` looks the same texts up again on every turn; and a get hit is by definition a text that was
 * stored earlier (the recorder hashed it then). SHA-256 costs 0.3–1.3 µs for a 150-character text and grows with the
 * text (key.ts has the figures per runtime); a memo hit costs 0.1–0.5 µs up to 3,000 characters (table below).
 *
 * Bounds: at most `maxChars` characters of text and `maxEntries` texts, kept as two generations of at most half of
 * each: new texts go into the newer one; when it is full, the older generation is dropped whole and the newer one takes
 * its place. So the oldest texts go first, half the memo at a time, and the memo holds between half and all of its
 * bounds. A hit does not refresh (a text still in use that falls out is remembered again at the price of one hash).
 * Texts longer than `maxTextLength` are hashed every time and never remembered. The memo keeps the text strings it was
 * given (no copies; `JSON.parse` and concatenation give strings that own their characters).
 *
 * **Why not a `Map` keyed by the text.** The texts a request brings are new string objects every time (`JSON.parse` of
 * the body), and a `Map` lookup with a new string makes the engine hash all its characters first: ~1.8 ns per character
 * on Node 20's V8, so for a fresh 1,000-character text a `Map<string, string>` hit cost 1.8 µs, as much as SHA-256
 * itself (3,000 characters: 5.1 µs against 3.0 µs). Instead the memo files texts under a cheap fingerprint of 32 of
 * their characters (both ends and a spread over the middle) plus the length, in a `Map` of small integers, and confirms
 * a candidate with `===` (a length check, then a memcmp-speed compare). Per hit with fresh strings (this memo / a
 * `Map<string, string>` / SHA-256 alone; 2 vCPU EPYC shared with other work, second of two runs, the first within ±15%
 * except Bun at 3,000+ characters, up to 2× slower in both memos):
 *
 * | characters | Deno 2.9              | Bun 1.4               | Node 20.20             |
 * |-----------:|-----------------------|-----------------------|------------------------|
 * |        150 | 113 / 107 / 1415 ns   | 80 / 55 / 313 ns      | 276 / 400 / 973 ns     |
 * |      1,000 | 155 / 217 / 1601 ns   | 147 / 192 / 793 ns    | 305 / 1824 / 1809 ns   |
 * |      3,000 | 433 / 636 / 3937 ns   | 509 / 545 / 2423 ns   | 370 / 5051 / 3005 ns   |
 * |     10,000 | 1143 / 1939 / 8871 ns | 1401 / 2862 / 7219 ns | 1461 / 18136 / 8788 ns |
 *
 * (At 150 characters the string-keyed `Map` is 5–25 ns ahead on Deno and Bun; thinking blocks are often far longer.)
 *
 * Texts with the same fingerprint share a bucket (newest first); a generation holds at most
 * {@link MAX_SAME_FINGERPRINT} texts under one fingerprint, and a text that would make it more is hashed and not
 * remembered, so crafted collisions cost at most twice that many compares on top of the hash a memo-less cache pays.
 *
 * **Why generations.** Insertion is what the memo adds to a set (a new text), and evicting one entry per insertion, the
 * oldest, touched cold memory several times (its entry, its text, its bucket) and deleted from a large `Map`: 0.3–0.55
 * µs per insertion at 32,768 texts. Dropping a whole generation costs nothing per entry (the collector frees it), and
 * an insertion is one `Map.set`: 0.18–0.29 µs including the miss that precedes it (Deno / Bun / Node: 176 / 194 / 287
 * ns against 425 / 299 / 550 ns for one-at-a-time eviction, fresh 150-character texts, hashing left out). A miss
 * looks in both generations.
 */
import { KEY_MEMO_MAX_CHARS, KEY_MEMO_MAX_ENTRIES, KEY_MEMO_MAX_TEXT_LENGTH } from "./constants.ts";
import { signatureKey } from "./key.ts";

/** Texts one generation remembers under one fingerprint at most. */
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
  constructor(
    readonly text: string,
    readonly key: string,
    /** The next older entry of the same generation with the same fingerprint. */
    readonly sameFingerprint: MemoEntry | undefined,
  ) {}
}

export interface KeyMemoLimits {
  /** Total characters of the remembered texts (default {@link KEY_MEMO_MAX_CHARS}). */
  readonly maxChars?: number;
  /** Remembered texts at most (default {@link KEY_MEMO_MAX_ENTRIES}). */
  readonly maxEntries?: number;
  /** Longer texts are not remembered (default {@link KEY_MEMO_MAX_TEXT_LENGTH}). */
  readonly maxTextLength?: number;
}

/** One generation: fingerprint → the newest entry with it (older ones follow `sameFingerprint`). */
interface Generation {
  readonly buckets: Map<number, MemoEntry>;
  size: number;
  chars: number;
}

const emptyGeneration = (): Generation => ({ buckets: new Map(), size: 0, chars: 0 });

export class KeyMemo {
  readonly maxChars: number;
  readonly maxEntries: number;
  readonly maxTextLength: number;
  /** Each generation holds at most half of each bound. */
  readonly #generationEntries: number;
  readonly #generationChars: number;
  readonly #derive: (text: string) => string;
  /** Where new texts go. */
  #newer: Generation = emptyGeneration();
  /** The generation before, dropped whole when the newer one fills up. */
  #older: Generation = emptyGeneration();

  /** `derive` is the key function memoised (tests count its calls). */
  constructor(limits: KeyMemoLimits = {}, derive: (text: string) => string = signatureKey) {
    this.maxChars = Math.max(0, limits.maxChars ?? KEY_MEMO_MAX_CHARS);
    this.maxEntries = Math.max(0, limits.maxEntries ?? KEY_MEMO_MAX_ENTRIES);
    this.#generationEntries = Math.floor(this.maxEntries / 2);
    this.#generationChars = Math.floor(this.maxChars / 2);
    this.maxTextLength = Math.min(
      this.#generationChars,
      Math.max(0, limits.maxTextLength ?? KEY_MEMO_MAX_TEXT_LENGTH),
    );
    this.#derive = derive;
  }

  /** The key of `text`: remembered, or derived (and remembered when it fits). */
  key(text: string): string {
    const fingerprint = textFingerprint(text);
    const newest = this.#newer.buckets.get(fingerprint);
    let same = 0;
    for (let e = newest; e !== undefined; e = e.sameFingerprint) {
      if (e.text === text) return e.key;
      same++;
    }
    for (let e = this.#older.buckets.get(fingerprint); e !== undefined; e = e.sameFingerprint) {
      if (e.text === text) return e.key;
    }
    const key = this.#derive(text);
    const length = text.length;
    if (length <= this.maxTextLength && same < MAX_SAME_FINGERPRINT && this.#generationEntries > 0) {
      let g = this.#newer;
      if (g.size >= this.#generationEntries || g.chars + length > this.#generationChars) {
        // The newer generation is full: the older one goes, all at once.
        this.#older = g;
        this.#newer = g = emptyGeneration();
        g.buckets.set(fingerprint, new MemoEntry(text, key, undefined));
      } else {
        g.buckets.set(fingerprint, new MemoEntry(text, key, newest));
      }
      g.size++;
      g.chars += length;
    }
    return key;
  }

  /** True when `text` is remembered (derives nothing). */
  has(text: string): boolean {
    const fingerprint = textFingerprint(text);
    for (const g of [this.#newer, this.#older]) {
      for (let e = g.buckets.get(fingerprint); e !== undefined; e = e.sameFingerprint) {
        if (e.text === text) return true;
      }
    }
    return false;
  }

  /** Remembered texts. */
  get size(): number {
    return this.#newer.size + this.#older.size;
  }

  /** Characters of the remembered texts. */
  get chars(): number {
    return this.#newer.chars + this.#older.chars;
  }

  /** The remembered texts by generation, for tests and diagnostics (order within a generation unspecified). */
  generations(): { older: string[]; newer: string[] } {
    const texts = (g: Generation) => {
      const out: string[] = [];
      for (const head of g.buckets.values()) {
        for (let e: MemoEntry | undefined = head; e !== undefined; e = e.sameFingerprint) out.push(e.text);
      }
      return out;
    };
    return { older: texts(this.#older), newer: texts(this.#newer) };
  }

  /** Forgets every text. */
  clear(): void {
    this.#newer = emptyGeneration();
    this.#older = emptyGeneration();
  }
}
