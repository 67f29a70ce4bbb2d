/**
 * The signature cache (plugins/signature-cache): get hit, get miss, set and an interleaved read/write mix over several
 * groups, on thinking texts of ~150 characters (a short thought summary). Targets (issue 5): get hit ≤ 250 ns, set ≤
 * 600 ns (the Go fork measured 219 ns / 542 ns).
 *
 * Every get and set hashes the text (SHA-256 through `node:crypto`), which is most of the cost; the two `key` cases
 * split the figures into the hash and the cache's own Map LRU work. Cases are timed per call in batches (see
 * bench/support.ts): one call is below the timer's own resolution.
 *
 * @module
 */
import type { Bench } from "tinybench";
import { MAX_ENTRIES_PER_GROUP, SignatureCache, signatureKey } from "../plugins/signature-cache/mod.ts";
import { perCall } from "./support.ts";

const BATCH = 256;
/** Texts cycled through by the read cases (a power of two). */
const POOL = 1024;
const SIG = "CpwBAdHtim9" + "QmFzZTY0U2lnbmF0dXJlT2ZUaGVUaG91Z2h0".repeat(4);
/** The purge timer is not what is measured, and must not keep the bench process alive. */
const NO_TIMERS = { setInterval: () => 0, clearInterval: () => {} };

function thought(i: number): string {
  return `Step ${i}: the user wants the weather in Paris tomorrow. I should call get_weather with the city, then ` +
    `summarise the forecast in one sentence.`;
}

let sink: unknown;

export function register(bench: Bench): void {
  const texts = Array.from({ length: POOL }, (_, i) => thought(i));
  const misses = Array.from({ length: POOL }, (_, i) => thought(i + 1_000_000));
  const keys = texts.map(signatureKey);

  const reads = new SignatureCache({ timers: NO_TIMERS });
  for (const t of texts) reads.set("gemini-3-pro-preview", t, SIG, "gemini");

  // Set at steady state: the group is full, every set inserts a new entry and evicts the oldest.
  const writes = new SignatureCache({ timers: NO_TIMERS });
  const setTexts = Array.from({ length: 2 * MAX_ENTRIES_PER_GROUP }, (_, i) => thought(i));
  for (let i = 0; i < MAX_ENTRIES_PER_GROUP; i++) writes.set("claude-sonnet-4-5", setTexts[i]!, SIG, "claude");

  // The mix: 8 groups of 1,000 entries, 9 reads (hits) for every write, groups interleaved.
  const MODELS = ["gemini-3-pro", "claude-opus-4", "gpt-5", "kimi-k2", "deepseek-r1", "qwen3", "glm-4.6", "grok-4"];
  const mixed = new SignatureCache({ timers: NO_TIMERS });
  for (const m of MODELS) for (let i = 0; i < 1000; i++) mixed.set(m, texts[i]!, SIG);

  let r = 0;
  let w = MAX_ENTRIES_PER_GROUP;
  let x = 0;
  bench
    .add(
      "signature cache: get hit",
      perCall(BATCH, () => {
        sink = reads.get("gemini-3-pro-preview", texts[r++ & (POOL - 1)]!);
      }),
    )
    .add(
      "signature cache: get miss (gemini sentinel)",
      perCall(BATCH, () => {
        sink = reads.get("gemini-2.5-pro", misses[r++ & (POOL - 1)]!);
      }),
    )
    .add(
      "signature cache: get miss (unknown group, no hash)",
      perCall(BATCH, () => {
        sink = reads.get("claude-sonnet-4", texts[r++ & (POOL - 1)]!);
      }),
    )
    .add(
      "signature cache: set (full group, evicts)",
      perCall(BATCH, () => {
        sink = writes.set("claude-sonnet-4-5", setTexts[w]!, SIG, "claude");
        w = (w + 1) % setTexts.length;
      }),
    )
    .add(
      "signature cache: mix 8 groups, 90% get / 10% set",
      perCall(BATCH, () => {
        const i = x++;
        const model = MODELS[i & 7]!;
        if (i % 10 === 9) sink = mixed.set(model, texts[(i >> 3) & 1023]!, SIG);
        else sink = mixed.get(model, texts[(i * 7) % 1000]!);
      }),
    )
    .add(
      "signature cache: key only (sha256 → 16 hex)",
      perCall(BATCH, () => {
        sink = signatureKey(texts[r++ & (POOL - 1)]!);
      }),
    )
    .add(
      "signature cache: get hit by key (no hash)",
      perCall(BATCH, () => {
        sink = reads.lookupKey("gemini", keys[r++ & (POOL - 1)]!);
      }),
    );
}

/** Keeps the results observable. */
export function consumed(): unknown {
  return sink;
}
