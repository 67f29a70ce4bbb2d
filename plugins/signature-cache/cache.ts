/**
 * The signature cache (modules.md §2): thinking text → the upstream's signature for it, per model group.
 *
 * - Key: the first 16 hex characters of SHA-256(text) ({@link signatureKey}), through a bounded memo text → key
 *   ({@link KeyMemo}: multi-turn requests re-send the same thinking, so each distinct text is hashed once); group:
 *   {@link modelGroup}.
 * - Sliding TTL of 3 h: a hit refreshes the entry's time. Signatures shorter than 50 characters are not stored.
 * - `get` answers like CLIProxyAPI's `GetCachedSignature`: the signature, or on an empty text, a miss or an expired
 *   entry the Gemini sentinel for the gemini group and "" for every other group.
 * - Bounds ([F-perf]): each group is an LRU of 10,000 entries (a read or a write makes the entry the newest); at most
 *   64 groups, a new group evicting the least recently *written* one.
 * - A purge every 10 minutes, started lazily by the first store (timer unref'd, stopped by `dispose`), removes expired
 *   entries, then empty groups.
 *
 * Each group is a `Map` from key to entry plus an intrusive doubly linked list of the same entries in recency order
 * (newest after the sentinel, oldest before it): a hit relinks the entry in place, a full group unlinks its oldest, and
 * the purge walks expired entries from the old end. The `Map` is never iterated on the hot path: V8 and JavaScriptCore
 * keep deleted slots as holes until a rehash, so "delete the first key" of a 10,000-entry `Map` that keeps turning over
 * skips thousands of holes (measured 18–39 µs per set); the list makes it O(1). Entries are mutable and refreshed in
 * place, so a hit allocates nothing (a memoised key) or only the key's hash. The clock is injectable: tests move time
 * without sleeping.
 */
import type { WireFormat } from "../../core/formats/wire-format.ts";
import {
  GEMINI_SENTINEL,
  MAX_ENTRIES_PER_GROUP,
  MAX_GROUPS,
  MIN_SIGNATURE_LENGTH,
  PURGE_INTERVAL_MS,
  SIGNATURE_TTL_MS,
} from "./constants.ts";
import { modelGroup } from "./group.ts";
import { signatureKey } from "./key.ts";
import { KeyMemo, type KeyMemoLimits } from "./key-memo.ts";
import { type IntervalTimers, systemTimers } from "./timers.ts";

/** How often the default clock reads the system time. */
const COARSE_CLOCK_MS = 1000;

/** A stored signature and the wire format of the upstream that produced it. */
export interface CachedSignature {
  readonly signature: string;
  /** Absent when the writer did not say (CLIProxyAPI's API has no format). */
  readonly format: WireFormat | undefined;
}

export interface SignatureCacheSettings {
  /** Epoch ms (default `Date.now`). */
  readonly now?: () => number;
  readonly ttlMs?: number;
  readonly minSignatureLength?: number;
  readonly maxEntriesPerGroup?: number;
  readonly maxGroups?: number;
  readonly purgeIntervalMs?: number;
  /**
   * Where the purge timer comes from (tests pass a manual one). Without `now`, the same timers also drive the default
   * clock (read once a second): timers that never fire then stop the clock, and nothing expires.
   */
  readonly timers?: IntervalTimers;
  /** Bounds of the text → key memo (defaults: constants.ts); `false` hashes every text on every call. */
  readonly keyMemo?: KeyMemoLimits | false;
}

class Entry implements CachedSignature {
  /** Newer neighbour (the sentinel for the newest entry). */
  prev: Entry = this;
  /** Older neighbour (the sentinel for the oldest entry). */
  next: Entry = this;
  constructor(
    public key: string,
    public signature: string,
    public format: WireFormat | undefined,
    public touched: number,
  ) {}
}

/** One model group: the entries by key, and the same entries in recency order around a sentinel. */
class Group {
  readonly entries = new Map<string, Entry>();
  readonly sentinel = new Entry("", "", undefined, 0);
  /** Write sequence number of the last store into this group (for least-recently-written eviction). */
  lastWrite = 0;

  /** Makes `e` the newest (it may be linked already). */
  toFront(e: Entry): void {
    const s = this.sentinel;
    if (s.next === e) return;
    e.prev.next = e.next;
    e.next.prev = e.prev;
    this.#link(e);
  }

  add(e: Entry): void {
    this.entries.set(e.key, e);
    this.#link(e);
  }

  remove(e: Entry): void {
    this.entries.delete(e.key);
    e.prev.next = e.next;
    e.next.prev = e.prev;
    e.prev = e.next = e;
  }

