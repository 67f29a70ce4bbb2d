/** The dropped-logs warning: at once for the first drop, then at most once per interval, the rest on flush. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DropReporter, type DropReporterTimers } from "../../../plugins/request-logger/drop-reporter.ts";

/** Timers run by hand: `fire()` runs the pending one. */
function manualTimers() {
  let pending: { run: () => void; ms: number } | null = null;
  let cleared = 0;
  const timers: DropReporterTimers = {
    setTimeout(run, ms) {
      assert.equal(pending, null, "one report timer at a time");
      pending = { run, ms };
      return pending;
    },
    clearTimeout(handle) {
      if (handle === pending) pending = null;
      cleared++;
    },
  };
  return {
    timers,
    get pendingMs() {
      return pending?.ms ?? null;
    },
    get cleared() {
      return cleared;
    },
    fire() {
      const p = pending;
      pending = null;
      p?.run();
    },
  };
}

function setup() {
  let now = 1_000_000;
  const reports: number[] = [];
  const t = manualTimers();
  const r = new DropReporter((n) => reports.push(n), { intervalMs: 10_000, now: () => now, timers: t.timers });
  return { r, reports, t, advance: (ms: number) => (now += ms) };
}

describe("DropReporter", () => {
  test("the first drop is reported at once; the next ones within the interval are summed and reported when it ends", () => {
    const { r, reports, t, advance } = setup();
    r.dropped();
    assert.deepEqual(reports, [1]);
    assert.equal(t.pendingMs, null);
    advance(2_000);
    r.dropped();
    assert.equal(t.pendingMs, 8_000, "reported when 10 s have passed since the last report");
    r.dropped();
    r.dropped();
    assert.deepEqual(reports, [1]);
    advance(8_000);
    t.fire();
    assert.deepEqual(reports, [1, 3]);
  });

  test("a drop long after the last report is reported at once again", () => {
    const { r, reports, t, advance } = setup();
    r.dropped();
    advance(60_000);
    r.dropped();
    assert.deepEqual(reports, [1, 1]);
    assert.equal(t.pendingMs, null);
  });

  test("flush reports what is left and cancels the timer; with nothing left it says nothing", () => {
    const { r, reports, t, advance } = setup();
    r.flush();
    assert.deepEqual(reports, []);
    r.dropped();
    advance(1_000);
    r.dropped();
    r.dropped();
    assert.notEqual(t.pendingMs, null);
    r.flush();
    assert.deepEqual(reports, [1, 2]);
    assert.equal(t.pendingMs, null);
    assert.equal(t.cleared, 1);
    r.flush();
    assert.deepEqual(reports, [1, 2]);
  });
});
