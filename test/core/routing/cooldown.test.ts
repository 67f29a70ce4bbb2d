import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CooldownTracker, type FailureReport, formatDuration, parseRetryAfter } from "../../../core/routing/cooldown.ts";
import { isRequestFault } from "../../../core/routing/failure.ts";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const base: FailureReport = { status: 500, body: "", transientMs: 0, disableCooling: false };

describe("CooldownTracker", () => {
  test("429 with Retry-After benches the credential for that model only (vector 9)", () => {
    const c = clock();
    const t = new CooldownTracker(c.now);
    assert.equal(t.recordFailure("A", "m1", { ...base, status: 429, retryAfterMs: 30_000 }), 30_000);
    assert.equal(t.coolingUntil("A", "m1"), c.now() + 30_000);
    assert.equal(t.coolingUntil("A", "m2"), 0, "other models still use A");
    c.advance(30_001);
    assert.equal(t.coolingUntil("A", "m1"), 0);
  });

  test("repeated 429 without Retry-After doubles from 1 s, capped at 30 min (vector 11)", () => {
    const t = new CooldownTracker(clock().now);
    const seen: number[] = [];
    for (let i = 0; i < 14; i++) seen.push(t.recordFailure("A", "m", { ...base, status: 429 }));
    assert.deepEqual(seen.slice(0, 5), [1000, 2000, 4000, 8000, 16000]);
    assert.equal(seen.at(-1), 30 * 60_000);
    t.recordSuccess("A", "m");
    assert.equal(t.recordFailure("A", "m", { ...base, status: 429 }), 1000, "a success resets the backoff");
  });

  test("status table: auth 30 min, 404 12 h, model-unsupported 400 12 h, transient default 60 s, -1 off", () => {
    const t = new CooldownTracker(clock().now);
    assert.equal(t.recordFailure("A", "a", { ...base, status: 401 }), 30 * 60_000);
    assert.equal(t.recordFailure("A", "b", { ...base, status: 403 }), 30 * 60_000);
    assert.equal(t.recordFailure("A", "c", { ...base, status: 400, body: '{"error":"invalid_grant"}' }), 30 * 60_000);
    assert.equal(t.recordFailure("A", "d", { ...base, status: 404 }), 12 * 3600_000);
    assert.equal(
      t.recordFailure("A", "e", { ...base, status: 400, body: '{"error":{"message":"The model x is not supported"}}' }),
      12 * 3600_000,
    );
    assert.equal(t.recordFailure("A", "f", { ...base, status: 503 }), 60_000);
    assert.equal(t.recordFailure("A", "g", { ...base, status: 500, transientMs: 5000 }), 5000);
    assert.equal(t.recordFailure("A", "h", { ...base, status: 500, transientMs: -1 }), 0);
    assert.equal(t.coolingUntil("A", "h"), 0);
  });

  test("disable-cooling records the failure but never benches", () => {
    const t = new CooldownTracker(clock().now);
    assert.equal(t.recordFailure("A", "m", { ...base, status: 429, disableCooling: true }), 0);
    assert.equal(t.coolingUntil("A", "m"), 0);
    assert.equal(t.health()[0]!.failures, 1);
  });

  test("a credential-wide quota blocks every model until a success", () => {
    const c = clock();
    const t = new CooldownTracker(c.now);
    t.recordFailure("A", "m1", { ...base, status: 429, retryAfterMs: 60_000, credentialWide: true });
    assert.ok(t.coolingUntil("A", "other") > 0);
    t.recordSuccess("A", "m1");
    assert.equal(t.coolingUntil("A", "other"), 0);
  });

  test("health() exposes counters, the last error and active cooldowns", () => {
    const c = clock();
    const t = new CooldownTracker(c.now);
    t.recordSuccess("A", "m");
    t.recordFailure("A", "m", { ...base, status: 429, body: "slow down", retryAfterMs: 5000 });
    const [h] = t.health();
    assert.equal(h!.successes, 1);
    assert.equal(h!.failures, 1);
    assert.deepEqual(h!.lastError, { status: 429, message: "slow down", at: c.now() });
    assert.deepEqual(h!.cooldowns, { m: c.now() + 5000 });
  });
});

describe("failure classification", () => {
  test("request faults return at once; credential problems do not (vector 12)", () => {
    assert.equal(isRequestFault(400, '{"error":{"code":"context_length_exceeded"}}'), true);
    assert.equal(isRequestFault(422, ""), true);
    assert.equal(isRequestFault(500, '{"error":{"type":"invalid_request_error"}}'), true);
    assert.equal(isRequestFault(400, '{"error":"invalid_grant"}'), false);
    assert.equal(isRequestFault(400, '{"error":{"message":"model gpt-x is not available for your plan"}}'), false);
    assert.equal(isRequestFault(429, ""), false);
    assert.equal(isRequestFault(503, "<html>"), false);
  });
});

describe("helpers", () => {
  test("parseRetryAfter() takes seconds or an HTTP date", () => {
    assert.equal(parseRetryAfter("30", 0), 30_000);
    assert.equal(parseRetryAfter(null, 0), undefined);
    assert.equal(parseRetryAfter(new Date(90_000).toUTCString(), 0), 90_000);
    assert.equal(parseRetryAfter("soon", 0), undefined);
  });
  test("formatDuration() prints like Go", () => {
    assert.equal(formatDuration(90_000), "1m30s");
    assert.equal(formatDuration(3600_000), "1h");
    assert.equal(formatDuration(400), "1s");
    assert.equal(formatDuration(0), "0s");
  });
});
