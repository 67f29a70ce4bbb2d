/**
 * The text → key memo: bounded by characters and by entries, oldest first out, long texts never remembered, texts that
 * share a fingerprint kept apart (and at most MAX_SAME_FINGERPRINT of them), and the same keys with and without it (in
 * the memo and through the cache).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  KEY_MEMO_MAX_CHARS,
  KEY_MEMO_MAX_ENTRIES,
  KEY_MEMO_MAX_TEXT_LENGTH,
  KeyMemo,
  MAX_SAME_FINGERPRINT,
  SignatureCache,
  signatureKey,
  textFingerprint,
} from "../../../plugins/signature-cache/mod.ts";
import { ManualClock, ManualTimers, sig } from "./helpers.ts";

/** signatureKey, counting its calls per text. */
function counting() {
  const calls = new Map<string, number>();
  const derive = (text: string) => {
    calls.set(text, (calls.get(text) ?? 0) + 1);
    return signatureKey(text);
  };
  return { calls, derive, total: () => [...calls.values()].reduce((a, b) => a + b, 0) };
}

/** A text of exactly `n` characters, distinct per `i`. */
function text(i: number, n = 10): string {
  const head = `t${i}:`;
  return head + "x".repeat(Math.max(0, n - head.length));
}

/** A copy of `s` that is a different string object (so the engine has not hashed it yet). */
function copyOf(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

describe("KeyMemo", () => {
  test("defaults: 4 Mi characters, 32,768 texts, texts up to 64 Ki characters", () => {
    const memo = new KeyMemo();
    assert.equal(memo.maxChars, KEY_MEMO_MAX_CHARS);
    assert.equal(memo.maxEntries, KEY_MEMO_MAX_ENTRIES);
    assert.equal(memo.maxTextLength, KEY_MEMO_MAX_TEXT_LENGTH);
    assert.equal(KEY_MEMO_MAX_CHARS, 4 * 1024 * 1024);
    assert.equal(KEY_MEMO_MAX_TEXT_LENGTH, 64 * 1024);
  });

  test("each distinct text is hashed once, equal strings included; the key is signatureKey's", () => {
    const { calls, derive, total } = counting();
    const memo = new KeyMemo({}, derive);
    const texts = ["I think", "é日😀 thought", "x".repeat(5000)];
    for (let round = 0; round < 3; round++) {
      for (const t of texts) assert.equal(memo.key(round === 0 ? t : copyOf(t)), signatureKey(t));
    }
    assert.equal(total(), 3);
    for (const t of texts) assert.equal(calls.get(t), 1);
    assert.equal(memo.size, 3);
    assert.equal(memo.chars, 7 + "é日😀 thought".length + 5000);
  });

  test("bounded by characters: the oldest texts go until the new one fits", () => {
    const memo = new KeyMemo({ maxChars: 100, maxEntries: 1000, maxTextLength: 100 });
    for (let i = 0; i < 10; i++) memo.key(text(i)); // 10 × 10 = 100 characters: full
    assert.equal(memo.chars, 100);
    assert.equal(memo.size, 10);
    memo.key(text(10, 25)); // needs 25: t0, t1, t2 go (30 characters)
    assert.equal(memo.size, 8);
    assert.equal(memo.chars, 95);
    assert.deepEqual(memo.texts(), [3, 4, 5, 6, 7, 8, 9].map((i) => text(i)).concat(text(10, 25)));
    assert.equal(memo.has(text(0)), false);
    assert.equal(memo.has(text(3)), true);
    memo.key(text(11, 100)); // a text of maxChars empties the memo
    assert.deepEqual(memo.texts(), [text(11, 100)]);
    assert.equal(memo.chars, 100);
  });

  test("bounded by entries: the oldest text goes first", () => {
    const memo = new KeyMemo({ maxChars: 1_000_000, maxEntries: 4 });
    for (let i = 0; i < 4; i++) memo.key(text(i));
    memo.key(text(4));
    assert.deepEqual(memo.texts(), [1, 2, 3, 4].map((i) => text(i)));
    memo.key(text(5));
    memo.key(text(6));
    assert.deepEqual(memo.texts(), [3, 4, 5, 6].map((i) => text(i)));
    assert.equal(memo.chars, 40);
  });

  test("oldest inserted first, not least recently used: a hit does not refresh", () => {
    const { derive, total } = counting();
    const memo = new KeyMemo({ maxEntries: 3 }, derive);
    for (let i = 0; i < 3; i++) memo.key(text(i));
    memo.key(copyOf(text(0))); // a hit
    assert.equal(total(), 3);
    memo.key(text(3)); // text 0 is still the oldest inserted
    assert.deepEqual(memo.texts(), [1, 2, 3].map((i) => text(i)));
    assert.equal(memo.key(text(0)), signatureKey(text(0)), "an evicted text is hashed again, same key");
    assert.equal(total(), 5);
    assert.deepEqual(memo.texts(), [2, 3, 0].map((i) => text(i)));
  });

  test("eviction order holds over many turnovers", () => {
    const memo = new KeyMemo({ maxEntries: 100, maxChars: 1_000_000 });
    for (let i = 0; i < 50_000; i++) memo.key(text(i));
    assert.deepEqual(memo.texts(), Array.from({ length: 100 }, (_, j) => text(49_900 + j)));
    assert.equal(memo.chars, 100 * 10);
    // Mixed lengths: the character bound drives eviction, order still oldest first.
    const mixed = new KeyMemo({ maxEntries: 1000, maxChars: 5_000 });
    const lengths: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const n = 10 + ((i * 37) % 90);
      lengths.push(n);
      mixed.key(text(i, n));
      assert.ok(mixed.chars <= 5_000);
    }
    const kept = mixed.texts();
    const first = 20_000 - kept.length;
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, j) => text(first + j, lengths[first + j])));
    assert.equal(mixed.chars, kept.reduce((a, t) => a + t.length, 0));
  });

  test("texts with the same fingerprint are told apart; a fingerprint holds at most MAX_SAME_FINGERPRINT texts", () => {
    // 200 characters: 12 at each end and 8 in the middle are sampled (positions 23, 45, …, 177), not position 100.
    const variant = (ch: string) => "a".repeat(100) + ch + "a".repeat(99);
    const texts = ["b", "c", "d", "e", "f", "g"].map(variant);
    for (const t of texts) assert.equal(textFingerprint(t), textFingerprint(texts[0]!));
    assert.notEqual(textFingerprint("b" + "a".repeat(199)), textFingerprint(texts[0]!), "an end character counts");
    assert.notEqual(textFingerprint(variant("b") + "a"), textFingerprint(texts[0]!), "the length counts");
    const { derive, total } = counting();
    const memo = new KeyMemo({}, derive);
    for (const t of texts) assert.equal(memo.key(t), signatureKey(t));
    assert.equal(MAX_SAME_FINGERPRINT, 4);
    assert.deepEqual(memo.texts(), texts.slice(0, 4), "the fifth and sixth are not remembered");
    for (const t of texts) assert.equal(memo.key(copyOf(t)), signatureKey(t), "each its own key");
    assert.equal(total(), 6 + 2, "only the two over the limit are hashed again");
  });

  test("evicting from a shared fingerprint keeps the others (the oldest is the bucket's last)", () => {
    const variant = (ch: string) => "a".repeat(100) + ch + "a".repeat(99);
    const memo = new KeyMemo({ maxEntries: 3 });
    memo.key(variant("1"));
    memo.key("other");
    memo.key(variant("2"));
    memo.key(variant("3")); // variant 1 goes: the last of its bucket
    assert.deepEqual(memo.texts(), ["other", variant("2"), variant("3")]);
    assert.equal(memo.has(variant("1")), false);
    assert.equal(memo.has(variant("2")), true);
    memo.key(variant("4")); // "other" goes
    memo.key(variant("5")); // variant 2 goes, from the middle-aged end of a bucket of three
    assert.deepEqual(memo.texts(), [variant("3"), variant("4"), variant("5")]);
    for (const ch of "345") assert.equal(memo.key(variant(ch)), signatureKey(variant(ch)));
    assert.equal(memo.size, 3);
  });

  test("random traffic with many collisions matches a plain FIFO model", () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      return (seed >>> 8) % n;
    };
    // 40-character texts: positions 13 and 15 are sampled for the fingerprint, the even ones from 12 to 26 are not, so
    // the 60 texts fall into at most 4 fingerprints (more than MAX_SAME_FINGERPRINT texts each).
    const pool = Array.from({ length: 60 }, () => {
      const chars = [..."p".repeat(40)];
      chars[13] = "xy"[rnd(2)]!;
      chars[15] = "xy"[rnd(2)]!;
      for (let i = 12; i <= 26; i += 2) chars[i] = "xy"[rnd(2)]!;
      return chars.join("");
    });
    assert.ok(new Set(pool.map(textFingerprint)).size <= 4);
    const limits = { maxEntries: 12, maxChars: 400, maxTextLength: 40 };
    const memo = new KeyMemo(limits);
    const model: string[] = [];
    let shared = 0;
    let refused = 0;
    let evicted = 0;
    for (let step = 0; step < 5000; step++) {
      const t = copyOf(pool[rnd(pool.length)]!);
      const key = memo.key(t);
      assert.equal(key, signatureKey(t));
      if (!model.includes(t)) {
        const same = model.filter((m) => textFingerprint(m) === textFingerprint(t)).length;
        if (same > 0) shared++;
        if (t.length <= limits.maxTextLength && same < MAX_SAME_FINGERPRINT) {
          const chars = () => model.reduce((a, m) => a + m.length, 0);
          while (model.length >= limits.maxEntries || chars() + t.length > limits.maxChars) {
            model.shift();
            evicted++;
          }
          model.push(t);
        } else refused++;
      }
      assert.deepEqual(memo.texts(), model, `step ${step}`);
      assert.equal(memo.chars, model.reduce((a, m) => a + m.length, 0));
    }
    assert.ok(
      shared > 500 && refused > 50 && evicted > 500,
      `shared ${shared}, refused ${refused}, evicted ${evicted}`,
    );
  });

  test("texts longer than maxTextLength are hashed every time and never remembered", () => {
    const { derive, total } = counting();
    const memo = new KeyMemo({ maxTextLength: 64 }, derive);
    const long = "y".repeat(65);
    assert.equal(memo.key(long), signatureKey(long));
    assert.equal(memo.key(long), signatureKey(long));
    assert.equal(total(), 2);
    assert.equal(memo.size, 0);
    assert.equal(memo.chars, 0);
    memo.key("y".repeat(64));
    assert.equal(memo.size, 1, "exactly maxTextLength is remembered");
    // The default: 64 Ki characters.
    const memo2 = new KeyMemo();
    const big = "z".repeat(64 * 1024 + 1);
    assert.equal(memo2.key(big), signatureKey(big));
    assert.equal(memo2.size, 0);
    assert.equal(memo2.key(big.slice(1)), signatureKey(big.slice(1)));
    assert.equal(memo2.size, 1);
  });

  test("maxEntries 0 remembers nothing; clear forgets everything", () => {
    const none = new KeyMemo({ maxEntries: 0 });
    assert.equal(none.key("abc"), "ba7816bf8f01cfea");
    assert.equal(none.size, 0);
    const memo = new KeyMemo();
    for (let i = 0; i < 10; i++) memo.key(text(i));
    memo.clear();
    assert.equal(memo.size, 0);
    assert.equal(memo.chars, 0);
    for (let i = 10; i < 20; i++) memo.key(text(i));
    assert.deepEqual(memo.texts(), Array.from({ length: 10 }, (_, j) => text(10 + j)));
  });
});

