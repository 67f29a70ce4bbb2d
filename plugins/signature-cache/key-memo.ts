/**
 * A bounded memo thinking text → cache key, so that each distinct thinking text is hashed once.
 *
 * Why it pays: in a multi-turn conversation every request re-sends all the earlier assistant turns, thinking included,
 * so `restoreSignatures` looks the same texts up again on every turn; and a get hit is by definition a text that was
 * stored earlier (the recorder hashed it then). SHA-256 through the runtime's crypto costs 0.3–1.2 µs for a
 * 150-character text (key.ts has the figures per runtime); a memo hit is one `Map` lookup of the text, i.e. hashing
 * and comparing its characters in the engine (bench/signature-cache.bench.ts measures both, with fresh strings).
 *
 * Bounds: at most `maxChars` characters of text and `maxEntries` texts; the oldest inserted goes first (FIFO: a hit
 * does not refresh, which would cost a delete and a set per hit; a text still in use that falls out is remembered
 * again at the price of one hash). Texts longer than `maxTextLength` are hashed every time and never remembered. The
 * memo keeps the text strings it was given (no copies); the cache's own entries keep only keys.
 *
 * Eviction walks the `Map`'s insertion order with one long-lived iterator. A fresh `keys().next()` per eviction would
 * step over every hole earlier deletes left at the front (V8 and JavaScriptCore compact a `Map`'s table only when it
 * rehashes): 13–19 µs per insert at 32,768 entries, against 0.1–0.4 µs with the long-lived iterator (measured on
 * Deno, Bun and Node). ECMAScript `Map` iterators are live: they skip deleted entries and visit ones added after them,
 * and the engines carry them across a rehash. Only the iterator deletes, so it always stands on the oldest entry.
 */
import { KEY_MEMO_MAX_CHARS, KEY_MEMO_MAX_ENTRIES, KEY_MEMO_MAX_TEXT_LENGTH } from "./constants.ts";
import { signatureKey } from "./key.ts";

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
  #keys = new Map<string, string>();
  /** Stands on the oldest entry (see the module note). */
  #oldest: Iterator<string> = this.#keys.keys();
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
    const known = this.#keys.get(text);
    if (known !== undefined) return known;
    const key = this.#derive(text);
    const length = text.length;
    if (length <= this.maxTextLength && this.maxEntries > 0) {
      while (this.#keys.size >= this.maxEntries || this.#chars + length > this.maxChars) this.#evictOldest();
      this.#keys.set(text, key);
      this.#chars += length;
    }
    return key;
  }

  /** True when `text` is remembered (does not derive anything). */
  has(text: string): boolean {
    return this.#keys.has(text);
  }

  /** Remembered texts. */
  get size(): number {
    return this.#keys.size;
  }

  /** Characters of the remembered texts. */
  get chars(): number {
    return this.#chars;
  }

  /** The remembered texts, oldest first. */
  texts(): string[] {
    return [...this.#keys.keys()];
  }

  /** Forgets every text. */
  clear(): void {
    this.#keys = new Map();
    this.#oldest = this.#keys.keys();
    this.#chars = 0;
  }

  #evictOldest(): void {
    const r = this.#oldest.next();
    // Unreachable while only this iterator deletes (the loop in `key` stops at an empty memo, which fits any text
    // up to maxTextLength ≤ maxChars); a done iterator stays done, so start over rather than spin.
    if (r.done) {
      this.clear();
      return;
    }
    this.#keys.delete(r.value);
    this.#chars -= r.value.length;
  }
}