  /** The least recently used entry, or undefined when empty. */
  oldest(): Entry | undefined {
    const last = this.sentinel.prev;
    return last === this.sentinel ? undefined : last;
  }

  #link(e: Entry): void {
    const s = this.sentinel;
    e.prev = s;
    e.next = s.next;
    s.next.prev = e;
    s.next = e;
  }
}

export class SignatureCache {
  /** The injected clock; null: the coarse clock below. */
  readonly #clock: (() => number) | null;
  /**
   * The default clock is `Date.now()` read once a second by a timer (started and stopped with the purge): a 3 h sliding
   * TTL needs no finer time, and reading the system clock on every get and set cost 40–80 ns of a ~200 ns hit.
   */
  #coarseNow = 0;
  #clockTimer: unknown = null;
  readonly #ttl: number;
  readonly #minLength: number;
  readonly #maxEntries: number;
  readonly #maxGroups: number;
  readonly #purgeInterval: number;
  readonly #timers: IntervalTimers;
  readonly #groups = new Map<string, Group>();
  readonly #memo: KeyMemo | null;
  #writes = 0;
  /** The last model name asked about and its group: a request asks about one upstream model for all its parts. */
  #lastModel = "";
  #lastGroup = "";
  #timer: unknown = null;
  #disposed = false;

  constructor(opts: SignatureCacheSettings = {}) {
    this.#clock = opts.now ?? null;
    this.#ttl = opts.ttlMs ?? SIGNATURE_TTL_MS;
    this.#minLength = opts.minSignatureLength ?? MIN_SIGNATURE_LENGTH;
    this.#maxEntries = Math.max(1, opts.maxEntriesPerGroup ?? MAX_ENTRIES_PER_GROUP);
    this.#maxGroups = Math.max(1, opts.maxGroups ?? MAX_GROUPS);
    this.#purgeInterval = opts.purgeIntervalMs ?? PURGE_INTERVAL_MS;
    this.#timers = opts.timers ?? systemTimers;
    this.#memo = opts.keyMemo === false ? null : new KeyMemo(opts.keyMemo);
  }

  /** The text → key memo (null when disabled). */
  get keyMemo(): KeyMemo | null {
    return this.#memo;
  }

