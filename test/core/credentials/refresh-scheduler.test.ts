import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type AuthRecord, parseAuthRecord } from "../../../core/credentials/auth-record.ts";
import {
  exponentialRefreshBackoff,
  flatRefreshBackoff,
  refreshDueAt,
  type RefreshTiming,
} from "../../../core/credentials/refresh-policy.ts";
import {
  type RefreshOutcome,
  RefreshScheduler,
  type RefreshSchedulerOptions,
  type RefreshType,
} from "../../../core/credentials/refresh-scheduler.ts";
import type { JsonObject } from "../../../core/formats/wire-format.ts";
import { deferred, FakeTimers, settle } from "./fake-timers.ts";

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** CPA's lead times (§5.2), as the provider plugins will register them: data, not core code. */
const LEADS: Record<string, number> = {
  claude: 4 * HOUR,
  codex: 5 * DAY,
  antigravity: 5 * MIN,
  kimi: 5 * MIN,
  xai: 5 * MIN,
};

function rec(obj: JsonObject, id = `${String(obj["type"])}-${String(obj["email"] ?? "x")}.json`): AuthRecord {
  const r = parseAuthRecord({ id, path: `/auth/${id}`, text: JSON.stringify(obj) });
  assert.equal(r.kind, "record");
  return (r as { record: AuthRecord }).record;
}

const iso = (ms: number) => new Date(ms).toISOString();

