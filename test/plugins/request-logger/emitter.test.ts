/**
 * The async emitter's contract (modules.md §3, vector 17): drop-oldest normal lane with a count, a priority lane
 * that never drops (synchronous fallback when full or closed), snapshot at enqueue, flush waiting for in-flight
 * writes, close draining priority first. The writer loop is started by a manual scheduler and the sink is gated, so
 * every step is deterministic.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AsyncEmitter, type EmitterSink } from "../../../plugins/request-logger/emitter.ts";
import { type LogEntry, snapshotEntry } from "../../../plugins/request-logger/entry.ts";
import { renderLog } from "../../../plugins/request-logger/format.ts";

/** A sink whose async writes wait for `release()`; records what was written, and how. */
class GatedSink<T> implements EmitterSink<T> {
  readonly written: T[] = [];
  readonly syncWritten: T[] = [];
  readonly order: string[] = [];
  started = 0;
  #gate: Promise<void> | null = null;
  #open: (() => void) | null = null;
  fail: ((item: T) => boolean) | null = null;

  block(): void {
    this.#gate = new Promise((r) => (this.#open = r));
  }

  release(): void {
    this.#open?.();
    this.#gate = null;
    this.#open = null;
  }

  async write(item: T): Promise<void> {
    this.started++;
    if (this.#gate) await this.#gate;
    if (this.fail?.(item)) throw new Error(`cannot write ${String(item)}`);
    this.written.push(item);
    this.order.push(`async:${String(item)}`);
  }

  writeSync(item: T): void {
    this.syncWritten.push(item);
    this.order.push(`sync:${String(item)}`);
  }
}

/** Runs scheduled writer-loop starts only when the test says so. */
class ManualScheduler {
  readonly queue: (() => void)[] = [];
  readonly schedule = (run: () => void) => {
    this.queue.push(run);
  };
  runAll(): void {
    while (this.queue.length > 0) this.queue.shift()!();
  }
}

/** Lets queued promise callbacks run. */
async function ticks(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

function setup<T>(opts: { normal?: number; priority?: number } = {}) {
  const sink = new GatedSink<T>();
  const scheduler = new ManualScheduler();
  const errors: unknown[] = [];
  const emitter = new AsyncEmitter<T>({
    sink,
    normalCapacity: opts.normal,
    priorityCapacity: opts.priority,
    schedule: scheduler.schedule,
    onError: (err) => errors.push(err),
  });
  return { sink, scheduler, emitter, errors };
}

describe("async emitter", () => {
  test("writes queued entries in order with one writer; flush resolves after the last write", async () => {
    const { sink, scheduler, emitter } = setup<number>();
    for (let i = 1; i <= 5; i++) assert.equal(emitter.enqueue(i), "queued");
    assert.equal(emitter.pending, 5);
    assert.equal(scheduler.queue.length, 1, "one loop start for a burst");
    const flushed = emitter.flush();
    scheduler.runAll();
    await flushed;
    assert.deepEqual(sink.written, [1, 2, 3, 4, 5]);
    assert.equal(emitter.pending, 0);
    assert.equal(emitter.written, 5);
    assert.equal(emitter.dropped, 0);
  });

  test("vector 17: writer blocked and the normal lane full (256) → one more drops the oldest queued entry", async () => {
    const { sink, scheduler, emitter } = setup<number>();
    sink.block();
    emitter.enqueue(0);
    scheduler.runAll(); // the writer takes 0 and blocks on it
    await ticks();
    assert.equal(sink.started, 1);
    for (let i = 1; i <= 256; i++) assert.equal(emitter.enqueue(i), "queued");
    assert.equal(emitter.dropped, 0);
    assert.equal(emitter.enqueue(257), "queued-dropped-oldest");
    assert.equal(emitter.dropped, 1);
    assert.equal(emitter.enqueue(258), "queued-dropped-oldest");
    assert.equal(emitter.dropped, 2);
    sink.release();
    await emitter.flush();
    assert.equal(sink.written.length, 257);
    assert.equal(sink.written[0], 0, "the in-flight entry is never dropped");
    assert.deepEqual(sink.written.slice(1, 3), [3, 4], "1 and 2, the oldest queued, were dropped");
    assert.deepEqual(sink.written.slice(-2), [257, 258]);
  });

  test("the priority lane never drops: full → the caller writes synchronously", async () => {
    const { sink, scheduler, emitter } = setup<string>({ priority: 64 });
    sink.block();
    emitter.enqueue("blocker", true);
    scheduler.runAll();
    await ticks();
    for (let i = 0; i < 64; i++) assert.equal(emitter.enqueue(`p${i}`, true), "queued");
    assert.equal(emitter.enqueue("overflow", true), "written-sync");
    assert.deepEqual(sink.syncWritten, ["overflow"], "written before enqueue returned");
    assert.equal(emitter.syncWrites, 1);
    assert.equal(emitter.dropped, 0);
    sink.release();
    await emitter.flush();
    assert.equal(sink.written.length, 65);
    assert.equal(sink.written.length + sink.syncWritten.length, 66, "every forced entry written");
  });

  test("priority entries are written before normal ones queued earlier", async () => {
    const { sink, scheduler, emitter } = setup<string>();
    emitter.enqueue("n1");
    emitter.enqueue("n2");
    emitter.enqueue("p1", true);
    emitter.enqueue("n3");
    emitter.enqueue("p2", true);
    scheduler.runAll();
    await emitter.flush();
    assert.deepEqual(sink.written, ["p1", "p2", "n1", "n2", "n3"]);
  });

  test("flush waits for the entry being written, not just the queues", async () => {
    const { sink, scheduler, emitter } = setup<number>();
    sink.block();
    emitter.enqueue(1);
    scheduler.runAll();
    await ticks();
    assert.equal(emitter.pending, 1, "in flight counts as pending");
    let flushed = false;
    const f = emitter.flush().then(() => (flushed = true));
    await ticks();
    assert.equal(flushed, false, "queues are empty but the write is still running");
    sink.release();
    await f;
    assert.equal(flushed, true);
    assert.deepEqual(sink.written, [1]);
  });

  test("close drains both lanes, priority first; afterwards normal entries drop (counted) and forced ones write synchronously", async () => {
    const { sink, scheduler, emitter } = setup<string>();
    sink.block();
    emitter.enqueue("n0");
    scheduler.runAll();
    await ticks();
    emitter.enqueue("n1");
    emitter.enqueue("p1", true);
    emitter.enqueue("n2");
    emitter.enqueue("p2", true);
    const closed = emitter.close();
    assert.equal(emitter.closed, true);
    assert.equal(emitter.enqueue("late-normal"), "dropped");
    assert.equal(emitter.dropped, 1);
    assert.equal(emitter.enqueue("late-forced", true), "written-sync");
    sink.release();
    await closed;
    assert.deepEqual(sink.written, ["n0", "p1", "p2", "n1", "n2"]);
    assert.deepEqual(sink.syncWritten, ["late-forced"]);
    assert.equal(emitter.pending, 0);
    assert.equal(emitter.close(), closed, "close is idempotent");
  });

  test("close with nothing queued resolves at once; a closed emitter stays usable for forced logs", async () => {
    const { sink, emitter } = setup<string>();
    await emitter.close();
    assert.equal(emitter.enqueue("f", true), "written-sync");
    assert.deepEqual(sink.syncWritten, ["f"]);
  });

  test("a failing write is reported and the loop goes on; a failing sync write is reported, never thrown", async () => {
    const { sink, scheduler, emitter, errors } = setup<string>({ priority: 1 });
    sink.fail = (item) => item === "bad";
    emitter.enqueue("a");
    emitter.enqueue("bad");
    emitter.enqueue("c");
    scheduler.runAll();
    await emitter.flush();
    assert.deepEqual(sink.written, ["a", "c"]);
    assert.equal(errors.length, 1);
    sink.writeSync = () => {
      throw new Error("disk full");
    };
    await emitter.close();
    assert.doesNotThrow(() => emitter.enqueue("x", true));
    assert.equal(errors.length, 2);
  });

  test("concurrency K: at most K writes in flight, taken priority first; flush and close wait for all of them", async () => {
    const sink = new GatedSink<string>();
    const scheduler = new ManualScheduler();
    const emitter = new AsyncEmitter<string>({ sink, concurrency: 3, normalCapacity: 2, schedule: scheduler.schedule });
    sink.block();
    emitter.enqueue("n1");
    emitter.enqueue("n2");
    emitter.enqueue("p1", true);
    scheduler.runAll();
    await ticks();
    assert.equal(sink.started, 3, "three in flight");
    emitter.enqueue("n3");
    emitter.enqueue("n4");
    assert.equal(sink.started, 3, "no fourth write while the slots are taken");
    assert.equal(emitter.enqueue("n5"), "queued-dropped-oldest", "in-flight entries are not in the lane");
    assert.equal(emitter.pending, 5);
    let flushed = false;
    const f = emitter.flush().then(() => (flushed = true));
    await ticks();
    assert.equal(flushed, false);
    sink.release();
    await f;
    assert.deepEqual(sink.written.slice(0, 3).sort(), ["n1", "n2", "p1"]);
    assert.deepEqual(sink.written.slice(3), ["n4", "n5"]);
    assert.equal(emitter.dropped, 1);
    await emitter.close();
  });

  test("the default scheduler starts the loop without help", async () => {
    const sink = new GatedSink<number>();
    const emitter = new AsyncEmitter<number>({ sink });
    emitter.enqueue(1);
    emitter.enqueue(2, true);
    await emitter.flush();
    assert.deepEqual(sink.written, [2, 1]);
    await emitter.close();
  });
});

describe("async emitter: snapshot at enqueue", () => {
  function entry(headers: Headers, chunks: Uint8Array[], body: Uint8Array): LogEntry {
    return {
      forced: false,
      requestId: "r1",
      timestamp: 0,
      url: "/v1/chat/completions",
      method: "POST",
      requestHeaders: headers,
      requestBody: body,
      attempts: [{
        index: 1,
        requestedAt: 0,
        url: "http://up/v1/chat/completions",
        method: "POST",
        headers,
        body,
        provider: "p",
        authId: "p#0",
        authLabel: "p",
        status: 200,
        respondedAt: 0,
        responseHeaders: null,
        responseBody: chunks,
      }],
      errors: [],
      status: 200,
      responseHeaders: headers,
      responseBody: chunks,
      stream: true,
      truncatedBytes: 0,
    };
  }

  test("mutating the caller's Headers, chunk array or bytes after enqueue does not change the log", async () => {
    const sink = new GatedSink<LogEntry>();
    const scheduler = new ManualScheduler();
    const emitter = new AsyncEmitter<LogEntry>({ sink, snapshot: snapshotEntry, schedule: scheduler.schedule });
    const enc = new TextEncoder();
    const headers = new Headers({ "x-trace": "original" });
    const chunk = enc.encode("data: original\n\n");
    const chunks = [chunk];
    const body = enc.encode('{"v":"original"}');
    emitter.enqueue(entry(headers, chunks, body));

    headers.set("x-trace", "MUTATED");
    headers.set("x-extra", "MUTATED");
    chunks.push(enc.encode("data: MUTATED\n\n"));
    chunk.set(enc.encode("MUTATED!"), 6);
    body.set(enc.encode("MUTATED!"), 6);

    scheduler.runAll();
    await emitter.flush();
    const text = new TextDecoder().decode(renderLog(sink.written[0]!, "test"));
    assert.ok(!text.includes("MUTATED"), text);
    assert.ok(text.includes("X-Trace: original"));
    assert.ok(text.includes("data: original"));
    assert.ok(text.includes('{"v":"original"}'));
  });
});

describe("snapshots: owned vs deep", () => {
  test("owned copies the entry and its lists (a late push cannot change the log) and shares headers and bytes", async () => {
    const { snapshotOwnedEntry } = await import("../../../plugins/request-logger/entry.ts");
    const enc = new TextEncoder();
    const chunk = enc.encode("data: 1\n\n");
    const chunks = [chunk];
    const headers = new Headers({ a: "1" });
    const e: LogEntry = {
      forced: false,
      requestId: "r",
      timestamp: 0,
      url: "/",
      method: "POST",
      requestHeaders: headers,
      requestBody: null,
      attempts: [],
      errors: [{ status: 500, message: "m" }],
      status: 200,
      responseHeaders: null,
      responseBody: chunks,
      stream: true,
      truncatedBytes: 0,
    };
    const owned = snapshotOwnedEntry(e);
    chunks.push(enc.encode("late"));
    (e.errors as { status: number; message: string }[]).push({ status: 1, message: "late" });
    assert.deepEqual(owned.responseBody, [chunk]);
    assert.equal((owned.responseBody as Uint8Array[])[0], chunk, "bytes shared");
    assert.equal(owned.requestHeaders, headers, "headers shared");
    assert.equal(owned.errors.length, 1);
    const deep = snapshotEntry(e);
    assert.notEqual(deep.requestHeaders, headers);
    assert.deepEqual(deep.requestHeaders, [["a", "1"]]);
  });

  test("deep: a passthrough's client body and upstream body are the same chunks, copied once", () => {
    const enc = new TextEncoder();
    const chunks = [enc.encode("data: 1\n\n"), enc.encode("data: 2\n\n")];
    const e: LogEntry = {
      forced: false,
      requestId: "r",
      timestamp: 0,
      url: "/",
      method: "POST",
      requestHeaders: null,
      requestBody: null,
      attempts: [{
        index: 1,
        requestedAt: 0,
        url: "u",
        method: "POST",
        headers: null,
        body: null,
        provider: "p",
        authId: "a",
        authLabel: "l",
        status: 200,
        respondedAt: 0,
        responseHeaders: null,
        responseBody: [...chunks],
      }],
      errors: [],
      status: 200,
      responseHeaders: null,
      responseBody: [...chunks],
      stream: true,
      truncatedBytes: 0,
    };
    const deep = snapshotEntry(e);
    assert.ok(deep.responseBody instanceof Uint8Array);
    assert.equal(deep.responseBody, deep.attempts[0]!.responseBody);
    assert.equal(new TextDecoder().decode(deep.responseBody as Uint8Array), "data: 1\n\ndata: 2\n\n");
  });
});
