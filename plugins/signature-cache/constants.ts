/** The figures of CLIProxyAPI's signature cache (modules.md §2) and the performance fork's bounds. */
import { SKIP_SIGNATURE } from "../../core/formats/gemini/parts.ts";

/** Sliding time to live: a hit refreshes it. */
export const SIGNATURE_TTL_MS = 3 * 60 * 60 * 1000;

/** Shorter signatures are not real ones and are not stored. */
export const MIN_SIGNATURE_LENGTH = 50;

/** What the gemini group answers on an empty text, a miss or an expired entry: Gemini's documented bypass. */
export const GEMINI_SENTINEL = SKIP_SIGNATURE;

/** Entries per model group ([F-perf]: a bounded LRU instead of CLIProxyAPI's unbounded map). */
export const MAX_ENTRIES_PER_GROUP = 10_000;

/** Model groups at most; a new one evicts the least recently written group. */
export const MAX_GROUPS = 64;

/** How often expired entries (then empty groups) are swept. */
export const PURGE_INTERVAL_MS = 10 * 60 * 1000;

/** Hex characters of the SHA-256 of the thinking text that make the key. */
export const KEY_HEX_LENGTH = 16;

/**
 * The key memo (key-memo.ts): at most this many characters of thinking text remembered with their keys (4 Mi chars:
 * ≤ 4 MiB of one-byte text, ≤ 8 MiB of two-byte text), ~28,000 texts of 150 characters.
 */
export const KEY_MEMO_MAX_CHARS = 4 * 1024 * 1024;

/** ... and at most this many texts, so that short texts cannot pile up per-entry overhead (~100–140 bytes each). */
export const KEY_MEMO_MAX_ENTRIES = 32_768;

/** Longer texts are hashed every time and never remembered: one would crowd out hundreds of ordinary thoughts. */
export const KEY_MEMO_MAX_TEXT_LENGTH = 64 * 1024;