describe("refreshDueAt: the due rule (§5.2)", () => {
  const now = Date.UTC(2026, 0, 1);
  const timing = (leadMs: number, extra: Partial<RefreshTiming> = {}): RefreshTiming => ({
    leadMs,
    unauthorized: false,
    notBefore: 0,
    lastRefreshAt: 0,
    ...extra,
  });
  const due = (r: AuthRecord, t: RefreshTiming, at = now) => {
    const d = refreshDueAt(r, t);
    return d !== null && d <= at;
  };

  test("lead times per type: claude 4 h, codex 5 days, antigravity/kimi/xai 5 min before expiry", () => {
    for (const [type, lead] of Object.entries(LEADS)) {
      const justOutside = rec({ type, expired: iso(now + lead + MIN) });
      const atLead = rec({ type, expired: iso(now + lead) });
      assert.equal(due(justOutside, timing(lead)), false, `${type}: expiry beyond the lead`);
      assert.equal(due(atLead, timing(lead)), true, `${type}: expiry within the lead`);
      assert.equal(refreshDueAt(justOutside, timing(lead)), now + MIN, `${type}: due time`);
    }
  });

  test("an expired credential is due", () => {
    assert.equal(due(rec({ type: "claude", expired: iso(now - HOUR) }), timing(LEADS["claude"]!)), true);
  });

  test("no expiry: due when never refreshed, or when the last refresh is a lead ago", () => {
    const lead = LEADS["claude"]!;
    assert.equal(due(rec({ type: "claude" }), timing(lead)), true, "never refreshed");
    assert.equal(due(rec({ type: "claude", last_refresh: iso(now - HOUR) }), timing(lead)), false);
    assert.equal(due(rec({ type: "claude", last_refresh: iso(now - lead) }), timing(lead)), true);
    assert.equal(
      due(rec({ type: "claude", last_refresh: iso(now - 5 * HOUR) }), timing(lead, { lastRefreshAt: now - MIN })),
      false,
      "a refresh in this process wins over the file's last_refresh",
    );
  });

  test("refresh_interval_seconds: elapsed since the last refresh, or expiry within the interval", () => {
    const lead = LEADS["codex"]!;
    const r1 = rec({ type: "codex", refresh_interval_seconds: 600, last_refresh: iso(now - 5 * MIN) });
    assert.equal(due(r1, timing(lead)), false);
    assert.equal(due(r1, timing(lead), now + 5 * MIN), true);
    const r2 = rec({
      type: "codex",
      refresh_interval_seconds: 600,
      last_refresh: iso(now - MIN),
      expired: iso(now + 9 * MIN),
    });
    assert.equal(due(r2, timing(lead)), true, "expiry within the interval");
    assert.equal(due(rec({ type: "codex", refresh_interval_seconds: 600 }), timing(lead)), true, "never refreshed");
  });

  test("lead ≤ 0: only once expired; never without an expiry", () => {
    assert.equal(due(rec({ type: "x", expired: iso(now + MIN) }), timing(0)), false);
    assert.equal(due(rec({ type: "x", expired: iso(now - MIN) }), timing(0)), true);
    assert.equal(refreshDueAt(rec({ type: "x" }), timing(0)), null);
  });

  test("never while unauthorized; never before notBefore", () => {
    const r = rec({ type: "claude", expired: iso(now - HOUR) });
    assert.equal(refreshDueAt(r, timing(LEADS["claude"]!, { unauthorized: true })), null);
    assert.equal(refreshDueAt(r, timing(LEADS["claude"]!, { notBefore: now + 5 * MIN })), now + 5 * MIN);
  });

  test("backoff curves: the fork's 5, 10, 20, 40, 60, 60 min; upstream's flat 5 min", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 20].map(exponentialRefreshBackoff),
      [5, 10, 20, 40, 60, 60, 60].map((m) => m * MIN),
    );
    assert.deepEqual([1, 2, 6].map(flatRefreshBackoff), [5 * MIN, 5 * MIN, 5 * MIN]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

interface Harness {
  timers: FakeTimers;
  sched: RefreshScheduler;
  calls: { id: string; at: number }[];
  persisted: { id: string; next: JsonObject }[];
  /** What the fake provider does on its next calls (default: success). */
  behave: (record: AuthRecord, signal: AbortSignal) => Promise<RefreshOutcome>;
}

function harness(opts: Partial<RefreshSchedulerOptions> & { leads?: Record<string, number> } = {}): Harness {
  const timers = new FakeTimers();
  const h = { timers, calls: [], persisted: [] } as unknown as Harness;
  h.behave = (r) => Promise.resolve({ record: refreshed(r, timers.now()) });
  const types = new Map<string, RefreshType>();
  for (const [type, leadMs] of Object.entries(opts.leads ?? LEADS)) {
    types.set(type, {
      leadMs,
      refresh: (record, signal) => {
        h.calls.push({ id: record.id, at: timers.now() });
        return h.behave(record, signal);
      },
    });
  }
  h.sched = new RefreshScheduler({
    types,
    timers,
    persist: (record, next) => {
      h.persisted.push({ id: record.id, next });
      return Promise.resolve(rec(next, record.id));
    },
    ...opts,
  });
  return h;
}

/** A successful refresh: new token, expiry one hour on, last_refresh now. */
function refreshed(r: AuthRecord, now: number, expiresIn = HOUR): JsonObject {
  const n = Number(r.raw["n"] ?? 0) + 1;
  return { ...r.raw, n, access_token: `token-${n}`, expired: iso(now + expiresIn), last_refresh: iso(now) };
}

const fail = (status: number, message = "boom"): Promise<RefreshOutcome> =>
  Promise.resolve({ error: { status, message } });

/** Advances the loop one tick at a time until the provider has been called `n` times in total. */
async function runUntilCalls(h: Harness, n: number, maxMs = 10 * HOUR): Promise<void> {
  const end = h.timers.now() + maxMs;
  while (h.calls.length < n) {
    if (h.timers.now() > end) assert.fail(`only ${h.calls.length} of ${n} refreshes in ${maxMs / MIN} min`);
    h.timers.advance(5 * SEC);
    await h.sched.idle();
  }
}

describe("RefreshScheduler", () => {
  test("the loop refreshes due credentials, persists the result and clears the error", async () => {
    const h = harness();
    const now = h.timers.now();
    h.sched.sync([
      rec({ type: "claude", email: "due", expired: iso(now + HOUR) }), // within claude's 4 h
      rec({ type: "codex", email: "later", expired: iso(now + 10 * DAY) }),
      rec({ type: "acme", email: "apikey" }), // no refresh registered: never
    ]);
    h.sched.start();
    await h.sched.idle();
    assert.deepEqual(h.calls.map((c) => c.id), ["claude-due.json"]);
    assert.equal(h.persisted.length, 1);
    assert.equal(h.persisted[0]!.next["access_token"], "token-1");
    const s = h.sched.state("claude-due.json")!;
    assert.equal(s.failures, 0);
    assert.equal(s.lastError, null);
    assert.equal(s.lastRefreshAt, now);
    // Fresh for an hour, but claude's lead is 4 h: still due → the next attempt waits 30 s, not a tight loop.
    assert.equal(s.nextRefreshAt, now + 30 * SEC);
    h.timers.advance(25 * SEC);
    await h.sched.idle();
    assert.equal(h.calls.length, 1);
    h.timers.advance(5 * SEC);
    await h.sched.idle();
    assert.equal(h.calls.length, 2);
    const view = h.sched.snapshot();
    assert.deepEqual(view.map((v) => [v.id, v.autoRefresh]), [
      ["acme-apikey.json", false],
      ["claude-due.json", true],
      ["codex-later.json", true],
    ]);
    assert.equal(view[0]!.nextRefreshAt, null);
    assert.equal(view[2]!.nextRefreshAt, now + 10 * DAY - 5 * DAY);
    h.sched.close();
    assert.equal(h.timers.pending, 0, "close stops the loop");
  });

  test("failure backoff 5 → 10 → 20 → 40 → 60 → 60 min, reset by a success (vector 29, fork)", async () => {
    const h = harness();
    h.behave = () => fail(500);
    h.sched.sync([rec({ type: "kimi", email: "k", expired: iso(h.timers.now() + MIN) })]);
    h.sched.start();
    await h.sched.idle();
    await runUntilCalls(h, 7);
    const gaps = h.calls.slice(1).map((c, i) => (c.at - h.calls[i]!.at) / MIN);
    assert.deepEqual(gaps, [5, 10, 20, 40, 60, 60]);
    const s = h.sched.state("kimi-k.json")!;
    assert.equal(s.failures, 7);
    assert.deepEqual(s.lastError && { status: s.lastError.status, message: s.lastError.message }, {
      status: 500,
      message: "boom",
    });
    assert.equal(s.nextRefreshAt, h.calls.at(-1)!.at + 60 * MIN);

    // A success resets the count...
    h.behave = (r) => Promise.resolve({ record: refreshed(r, h.timers.now(), 6 * MIN) });
    await runUntilCalls(h, 8);
    assert.equal(h.sched.state("kimi-k.json")!.failures, 0);
    assert.equal(h.sched.state("kimi-k.json")!.lastError, null);
    // ...so the next failure waits 5 min again, not 60.
    h.behave = () => fail(503);
    await runUntilCalls(h, 9);
    assert.equal(h.calls[8]!.at - h.calls[7]!.at, MIN, "due again one minute later (6 min expiry, 5 min lead)");
    await runUntilCalls(h, 10);
    assert.equal(h.calls[9]!.at - h.calls[8]!.at, 5 * MIN);
    h.sched.close();
  });

  test("upstream CPA's flat backoff: 5 min after every failure", async () => {
    const h = harness({ backoff: flatRefreshBackoff });
    h.behave = () => fail(500);
    h.sched.sync([rec({ type: "xai", email: "x", expired: iso(h.timers.now()) })]);
    h.sched.start();
    await h.sched.idle();
    await runUntilCalls(h, 4);
    assert.deepEqual(h.calls.slice(1).map((c, i) => (c.at - h.calls[i]!.at) / MIN), [5, 5, 5]);
    h.sched.close();
  });

  test("a thrown error (network) counts as a failure with status 0", async () => {
    const h = harness();
    h.behave = () => Promise.reject(new Error("ECONNRESET"));
    h.sched.sync([rec({ type: "xai", email: "x" })]);
    h.sched.tick();
    await h.sched.idle();
    const s = h.sched.state("xai-x.json")!;
    assert.equal(s.failures, 1);
    assert.deepEqual([s.lastError?.status, s.lastError?.message], [0, "ECONNRESET"]);
  });

  test("401 marks the credential unauthorized and stops auto-refresh until its file changes", async () => {
    const h = harness();
    h.behave = () => fail(401, "invalid_grant");
    const first = rec({ type: "claude", email: "u", expired: iso(h.timers.now()) });
    h.sched.sync([first]);
    h.sched.start();
    await h.sched.idle();
    assert.equal(h.calls.length, 1);
    let s = h.sched.state("claude-u.json")!;
    assert.equal(s.unauthorized, true);
    assert.equal(s.failures, 0);
    assert.equal(s.nextRefreshAt, null);
    assert.equal(s.lastError?.status, 401);
    await runUntilCalls(h, 1);
    h.timers.advance(24 * HOUR);
    await h.sched.idle();
    assert.equal(h.calls.length, 1, "no more attempts");
    const now = await h.sched.refreshNow("claude-u.json");
    assert.deepEqual(now, { ok: false, status: 401, message: "invalid_grant", unauthorized: true });
    assert.equal(h.calls.length, 1, "refreshNow does not retry a refused refresh token");

    // The same content again (our own echo, a no-op rewrite) changes nothing...
    h.sched.sync([first]);
    assert.equal(h.sched.state("claude-u.json")!.unauthorized, true);
    // ...a re-login writes new content: a fresh start.
    h.behave = (r) => Promise.resolve({ record: refreshed(r, h.timers.now(), 10 * HOUR) });
    h.sched.sync([rec({ type: "claude", email: "u", refresh_token: "new", expired: iso(h.timers.now()) })]);
    s = h.sched.state("claude-u.json")!;
    assert.equal(s.unauthorized, false);
    assert.equal(s.lastError, null);
    await runUntilCalls(h, 2, MIN);
    assert.equal(h.sched.state("claude-u.json")!.unauthorized, false);
    h.sched.close();
  });

  test("single-flight: the loop and two on-demand triggers share one provider call", async () => {
    const h = harness();
    const gate = deferred<RefreshOutcome>();
    h.behave = () => gate.promise;
    const r = rec({ type: "codex", email: "c", expired: iso(h.timers.now() + DAY) });
    h.sched.sync([r]);
    h.sched.tick();
    await settle();
    assert.equal(h.calls.length, 1);
    const a = h.sched.refreshNow(r.id);
    const b = h.sched.refreshNow(r.id);
    assert.equal(a, b);
    h.sched.tick(); // already running: not queued again
    gate.resolve({ record: refreshed(r, h.timers.now(), 30 * DAY) });
    const [ra, rb] = await Promise.all([a, b]);
    assert.equal(h.calls.length, 1);
    assert.equal(h.persisted.length, 1);
    assert.ok(ra.ok && rb.ok);
    assert.equal(ra.record, rb.record);
    assert.equal(ra.record.raw["access_token"], "token-1");
    await h.sched.idle();
    assert.equal(h.calls.length, 1);
  });

  test("the worker pool bounds concurrency: N+1 due credentials with N workers → at most N at once", async () => {
    const N = 3;
    const h = harness({ workers: N });
    const gates: ReturnType<typeof deferred<RefreshOutcome>>[] = [];
    let running = 0;
    let peak = 0;
    h.behave = async () => {
      running++;
      peak = Math.max(peak, running);
      const g = deferred<RefreshOutcome>();
      gates.push(g);
      try {
        return await g.promise;
      } finally {
        running--;
      }
    };
    const records = Array.from({ length: N + 1 }, (_, i) => rec({ type: "xai", email: `u${i}` }));
    h.sched.sync(records);
    h.sched.tick();
    await settle();
    assert.equal(h.calls.length, N, "N started");
    assert.equal(h.sched.snapshot().filter((s) => s.pending && !s.refreshing).length, 1, "one waits in the queue");
    gates[0]!.resolve({ error: { status: 500, message: "x" } });
    await settle(20);
    assert.equal(h.calls.length, N + 1, "the queued one starts when a worker frees up");
    for (const g of gates) g.resolve({ error: { status: 500, message: "x" } });
    await h.sched.idle();
    assert.equal(peak, N);
  });

  test("refreshNow on a 401 during a request: one refresh, the new record back; an outdated basis is not refreshed", async () => {
    const h = harness();
    const r = rec({ type: "codex", email: "c", expired: iso(h.timers.now() + 20 * DAY) }); // not due
    h.sched.sync([r]);
    h.sched.start();
    await h.sched.idle();
    assert.equal(h.calls.length, 0);
    const res = await h.sched.refreshNow(r.id, { basis: r });
    assert.ok(res.ok);
    assert.equal(res.refreshed, true);
    assert.equal(res.record.raw["access_token"], "token-1");
    assert.equal(h.calls.length, 1);
    // A second request that failed with the old token: someone already refreshed, no call.
    const again = await h.sched.refreshNow(r.id, { basis: r });
    assert.ok(again.ok);
    assert.equal(again.refreshed, false);
    assert.equal(again.record, res.record);
    assert.equal(h.calls.length, 1);
    // Unknown ids and types without a refresh answer plainly.
    assert.deepEqual(await h.sched.refreshNow("nope.json"), {
      ok: false,
      status: 0,
      message: "no credential nope.json",
      unauthorized: false,
    });
    h.sched.sync([...[res.record], rec({ type: "acme", email: "k" })]);
    assert.equal((await h.sched.refreshNow("acme-k.json")).ok, false);
    h.sched.close();
  });

  test("a failed on-demand refresh counts toward the backoff", async () => {
    const h = harness();
    h.behave = () => fail(500);
    const r = rec({ type: "codex", email: "c", expired: iso(h.timers.now() + 20 * DAY) });
    h.sched.sync([r]);
    const res = await h.sched.refreshNow(r.id);
    assert.deepEqual(res, { ok: false, status: 500, message: "boom", unauthorized: false });
    assert.equal(h.sched.state(r.id)!.failures, 1);
  });

  test("a refresh that hangs is aborted after the timeout and counted as a failure", async () => {
    const h = harness({ timeoutMs: 30 * SEC });
    let aborted = false;
    h.behave = (_r, signal) => {
      signal.addEventListener("abort", () => (aborted = true));
      return new Promise(() => {}); // ignores the signal and never settles
    };
    const r = rec({ type: "xai", email: "x" });
    h.sched.sync([r]);
    h.sched.tick();
    await settle();
    h.timers.advance(30 * SEC);
    await h.sched.idle();
    assert.equal(aborted, true);
    const s = h.sched.state(r.id)!;
    assert.equal(s.failures, 1);
    assert.match(s.lastError!.message, /timed out/);
  });

  test("a credential removed while refreshing: aborted, result discarded, never persisted", async () => {
    const h = harness();
    const gate = deferred<RefreshOutcome>();
    let signal: AbortSignal | null = null;
    h.behave = (_r, s) => {
      signal = s;
      return gate.promise;
    };
    const r = rec({ type: "xai", email: "x" });
    h.sched.sync([r]);
    const p = h.sched.refreshNow(r.id);
    await settle();
    h.sched.sync([]);
    assert.equal(signal!.aborted, true);
    gate.resolve({ record: refreshed(r, h.timers.now()) });
    assert.deepEqual(await p, { ok: false, status: 0, message: "credential removed", unauthorized: false });
    assert.equal(h.persisted.length, 0);
    assert.deepEqual(h.sched.snapshot(), []);
  });

  test("a file changed during the refresh wins: the stale result is not persisted", async () => {
    const h = harness();
    const gate = deferred<RefreshOutcome>();
    h.behave = () => gate.promise;
    const r = rec({ type: "xai", email: "x", access_token: "old" });
    h.sched.sync([r]);
    const p = h.sched.refreshNow(r.id);
    await settle();
    const relogin = rec({ type: "xai", email: "x", access_token: "relogin" }, r.id);
    h.sched.sync([relogin]);
    gate.resolve({ record: refreshed(r, h.timers.now()) });
    const res = await p;
    assert.ok(res.ok);
    assert.equal(res.refreshed, false);
    assert.equal(res.record, relogin);
    assert.equal(h.persisted.length, 0);
  });

  test("an unusable refresh result is a failure; a failed save keeps the new tokens and shows the error", async () => {
    const h = harness();
    h.behave = () => Promise.resolve({ record: { access_token: "no type" } });
    const r = rec({ type: "xai", email: "x" });
    h.sched.sync([r]);
    const bad = await h.sched.refreshNow(r.id);
    assert.equal(bad.ok, false);
    assert.match(h.sched.state(r.id)!.lastError!.message, /unusable record/);
    assert.equal(h.persisted.length, 0);

    const h2 = harness({ persist: () => Promise.reject(new Error("disk full")) });
    h2.sched.sync([r]);
    const res = await h2.sched.refreshNow(r.id);
    assert.ok(res.ok);
    assert.equal(res.record.raw["access_token"], "token-1");
    const s = h2.sched.state(r.id)!;
    assert.equal(s.failures, 0);
    assert.match(s.lastError!.message, /saving the auth file failed: disk full/);
  });

  test("setWorkers and setTypes take effect on the next tick", async () => {
    const h = harness({ workers: 1, leads: {} });
    h.sched.sync([rec({ type: "xai", email: "a" }), rec({ type: "xai", email: "b" })]);
    h.sched.tick();
    await h.sched.idle();
    assert.equal(h.calls.length, 0, "no refresh registered for xai yet");
    const calls: string[] = [];
    h.sched.setTypes(
      new Map([["xai", {
        leadMs: 5 * MIN,
        refresh: (r: AuthRecord) => {
          calls.push(r.id);
          return Promise.resolve({ record: refreshed(r, h.timers.now()) });
        },
      }]]),
    );
    h.sched.setWorkers(2);
    h.sched.tick();
    await h.sched.idle();
    assert.deepEqual(calls.sort(), ["xai-a.json", "xai-b.json"]);
  });
});