describe("SignatureCache with the key memo", () => {
  const SIG = sig(64, "memo");

  function caches() {
    const clock = new ManualClock();
    const timers = new ManualTimers();
    return {
      memo: new SignatureCache({ now: clock.now, timers }),
      plain: new SignatureCache({ now: clock.now, timers, keyMemo: false }),
    };
  }

  test("get, set, lookup and delete agree with and without the memo, on equal strings too", () => {
    const { memo, plain } = caches();
    assert.notEqual(memo.keyMemo, null);
    assert.equal(plain.keyMemo, null);
    const texts = [
      "I think",
      "é日😀",
      "\ud800 lone",
      "x".repeat(70_000),
      ...Array.from({ length: 50 }, (_, i) => text(i)),
    ];
    for (const [i, t] of texts.entries()) {
      assert.equal(memo.set("claude-sonnet-4", t, SIG + i, "claude"), true);
      assert.equal(plain.set("claude-sonnet-4", t, SIG + i, "claude"), true);
    }
    for (const [i, t] of texts.entries()) {
      const c = copyOf(t);
      assert.equal(memo.get("claude-opus-4", c), SIG + i);
      assert.equal(plain.get("claude-opus-4", c), SIG + i);
      assert.equal(memo.lookupKey("claude", signatureKey(t))?.signature, SIG + i, "stored under signatureKey(text)");
    }
    assert.equal(memo.get("claude-opus-4", "never stored"), plain.get("claude-opus-4", "never stored"));
    assert.equal(memo.delete("claude-x", copyOf(texts[0]!)), true);
    assert.equal(memo.get("claude-x", texts[0]!), "");
    assert.equal(memo.size, plain.size - 1);
  });

  test("the cache hashes a text once across sets and gets; the 64 Ki+ text is not remembered", () => {
    const { memo } = caches();
    const km = memo.keyMemo!;
    memo.set("gemini-2.5-pro", "a thought", SIG);
    assert.equal(km.size, 1);
    for (let i = 0; i < 5; i++) memo.get("gemini-3-pro", copyOf("a thought"));
    assert.equal(km.size, 1);
    assert.deepEqual(km.texts(), ["a thought"]);
    memo.get("gemini-2.5-pro", "z".repeat(70_000));
    assert.equal(km.size, 1);
    memo.get("kimi-k2", "unknown group: not even hashed");
    assert.equal(km.has("unknown group: not even hashed"), false);
  });

  test("custom bounds reach the memo; clear() and dispose() empty it", () => {
    const cache = new SignatureCache({ timers: new ManualTimers(), keyMemo: { maxEntries: 2 } });
    for (let i = 0; i < 5; i++) cache.set("claude-sonnet-4", text(i), SIG);
    assert.deepEqual(cache.keyMemo!.texts(), [text(3), text(4)]);
    assert.equal(cache.get("claude-sonnet-4", text(0)), SIG, "the cache keeps what the memo forgot");
    cache.clear("claude-sonnet-4");
    assert.equal(cache.keyMemo!.size, 2, "dropping one group leaves the memo");
    cache.clear();
    assert.equal(cache.keyMemo!.size, 0);
    cache.set("claude-sonnet-4", text(9), SIG);
    cache.dispose();
    assert.equal(cache.keyMemo!.size, 0);
  });
});
