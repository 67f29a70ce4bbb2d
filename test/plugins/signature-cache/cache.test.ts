/**
 * The cache itself with an injected clock and manual timers (no sleeping): TTL sliding and expiry, minimum length, the
 * Gemini sentinel, the per-group LRU bound, group eviction, purge and the clears (modules.md §2, vectors 10–13).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  GEMINI_SENTINEL,
  MAX_ENTRIES_PER_GROUP,
  MAX_GROUPS,
  PURGE_INTERVAL_MS,
  SignatureCache,
  signatureKey,
} from "../../../plugins/signature-cache/mod.ts";
import { HOUR, ManualClock, ManualTimers, MINUTE, sig } from "./helpers.ts";

function setup(extra: { maxEntriesPerGroup?: number; maxGroups?: number } = {}) {
  const clock = new ManualClock();
  const timers = new ManualTimers();
  const cache = new SignatureCache({ now: clock.now, timers, ...extra });
  return { clock, timers, cache };
}

const SIG = sig(64, "gem");

describe("SignatureCache: get and set", () => {
  test("a stored signature is found by model group and text", () => {
    const { cache } = setup();
    assert.equal(cache.set("gemini-2.5-pro", "I think", SIG, "gemini"), true);
    assert.equal(cache.get("gemini-2.5-pro", "I think"), SIG);
    assert.equal(cache.get("gemini-3-pro-preview", "I think"), SIG, "same group");
    const hit = cache.lookup("gemini-flash", "I think");
    assert.equal(hit?.signature, SIG);
    assert.equal(hit?.format, "gemini");
    assert.equal(cache.get("claude-sonnet-4", "I think"), "", "another group");
    assert.equal(cache.lookupKey("gemini", signatureKey("I think"))?.signature, SIG);
  });

  test("models of different groups asked in turn each get their own group (the last model's group is remembered)", () => {
    const { cache } = setup();
    const claude = sig(64, "cla");
    cache.set("claude-sonnet-4-5", "same thought", claude, "claude");
    cache.set("gemini-2.5-pro", "same thought", SIG, "gemini");
    const fresh = (s: string) => JSON.parse(JSON.stringify(s)) as string;
    for (let i = 0; i < 3; i++) {
      assert.equal(cache.get("gemini-2.5-pro", "same thought"), SIG);
      assert.equal(cache.get("claude-sonnet-4-5", "same thought"), claude);
      assert.equal(cache.get(fresh("claude-sonnet-4-5"), "same thought"), claude, "an equal model name");
      assert.equal(cache.get("gpt-5", "same thought"), "");
      assert.equal(cache.get("", "same thought"), "", "the empty model name is its own (empty) group");
      assert.equal(cache.hasValidSignature("gemini-3-pro", GEMINI_SENTINEL), true);
      assert.equal(cache.hasValidSignature("claude-opus-4", GEMINI_SENTINEL), false);
    }
    assert.deepEqual(cache.groups(), ["claude", "gemini"]);
  });

  test("vector 11: a 49-character signature is not stored, a 50-character one is", () => {
    const { cache } = setup();
    assert.equal(cache.set("claude-sonnet-4", "t49", sig(49)), false);
    assert.equal(cache.get("claude-sonnet-4", "t49"), "");
    assert.equal(cache.set("claude-sonnet-4", "t50", sig(50)), true);
    assert.equal(cache.get("claude-sonnet-4", "t50"), sig(50));
    assert.equal(cache.set("claude-sonnet-4", "", sig(60)), false, "an empty text is not stored");
    assert.equal(cache.size, 1);
  });

  test('vector 11: a miss is the sentinel for gemini-*, "" for claude-* and other groups', () => {
    const { cache } = setup();
    assert.equal(cache.get("gemini-2.5-pro", "never stored"), GEMINI_SENTINEL);
    assert.equal(cache.get("claude-opus-4", "never stored"), "");
    assert.equal(cache.get("gpt-5", "never stored"), "");
    assert.equal(cache.get("kimi-k2", "never stored"), "");
    assert.equal(cache.lookup("gemini-2.5-pro", "never stored"), undefined, "lookup says miss plainly");
  });

  test("an empty text answers the sentinel for gemini even when the group has entries", () => {
    const { cache } = setup();
    cache.set("gemini-2.5-pro", "x", SIG);
    assert.equal(cache.get("gemini-2.5-pro", ""), GEMINI_SENTINEL);
    assert.equal(cache.get("claude-3", ""), "");
    assert.equal(cache.lookup("gemini-2.5-pro", ""), undefined);
  });

  test("storing again replaces the signature and its format", () => {
    const { cache } = setup();
    cache.set("claude-sonnet-4", "t", sig(60, "a"), "claude");
    cache.set("claude-sonnet-4", "t", sig(60, "b"), "gemini");
    assert.equal(cache.get("claude-sonnet-4", "t"), sig(60, "b"));
    assert.equal(cache.lookup("claude-sonnet-4", "t")?.format, "gemini");
    assert.equal(cache.size, 1);
  });

  test("hasValidSignature: long enough, or the sentinel for the gemini group only", () => {
    const { cache } = setup();
    assert.equal(cache.hasValidSignature("claude-3", sig(50)), true);
    assert.equal(cache.hasValidSignature("claude-3", sig(49)), false);
    assert.equal(cache.hasValidSignature("claude-3", ""), false);
    assert.equal(cache.hasValidSignature("gemini-2.5-pro", GEMINI_SENTINEL), true);
    assert.equal(cache.hasValidSignature("claude-3", GEMINI_SENTINEL), false);
  });
});

describe("SignatureCache: sliding TTL", () => {
  test("vector 12: set at 0h → hits at 2h and 4h → miss at 7h01m", () => {
    const { clock, cache } = setup();
    cache.set("gemini-2.5-pro", "t", SIG);
    clock.advance(2 * HOUR);
    assert.equal(cache.get("gemini-2.5-pro", "t"), SIG, "2h");
    clock.advance(2 * HOUR);
    assert.equal(cache.get("gemini-2.5-pro", "t"), SIG, "4h: 2h after the refresh");
    clock.advance(3 * HOUR + MINUTE);
    assert.equal(cache.get("gemini-2.5-pro", "t"), GEMINI_SENTINEL, "7h01m: 3h01m after the last hit");
    assert.equal(cache.size, 0, "the expired entry is dropped on read");
  });

  test("without reads an entry expires 3h after it was stored; exactly 3h is still a hit", () => {
    const { clock, cache } = setup();
    cache.set("claude-opus-4", "a", SIG);
    cache.set("claude-opus-4", "b", SIG);
    clock.advance(3 * HOUR);
    assert.equal(cache.get("claude-opus-4", "a"), SIG);
    clock.advance(1);
    assert.equal(cache.get("claude-opus-4", "b"), "");
    assert.equal(cache.lookup("claude-opus-4", "a")?.signature, SIG, "a was refreshed at 3h");
  });

  test("a write refreshes the time too", () => {
    const { clock, cache } = setup();
    cache.set("gpt-5", "t", SIG);
    clock.advance(2 * HOUR);
    cache.set("gpt-5", "t", SIG);
    clock.advance(2 * HOUR);
    assert.equal(cache.get("gpt-5", "t"), SIG);
  });
});

describe("SignatureCache: bounds", () => {
  test("vector 13: the 10,001st set evicts the group's oldest entry", () => {
    const { cache } = setup();
    for (let i = 0; i < MAX_ENTRIES_PER_GROUP; i++) cache.set("claude-sonnet-4", `t${i}`, SIG);
    assert.equal(cache.groupSize("claude"), MAX_ENTRIES_PER_GROUP);
    cache.set("claude-sonnet-4", "one more", SIG);
    assert.equal(cache.groupSize("claude"), MAX_ENTRIES_PER_GROUP);
    assert.equal(cache.lookup("claude-sonnet-4", "t0"), undefined, "the oldest went");
    assert.equal(cache.lookup("claude-sonnet-4", "t1")?.signature, SIG);
    assert.equal(cache.lookup("claude-sonnet-4", "one more")?.signature, SIG);
  });

  test("a read makes an entry the newest: the least recently used one is evicted", () => {
    const { cache } = setup({ maxEntriesPerGroup: 3 });
    cache.set("claude-x", "a", SIG);
    cache.set("claude-x", "b", SIG);
    cache.set("claude-x", "c", SIG);
    assert.equal(cache.get("claude-x", "a"), SIG);
    cache.set("claude-x", "d", SIG);
    assert.equal(cache.lookup("claude-x", "b"), undefined, "b was the least recently used");
    for (const t of ["a", "c", "d"]) assert.equal(cache.lookup("claude-x", t)?.signature, SIG, t);
  });

  test("under churn the group holds exactly what a reference LRU holds", () => {
    const { clock, cache } = setup({ maxEntriesPerGroup: 4 });
    // The reference: texts from least to most recently used.
    const model: string[] = [];
    const touch = (t: string) => {
      const i = model.indexOf(t);
      if (i !== -1) model.splice(i, 1);
      model.push(t);
    };
    for (let i = 0; i < 200; i++) {
      const t = `t${(i * 7) % 13}`;
      if (i % 3 === 0) {
        const hit = cache.lookup("claude-x", t) !== undefined;
        assert.equal(hit, model.includes(t), `read ${t} at step ${i}`);
        if (hit) touch(t);
      } else {
        cache.set("claude-x", t, sig(60, t));
        touch(t);
        if (model.length > 4) model.shift();
      }
      clock.advance(1000);
    }
    assert.equal(cache.groupSize("claude"), model.length);
    for (const t of model) assert.equal(cache.get("claude-x", t), sig(60, t));
    clock.advance(3 * HOUR + 1);
    assert.equal(cache.purge(), model.length);
    assert.equal(cache.size, 0);
  });

  test("a bound is per group: a full group does not evict another group's entries", () => {
    const { cache } = setup({ maxEntriesPerGroup: 2 });
    cache.set("gemini-a", "g1", SIG);
    for (const t of ["c1", "c2", "c3"]) cache.set("claude-a", t, SIG);
    assert.equal(cache.lookup("gemini-a", "g1")?.signature, SIG);
    assert.equal(cache.groupSize("claude"), 2);
  });

  test("vector 13: the 65th group evicts the least recently written group, not the least recently read", () => {
    const { cache } = setup();
    for (let i = 0; i < MAX_GROUPS; i++) cache.set(`model-${i}`, "t", SIG);
    assert.equal(cache.groups().length, MAX_GROUPS);
    // model-0 is read (not written) and model-1 written again: model-2 is now the least recently written.
    assert.equal(cache.get("model-0", "t"), SIG);
    cache.set("model-1", "t2", SIG);
    cache.set("model-64", "t", SIG);
    assert.equal(cache.groups().length, MAX_GROUPS);
    assert.equal(cache.lookup("model-0", "t"), undefined, "model-0 was written least recently");
    cache.set("model-65", "t", SIG);
    assert.equal(cache.lookup("model-2", "t"), undefined, "then model-2 (model-1 was written again)");
    assert.equal(cache.lookup("model-1", "t")?.signature, SIG);
    assert.equal(cache.lookup("model-65", "t")?.signature, SIG);
  });
});

describe("SignatureCache: purge", () => {
  test("removes expired entries, then empty groups; live entries stay", () => {
    const { clock, cache } = setup();
    cache.set("gemini-a", "old", SIG);
    cache.set("claude-a", "old", SIG);
    clock.advance(2 * HOUR);
    cache.set("claude-a", "new", SIG);
    clock.advance(HOUR + MINUTE);
    assert.equal(cache.purge(), 2);
    assert.deepEqual(cache.groups(), ["claude"]);
    assert.equal(cache.lookup("claude-a", "new")?.signature, SIG);
    assert.equal(cache.size, 1);
  });

  test("an entry refreshed by a read is not purged, even when it was stored first", () => {
    const { clock, cache } = setup();
    cache.set("claude-a", "first", SIG);
    cache.set("claude-a", "second", SIG);
    clock.advance(2 * HOUR);
    cache.get("claude-a", "first");
    clock.advance(HOUR + MINUTE);
    assert.equal(cache.purge(), 1);
    assert.equal(cache.lookup("claude-a", "first")?.signature, SIG);
    assert.equal(cache.lookup("claude-a", "second"), undefined);
  });

  test("the timer starts lazily on the first store, every 10 minutes, runs purge, and stops on dispose", () => {
    const { clock, timers, cache } = setup();
    cache.get("gemini-a", "x");
    assert.equal(timers.started, 0, "a read does not start it");
    assert.equal(cache.purging, false);
    cache.set("gemini-a", "x", SIG);
    cache.set("gemini-a", "y", SIG);
    assert.equal(timers.started, 1, "started once");
    assert.equal([...timers.active.values()][0]!.ms, PURGE_INTERVAL_MS);
    clock.advance(3 * HOUR + 1);
    timers.tick();
    assert.equal(cache.size, 0);
    assert.deepEqual(cache.groups(), []);
    cache.dispose();
    assert.equal(timers.active.size, 0, "cleared on dispose");
    assert.equal(cache.purging, false);
    cache.set("gemini-a", "z", SIG);
    assert.equal(timers.started, 1, "never restarted after dispose");
  });

  test("without an injected clock, time is the system's read once a second by a timer that stops on dispose", async () => {
    const timers = new ManualTimers();
    const cache = new SignatureCache({ timers, ttlMs: 20 });
    cache.set("gemini-a", "x", SIG);
    assert.equal(timers.active.size, 2, "the purge and the clock");
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(cache.get("gemini-a", "x"), SIG, "the clock has not ticked: still fresh");
    timers.tick();
    assert.equal(cache.get("gemini-a", "x"), GEMINI_SENTINEL, "after a tick the entry's age shows");
    cache.dispose();
    assert.equal(timers.active.size, 0);
  });

  test("the real timer is unref'd and cleared on dispose (nothing keeps the process alive)", () => {
    const cache = new SignatureCache();
    cache.set("gemini-a", "x", SIG);
    assert.equal(cache.purging, true);
    cache.dispose();
    assert.equal(cache.purging, false);
  });
});

describe("SignatureCache: clears", () => {
  function filled() {
    const s = setup();
    s.cache.set("gemini-2.5-pro", "g", SIG);
    s.cache.set("claude-sonnet-4", "c", SIG);
    s.cache.set("claude-sonnet-4", "c2", SIG);
    s.cache.set("gpt-5", "o", SIG);
    return s;
  }

  test("clear(model) drops that model's group only", () => {
    const { cache } = filled();
    cache.clear("claude-opus-4");
    assert.equal(cache.get("claude-sonnet-4", "c"), "");
    assert.equal(cache.get("gemini-2.5-pro", "g"), SIG);
    assert.equal(cache.get("gpt-5", "o"), SIG);
  });

  test('clear("") and clear() drop every group', () => {
    const a = filled().cache;
    a.clear("");
    assert.equal(a.size, 0);
    assert.deepEqual(a.groups(), []);
    const b = filled().cache;
    b.clear();
    assert.equal(b.size, 0);
  });

  test("delete removes one entry; clearGroup drops a group by name", () => {
    const { cache } = filled();
    assert.equal(cache.delete("claude-sonnet-4", "c"), true);
    assert.equal(cache.delete("claude-sonnet-4", "c"), false);
    assert.equal(cache.get("claude-sonnet-4", "c2"), SIG);
    assert.equal(cache.delete("gemini-2.5-pro", "g"), true);
    assert.equal(cache.groups().includes("gemini"), false, "an emptied group goes");
    assert.equal(cache.clearGroup("gpt"), true);
    assert.equal(cache.clearGroup("gpt"), false);
    assert.deepEqual(cache.groups(), ["claude"]);
  });
});
