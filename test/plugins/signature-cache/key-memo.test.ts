/**
 * The text → key memo: bounded by characters and by entries (two generations of half the bounds each, the older one
 * dropped whole), long texts never remembered, texts that share a fingerprint kept apart (at most MAX_SAME_FINGERPRINT
 * per generation), and the same keys with and without it (in the memo and through the cache).
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

/** The remembered texts, each generation sorted (the order inside a generation is not specified). */
function gens(memo: KeyMemo): { older: string[]; newer: string[] } {
  const g = memo.generations();
  return { older: g.older.sort(), newer: g.newer.sort() };
}

/** `texts` sorted, for comparing with {@link gens}. */
const sorted = (texts: string[]) => [...texts].sort();

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

  test("bounded by characters: a generation holds half of them; when the newer is full the older goes", () => {
    const memo = new KeyMemo({ maxChars: 200, maxEntries: 1000 });
    assert.equal(memo.maxTextLength, 100, "no text longer than a generation");
    const first = Array.from({ length: 10 }, (_, i) => text(i)); // 10 × 10 = 100 characters: the newer is full
    for (const t of first) memo.key(t);
    assert.deepEqual(gens(memo), { older: [], newer: sorted(first) });
    memo.key(text(10, 25)); // does not fit: the newer becomes the older
    assert.deepEqual(gens(memo), { older: sorted(first), newer: [text(10, 25)] });
    assert.equal(memo.chars, 125);
    const thirty = [11, 12, 13].map((i) => text(i, 30));
    for (const t of thirty) memo.key(t); // 25 + 30 + 30 = 85; the third does not fit: the first ten go
    assert.deepEqual(gens(memo), { older: sorted([text(10, 25), thirty[0]!, thirty[1]!]), newer: [thirty[2]!] });
    assert.equal(memo.chars, 115);
    assert.equal(memo.size, 4);
    for (const t of first) assert.equal(memo.has(t), false);
  });

  test("bounded by entries: a generation holds half of them, the older goes whole", () => {
    const memo = new KeyMemo({ maxChars: 1_000_000, maxEntries: 4 });
    for (let i = 0; i < 4; i++) memo.key(text(i));
    assert.deepEqual(gens(memo), { older: [text(0), text(1)], newer: [text(2), text(3)] });
    memo.key(text(4));
    assert.deepEqual(gens(memo), { older: [text(2), text(3)], newer: [text(4)] });
    assert.equal(memo.size, 3);
    assert.equal(memo.chars, 30);
  });

  test("oldest first, not least recently used: a hit does not keep a text", () => {
    const { derive, total } = counting();
    const memo = new KeyMemo({ maxEntries: 4 }, derive);
    for (let i = 0; i < 4; i++) memo.key(text(i));
    memo.key(copyOf(text(0))); // a hit in the older generation
    assert.equal(total(), 4);
    memo.key(text(4)); // text 0 goes with its generation all the same
    assert.equal(memo.has(text(0)), false);
    assert.equal(memo.key(text(0)), signatureKey(text(0)), "a forgotten text is hashed again, same key");
    assert.equal(total(), 6);
    assert.deepEqual(gens(memo), { older: [text(2), text(3)], newer: [text(0), text(4)] });
  });

  test("over many turnovers the memo holds the latest texts, within both bounds", () => {
    const memo = new KeyMemo({ maxEntries: 100, maxChars: 1_000_000 });
    for (let i = 0; i < 50_000; i++) memo.key(text(i));
    assert.deepEqual(gens(memo), {
      older: sorted(Array.from({ length: 50 }, (_, j) => text(49_900 + j))),
      newer: sorted(Array.from({ length: 50 }, (_, j) => text(49_950 + j))),
    });
    assert.equal(memo.chars, 100 * 10);
    // Mixed lengths: the character bound drives the turnover; what is kept is always the latest texts.
    const mixed = new KeyMemo({ maxEntries: 1000, maxChars: 5_000 });
    const all: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const t = text(i, 10 + ((i * 37) % 90));
      all.push(t);
      mixed.key(t);
      assert.ok(mixed.chars <= 5_000);
      if (i % 997 === 0 || i === 19_999) {
        const { older, newer } = mixed.generations();
        assert.equal(older.reduce((a, x) => a + x.length, 0), mixed.chars - newer.reduce((a, x) => a + x.length, 0));
        assert.deepEqual(sorted([...older, ...newer]), sorted(all.slice(all.length - mixed.size)));
        assert.ok(older.reduce((a, x) => a + x.length, 0) <= 2_500 && newer.reduce((a, x) => a + x.length, 0) <= 2_500);
      }
    }
  });

  test("texts with the same fingerprint are told apart; a generation keeps at most MAX_SAME_FINGERPRINT of them", () => {
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
    assert.deepEqual(gens(memo).newer, sorted(texts.slice(0, 4)), "the fifth and sixth are not remembered");
    for (const t of texts) assert.equal(memo.key(copyOf(t)), signatureKey(t), "each its own key");
    assert.equal(total(), 6 + 2, "only the two over the limit are hashed again");
  });

  test("shared fingerprints across generations: both are searched, and a generation goes whole", () => {
    const variant = (ch: string) => "a".repeat(100) + ch + "a".repeat(99);
    const { derive, total } = counting();
    const memo = new KeyMemo({ maxEntries: 4 }, derive);
    memo.key(variant("1"));
    memo.key("other");
    memo.key(variant("2")); // the newer is full: variant 1 and "other" become the older
    memo.key(variant("3"));
    assert.deepEqual(gens(memo), { older: sorted([variant("1"), "other"]), newer: [variant("2"), variant("3")] });
    for (const ch of "123") assert.equal(memo.key(copyOf(variant(ch))), signatureKey(variant(ch)));
    assert.equal(total(), 4, "hits in both generations under one fingerprint");
    memo.key(variant("4"));
    assert.deepEqual(gens(memo), { older: [variant("2"), variant("3")], newer: [variant("4")] });
    assert.equal(memo.has(variant("1")), false);
    assert.equal(memo.has("other"), false);
  });

  test("random traffic with many collisions matches a model of two generations", () => {
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
    const limits = { maxEntries: 24, maxChars: 800 }; // a generation: 12 texts, 400 characters (10 of these texts)
    const memo = new KeyMemo(limits);
    let older: string[] = [];
    let newer: string[] = [];
    const chars = (g: string[]) => g.reduce((a, m) => a + m.length, 0);
    let shared = 0;
    let refused = 0;
    let turnovers = 0;
    for (let step = 0; step < 5000; step++) {
      const t = copyOf(pool[rnd(pool.length)]!);
      assert.equal(memo.key(t), signatureKey(t));
      if (!older.includes(t) && !newer.includes(t)) {
        const same = newer.filter((m) => textFingerprint(m) === textFingerprint(t)).length;
        if (same > 0) shared++;
        if (same < MAX_SAME_FINGERPRINT) {
          if (newer.length >= 12 || chars(newer) + t.length > 400) {
            older = newer;
            newer = [];
            turnovers++;
          }
          newer.push(t);
        } else refused++;
      }
      assert.deepEqual(gens(memo), { older: sorted(older), newer: sorted(newer) }, `step ${step}`);
      assert.equal(memo.chars, chars(older) + chars(newer));
    }
    assert.ok(
      shared > 100 && refused > 20 && turnovers > 20,
      `shared ${shared}, refused ${refused}, turnovers ${turnovers}`,
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

  test("fewer than 2 entries remembers nothing; clear forgets everything", () => {
    for (const maxEntries of [0, 1]) {
      const none = new KeyMemo({ maxEntries });
      assert.equal(none.key("abc"), "ba7816bf8f01cfea");
      assert.equal(none.size, 0);
    }
    const memo = new KeyMemo({ maxEntries: 8 });
    for (let i = 0; i < 6; i++) memo.key(text(i));
    memo.clear();
    assert.equal(memo.size, 0);
    assert.equal(memo.chars, 0);
    assert.deepEqual(gens(memo), { older: [], newer: [] });
    for (let i = 10; i < 13; i++) memo.key(text(i));
    assert.deepEqual(gens(memo), { older: [], newer: [text(10), text(11), text(12)] });
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
    assert.deepEqual(gens(km), { older: [], newer: ["a thought"] });
    memo.get("gemini-2.5-pro", "z".repeat(70_000));
    assert.equal(km.size, 1);
    memo.get("kimi-k2", "unknown group: not even hashed");
    assert.equal(km.has("unknown group: not even hashed"), false);
  });

  test("custom bounds reach the memo; clear() and dispose() empty it", () => {
    const cache = new SignatureCache({ timers: new ManualTimers(), keyMemo: { maxEntries: 2 } });
    for (let i = 0; i < 5; i++) cache.set("claude-sonnet-4", text(i), SIG);
    assert.deepEqual(gens(cache.keyMemo!), { older: [text(3)], newer: [text(4)] });
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