  /**
   * Stores `signature` for `text` in `model`'s group. Returns false (and stores nothing) for an empty text or a
   * signature shorter than the minimum. Storing again refreshes the entry and makes it the group's newest.
   */
  set(model: string, text: string, signature: string, format?: WireFormat): boolean {
    if (text === "" || signature.length < this.#minLength) return false;
    const name = this.#groupOf(model);
    let group = this.#groups.get(name);
    if (group === undefined) {
      if (this.#groups.size >= this.#maxGroups) this.#evictGroup();
      group = new Group();
      this.#groups.set(name, group);
    }
    group.lastWrite = ++this.#writes;
    const key = this.#keyOf(text);
    const now = this.#now();
    const existing = group.entries.get(key);
    if (existing !== undefined) {
      existing.signature = signature;
      existing.format = format;
      existing.touched = now;
      group.toFront(existing);
    } else if (group.entries.size >= this.#maxEntries) {
      // A full group: the oldest entry is unlinked and reused for the new one (no allocation at steady state).
      const e = group.oldest()!;
      group.remove(e);
      e.key = key;
      e.signature = signature;
      e.format = format;
      e.touched = now;
      group.add(e);
    } else {
      group.add(new Entry(key, signature, format, now));
    }
    if (this.#timer === null && !this.#disposed) this.#startPurge();
    return true;
  }

  /**
   * CLIProxyAPI's `GetCachedSignature`: the cached signature for `text` in `model`'s group (refreshing it), else the
   * Gemini sentinel for the gemini group and "" for any other.
   */
  get(model: string, text: string): string {
    const name = this.#groupOf(model);
    if (text !== "") {
      const hit = this.#find(name, text);
      if (hit !== undefined) return hit.signature;
    }
    return name === "gemini" ? GEMINI_SENTINEL : "";
  }

  /**
   * The live entry for `text` in `model`'s group (refreshing it), or undefined on an empty text, a miss or expiry. Read
   * it at once: the record is reused when the entry is replaced or evicted.
   */
  lookup(model: string, text: string): CachedSignature | undefined {
    return text === "" ? undefined : this.#find(this.#groupOf(model), text);
  }

  /** {@link lookup} by group name and an already derived key (a caller that hashed the text itself). */
  lookupKey(group: string, key: string): CachedSignature | undefined {
    const g = this.#groups.get(group);
    return g === undefined ? undefined : this.#live(g, key);
  }

  /**
   * CLIProxyAPI's `HasValidSignature`: a real signature is long enough; the Gemini sentinel is valid only for the
   * gemini group.
   */
  hasValidSignature(model: string, signature: string): boolean {
    if (signature === GEMINI_SENTINEL) return this.#groupOf(model) === "gemini";
    return signature !== "" && signature.length >= this.#minLength;
  }

  /** Removes one entry; true when there was one. */
  delete(model: string, text: string): boolean {
    if (text === "") return false;
    const name = this.#groupOf(model);
    const g = this.#groups.get(name);
    const e = g?.entries.get(this.#keyOf(text));
    if (g === undefined || e === undefined) return false;
    g.remove(e);
    if (g.entries.size === 0) this.#groups.delete(name);
    return true;
  }

  /**
   * CLIProxyAPI's `ClearSignatureCache`: "" (or nothing) clears every group (and the key memo), a model name drops that
   * model's group.
   */
  clear(model = ""): void {
    if (model === "") {
      this.#groups.clear();
      this.#memo?.clear();
    } else this.#groups.delete(this.#groupOf(model));
  }

  /** Drops a group by its name (`gemini`, `claude`, `gpt`, or a raw model name). */
  clearGroup(group: string): boolean {
    return this.#groups.delete(group);
  }

  /** Removes expired entries, then empty groups; returns how many entries went. */
  purge(): number {
    const now = this.#now();
    let removed = 0;
    for (const [name, g] of this.#groups) {
      // Recency order is time order: the expired entries are the oldest ones.
      for (let e = g.oldest(); e !== undefined && now - e.touched > this.#ttl; e = g.oldest()) {
        g.remove(e);
        removed++;
      }
      if (g.entries.size === 0) this.#groups.delete(name);
    }
    return removed;
  }

  /** Entries across every group (expired ones not yet purged included). */
  get size(): number {
    let n = 0;
    for (const g of this.#groups.values()) n += g.entries.size;
    return n;
  }

  /** Group names, in the order they were created. */
  groups(): string[] {
    return [...this.#groups.keys()];
  }

  /** Entries of one group. */
  groupSize(group: string): number {
    return this.#groups.get(group)?.entries.size ?? 0;
  }

  /** True while the periodic purge is scheduled. */
  get purging(): boolean {
    return this.#timer !== null;
  }

  /** Stops the purge timer and drops every entry; the cache stays usable but never schedules a purge again. */
  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== null) {
      this.#timers.clearInterval(this.#timer);
      this.#timer = null;
    }
    if (this.#clockTimer !== null) {
      this.#timers.clearInterval(this.#clockTimer);
      this.#clockTimer = null;
    }
    this.#groups.clear();
    this.#memo?.clear();
  }

  /**
   * {@link modelGroup} of `model`, remembered for the last model asked about (its three substring searches cost 50–100
   * ns on Node 20, a quarter of a get hit there; comparing with the last name costs a few).
   */
  #groupOf(model: string): string {
    if (model === this.#lastModel) return this.#lastGroup;
    const group = modelGroup(model);
    this.#lastModel = model;
    this.#lastGroup = group;
    return group;
  }

  #keyOf(text: string): string {
    const memo = this.#memo;
    return memo === null ? signatureKey(text) : memo.key(text);
  }

  #find(group: string, text: string): Entry | undefined {
    const g = this.#groups.get(group);
    // An unknown group is a miss without hashing the text.
    return g === undefined ? undefined : this.#live(g, this.#keyOf(text));
  }

  #live(g: Group, key: string): Entry | undefined {
    const e = g.entries.get(key);
    if (e === undefined) return undefined;
    const now = this.#now();
    if (now - e.touched > this.#ttl) {
      g.remove(e);
      return undefined;
    }
    e.touched = now;
    g.toFront(e);
    return e;
  }

  #evictGroup(): void {
    let victim: string | undefined;
    let oldest = Infinity;
    for (const [name, g] of this.#groups) {
      if (g.lastWrite < oldest) {
        oldest = g.lastWrite;
        victim = name;
      }
    }
    if (victim !== undefined) this.#groups.delete(victim);
  }

  #startPurge(): void {
    this.#timer = this.#timers.setInterval(() => this.purge(), this.#purgeInterval);
    if (this.#clock === null) {
      this.#coarseNow = Date.now();
      this.#clockTimer = this.#timers.setInterval(() => {
        this.#coarseNow = Date.now();
      }, COARSE_CLOCK_MS);
    }
  }

  /** Epoch ms: the injected clock, the coarse one while it runs, else the system clock. */
  #now(): number {
    if (this.#clock !== null) return this.#clock();
    return this.#clockTimer !== null ? this.#coarseNow : Date.now();
  }
}
