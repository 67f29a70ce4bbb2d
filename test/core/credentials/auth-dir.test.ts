import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { platform, tmpdir } from "node:os";
import { join } from "node:path";
import {
  AuthDirectory,
  type AuthDirectoryOptions,
  AuthWriteError,
  type DirWatcherFactory,
} from "../../../core/credentials/auth-dir.ts";
import type { AuthRecord } from "../../../core/credentials/auth-record.ts";
import type { Logger } from "../../../core/log.ts";

const isWindows = platform() === "win32";

let root = "";
let seq = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "switchyard-authdir-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshDir(create = true): Promise<string> {
  const d = join(root, `d${++seq}`);
  if (create) await mkdir(d);
  return d;
}

const json = (o: unknown) => JSON.stringify(o);
const CLAUDE = json({ type: "claude", email: "a@example.com", access_token: "t1" });
const CODEX = json({ type: "codex", email: "b@example.com", access_token: "t2" });

/** Polls `cond` until it holds or the deadline passes (then fails with `what`). */
async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function captureLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log: Logger = {
    debug: (m) => lines.push(`debug ${m}`),
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    child: () => log,
    debugEnabled: true,
  };
  return { log, lines };
}

/** A watcher the test drives: `emit` plays the role of the OS. */
function fakeWatcher() {
  const w = {
    attached: false,
    closed: false,
    emit: (_event: string, _name: string | null) => {},
    factory: ((_dir, onEvent) => {
      w.attached = true;
      w.emit = onEvent;
      return { close: () => void (w.closed = true) };
    }) as DirWatcherFactory,
  };
  return w;
}

/** Records every fan-out. */
function listen(d: AuthDirectory): ReadonlyMap<string, AuthRecord>[] {
  const seen: ReadonlyMap<string, AuthRecord>[] = [];
  d.onChange((m) => seen.push(m));
  return seen;
}

async function openFake(dir: string, extra: Partial<AuthDirectoryOptions> = {}) {
  const fw = fakeWatcher();
  const d = await AuthDirectory.open({ dir, debounceMs: 0, removeGraceMs: 30, watcher: fw.factory, ...extra });
  d.watch();
  await until(() => fw.attached, "watcher attached");
  await d.idle();
  return { d, fw };
}

describe("AuthDirectory: loading", () => {
  test("every top-level *.json is read; unknown types and broken files are listed and skipped", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "claude-a.json"), CLAUDE);
    await writeFile(join(dir, "codex-b.JSON"), CODEX);
    await writeFile(join(dir, "acme.json"), json({ type: "acme" }));
    await writeFile(join(dir, "broken.json"), "{nope");
    await writeFile(join(dir, "notype.json"), json({ email: "x" }));
    await writeFile(join(dir, "qwen-old.json"), json({ type: "qwen", access_token: "x" }));
    await writeFile(join(dir, "empty.json"), "");
    await writeFile(join(dir, "notes.txt"), CLAUDE);
    await mkdir(join(dir, "sub.json"));
    await mkdir(join(dir, "nested"));
    await writeFile(join(dir, "nested", "deep.json"), CLAUDE);
    const { log, lines } = captureLog();
    const d = await AuthDirectory.open({ dir, knownTypes: ["claude", "Codex"], log });
    try {
      assert.deepEqual([...d.records.keys()].sort(), ["claude-a.json", "codex-b.JSON"]);
      const rec = d.records.get("claude-a.json")!;
      assert.equal(rec.type, "claude");
      assert.equal(rec.path, join(dir, "claude-a.json"));
      assert.deepEqual(
        d.issues().map((i) => [i.id, i.kind, i.type ?? null]),
        [
          ["acme.json", "unknown-type", "acme"],
          ["broken.json", "error", null],
          ["notype.json", "error", null],
          ["qwen-old.json", "skipped", "qwen"],
        ],
      );
      const unknownLines = () => lines.filter((l) => l.includes('type "acme"'));
      assert.equal(unknownLines().length, 1, "the unknown type is reported");
      await d.rescan();
      await writeFile(join(dir, "broken.json"), "{still nope");
      await d.rescan();
      assert.equal(unknownLines().length, 1, "reported once, not on every rescan");
    } finally {
      d.close();
    }
  });

  test("a missing directory is empty, not an error; `~` is the home directory", async () => {
    const d = await AuthDirectory.open({ dir: join(root, "does-not-exist") });
    assert.equal(d.records.size, 0);
    assert.deepEqual(d.issues(), []);
    d.close();
    const home = await AuthDirectory.open({ dir: "~/.switchyard-test-surely-missing-dir" });
    assert.ok(!home.dir.startsWith("~"));
    home.close();
  });

  test("without knownTypes every type is kept", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "acme.json"), json({ type: "acme" }));
    const d = await AuthDirectory.open({ dir });
    assert.deepEqual([...d.records.keys()], ["acme.json"]);
    d.close();
  });

  test("setKnownTypes re-classifies and fans the change out", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "acme.json"), json({ type: "acme" }));
    await writeFile(join(dir, "claude.json"), CLAUDE);
    const d = await AuthDirectory.open({ dir, knownTypes: ["claude"], debounceMs: 10_000 });
    const seen = listen(d);
    d.setKnownTypes(["claude", "acme"]);
    d.flush();
    assert.equal(seen.length, 1);
    assert.deepEqual([...seen[0]!.keys()].sort(), ["acme.json", "claude.json"]);
    d.setKnownTypes(["claude", "acme"]);
    d.flush();
    assert.equal(seen.length, 1, "no change, no fan-out");
    d.close();
  });
});

describe("AuthDirectory: changes (driven watcher)", () => {
  test("rewritten with identical bytes: no change event, the same record object (vector 28)", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "a.json"), CLAUDE);
    const { d, fw } = await openFake(dir);
    const seen = listen(d);
    const before = d.records.get("a.json");
    await writeFile(join(dir, "a.json"), CLAUDE);
    fw.emit("change", "a.json");
    await d.idle();
    await d.rescan();
    d.flush();
    assert.equal(seen.length, 0);
    assert.equal(d.records.get("a.json"), before);
    d.close();
  });

  test("added → appears; modified → updated; the fan-out is debounced and batched", async () => {
    const dir = await freshDir();
    const { d, fw } = await openFake(dir, { debounceMs: 10_000 });
    const seen = listen(d);
    await writeFile(join(dir, "a.json"), CLAUDE);
    fw.emit("rename", "a.json");
    fw.emit("change", "a.json");
    await writeFile(join(dir, "b.json"), CODEX);
    fw.emit("rename", "b.json");
    await d.idle();
    assert.equal(seen.length, 0, "nothing before the debounce");
    assert.deepEqual([...d.records.keys()].sort(), ["a.json", "b.json"]);
    d.flush();
    assert.equal(seen.length, 1, "one batched fan-out");
    assert.deepEqual([...seen[0]!.keys()].sort(), ["a.json", "b.json"]);

    await writeFile(join(dir, "a.json"), json({ type: "claude", email: "a@example.com", access_token: "t9" }));
    fw.emit("change", "a.json");
    await d.idle();
    d.flush();
    assert.equal(seen.length, 2);
    assert.equal(seen[1]!.get("a.json")!.raw["access_token"], "t9");
    assert.equal(seen[1]!.get("b.json"), seen[0]!.get("b.json"), "untouched records keep their identity");
    d.close();
  });

  test("removed → kept through the grace, gone after it", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "a.json"), CLAUDE);
    const { d, fw } = await openFake(dir, { removeGraceMs: 40 });
    const seen = listen(d);
    await unlink(join(dir, "a.json"));
    const removedAt = Date.now();
    fw.emit("rename", "a.json");
    await until(() => d.pendingRemovals === 1, "the remove check is scheduled");
    assert.ok(d.records.has("a.json"), "still there during the grace");
    fw.emit("rename", "a.json"); // repeat removes coalesce
    assert.equal(d.pendingRemovals, 1);
    await d.idle();
    assert.ok(Date.now() - removedAt >= 35, "not before the grace");
    assert.equal(d.records.has("a.json"), false);
    d.flush();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.size, 0);
    d.close();
  });

  test("removed and re-created within the grace → kept, no change event", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "a.json"), CLAUDE);
    const { d, fw } = await openFake(dir, { removeGraceMs: 40 });
    const seen = listen(d);
    const before = d.records.get("a.json");
    await unlink(join(dir, "a.json"));
    fw.emit("rename", "a.json");
    await until(() => d.pendingRemovals === 1, "the remove check is scheduled");
    await writeFile(join(dir, "a.json"), CLAUDE);
    fw.emit("rename", "a.json");
    await d.idle();
    d.flush();
    assert.equal(d.records.get("a.json"), before);
    assert.equal(seen.length, 0);
    d.close();
  });

  test("a remove of a file never known is ignored; an atomic replace is an upsert", async () => {
    const dir = await freshDir();
    const { d, fw } = await openFake(dir);
    fw.emit("rename", "ghost.json");
    await d.idle();
    assert.equal(d.pendingRemovals, 0);
    await writeFile(join(dir, "a.json"), CLAUDE);
    fw.emit("rename", "a.json"); // the rename of a temp file over a.json
    await d.idle();
    assert.equal(d.pendingRemovals, 0);
    assert.ok(d.records.has("a.json"));
    d.close();
  });

  test("invalid JSON keeps the previous record (a writer caught mid-write) and lists the error", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "a.json"), CLAUDE);
    const { d, fw } = await openFake(dir);
    const before = d.records.get("a.json");
    await writeFile(join(dir, "a.json"), '{"type":"claude","ema');
    fw.emit("change", "a.json");
    await d.idle();
    assert.equal(d.records.get("a.json"), before);
    assert.deepEqual(d.issues().map((i) => [i.id, i.kind]), [["a.json", "error"]]);
    // A file that parses but has no type serves nothing.
    await writeFile(join(dir, "a.json"), json({ email: "a@example.com" }));
    fw.emit("change", "a.json");
    await d.idle();
    assert.equal(d.records.has("a.json"), false);
    d.close();
  });

  test("an event without a file name rescans; non-JSON names are ignored", async () => {
    const dir = await freshDir();
    const { d, fw } = await openFake(dir);
    await writeFile(join(dir, "a.json"), CLAUDE);
    await writeFile(join(dir, "x.txt"), "x");
    fw.emit("change", "x.txt");
    await d.idle();
    assert.equal(d.records.size, 0);
    fw.emit("rename", null);
    await d.idle();
    assert.ok(d.records.has("a.json"));
    d.close();
  });

  test("an unknown type appearing later is listed once and skipped", async () => {
    const dir = await freshDir();
    const { log, lines } = captureLog();
    const { d, fw } = await openFake(dir, { knownTypes: ["claude"], log });
    await writeFile(join(dir, "acme.json"), json({ type: "acme", n: 1 }));
    fw.emit("rename", "acme.json");
    await d.idle();
    await writeFile(join(dir, "acme.json"), json({ type: "acme", n: 2 }));
    fw.emit("change", "acme.json");
    await d.idle();
    assert.equal(d.records.size, 0);
    assert.deepEqual(d.issues().map((i) => [i.id, i.kind]), [["acme.json", "unknown-type"]]);
    assert.equal(lines.filter((l) => l.includes('"acme"')).length, 1);
    d.close();
  });
});

describe("AuthDirectory: writes", () => {
  test("write creates the missing directory lazily; files are 0600 and the write does not echo", async () => {
    const dir = join(await freshDir(false), "auths");
    const fw = fakeWatcher();
    const d = await AuthDirectory.open({ dir, debounceMs: 10_000, watcher: fw.factory });
    d.watch();
    const seen = listen(d);
    const rec = await d.write("claude-a.json", { type: "claude", email: "a@example.com", access_token: "t1" });
    assert.ok(rec);
    assert.equal(rec.raw["access_token"], "t1");
    assert.equal(d.records.get("claude-a.json"), rec, "memory is updated at once");
    assert.equal(JSON.parse(await readFile(join(dir, "claude-a.json"), "utf8")).access_token, "t1");
    if (!isWindows) {
      assert.equal((await stat(join(dir, "claude-a.json"))).mode & 0o777, 0o600);
      assert.equal((await stat(dir)).mode & 0o777 & ~0o077, 0o700 & ~0o077);
    }
    await until(() => fw.attached, "watching starts once the directory exists");
    // The OS reports the temp file and the rename of our own write.
    fw.emit("rename", ".claude-a.json.0123.tmp");
    fw.emit("rename", "claude-a.json");
    fw.emit("change", "claude-a.json");
    await d.idle();
    assert.equal(d.records.get("claude-a.json"), rec, "the echo is recognised by its hash");
    d.flush();
    assert.equal(seen.length, 1, "one fan-out: the write itself");
    // The same content again writes nothing.
    const again = await d.write("claude-a.json", { type: "claude", email: "a@example.com", access_token: "t1" });
    assert.equal(again, rec);
    d.flush();
    assert.equal(seen.length, 1);
    d.close();
  });

  test("write refuses bad names and objects that are not auth records, without touching the disk", async () => {
    const dir = await freshDir();
    const d = await AuthDirectory.open({ dir });
    for (const bad of ["../x.json", "a/b.json", "x.txt", ".hidden.json", ""]) {
      await assert.rejects(d.write(bad, { type: "claude" }), AuthWriteError, bad);
    }
    await assert.rejects(d.write("a.json", { email: "no type" }), /no "type"/);
    await assert.rejects(stat(join(dir, "a.json")), { code: "ENOENT" });
    d.close();
  });

  test("a failed write reverts memory by default, or keeps it with onFailure: keep", async () => {
    const parent = await freshDir();
    const dir = join(parent, "file-not-dir");
    await writeFile(dir, "I am a file"); // mkdir/write inside it fail
    const d = await AuthDirectory.open({ dir });
    await assert.rejects(d.write("a.json", { type: "claude" }), AuthWriteError);
    assert.equal(d.records.has("a.json"), false);
    await assert.rejects(d.write("a.json", { type: "claude" }, { onFailure: "keep" }), AuthWriteError);
    assert.ok(d.records.has("a.json"));
    d.close();
  });

  test("delete removes the file and the record", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "a.json"), CLAUDE);
    const d = await AuthDirectory.open({ dir });
    assert.equal(await d.delete("a.json"), true);
    assert.equal(d.records.has("a.json"), false);
    await assert.rejects(stat(join(dir, "a.json")), { code: "ENOENT" });
    assert.equal(await d.delete("a.json"), false);
    d.close();
  });
});

describe("AuthDirectory: the real watcher (node:fs watch on this runtime)", () => {
  const opts = { debounceMs: 15, removeGraceMs: 50, pollMs: 20 };

  test("added → appears, identical → nothing, modified → updated, removed → gone after the grace", async () => {
    const dir = await freshDir();
    const d = await AuthDirectory.open({ dir, ...opts });
    d.watch();
    const seen = listen(d);
    const last = () => seen.at(-1);

    await writeFile(join(dir, "a.json"), CLAUDE);
    await until(() => last()?.has("a.json") === true, "a.json appears");
    const first = d.records.get("a.json");

    // Identical bytes, then a sentinel: events are processed in order, so once the sentinel shows, a.json was seen.
    await writeFile(join(dir, "a.json"), CLAUDE);
    await writeFile(join(dir, "s1.json"), CODEX);
    await until(() => last()?.has("s1.json") === true, "sentinel s1 appears");
    assert.equal(d.records.get("a.json"), first, "identical rewrite: same record");
    assert.ok(seen.every((m) => !m.has("a.json") || m.get("a.json") === first));

    await writeFile(join(dir, "a.json"), json({ type: "claude", email: "a@example.com", access_token: "t2" }));
    await until(() => last()?.get("a.json")?.raw["access_token"] === "t2", "a.json updated");

    const removedAt = Date.now();
    await unlink(join(dir, "a.json"));
    await until(() => last()?.has("a.json") === false, "a.json gone");
    assert.ok(Date.now() - removedAt >= 45, `gone only after the grace (${Date.now() - removedAt} ms)`);
    d.close();
  });

  test("removed and quickly re-created → kept", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "a.json"), CLAUDE);
    const d = await AuthDirectory.open({ dir, ...opts });
    d.watch();
    await d.idle();
    const seen = listen(d);
    const before = d.records.get("a.json");
    await unlink(join(dir, "a.json"));
    await writeFile(join(dir, "a.json"), CLAUDE);
    await writeFile(join(dir, "s.json"), CODEX);
    await until(() => seen.at(-1)?.has("s.json") === true, "sentinel appears");
    await d.idle();
    assert.equal(d.records.get("a.json"), before);
    assert.ok(seen.every((m) => m.get("a.json") === before), "a.json never left");
    d.close();
  });

  test("own writes are 0600 and not echoed back as a change", async () => {
    const dir = await freshDir();
    const d = await AuthDirectory.open({ dir, ...opts });
    d.watch();
    await d.idle();
    const seen = listen(d);
    const rec = await d.write("claude-a.json", { type: "claude", email: "a@example.com", access_token: "t1" });
    if (!isWindows) assert.equal((await stat(join(dir, "claude-a.json"))).mode & 0o777, 0o600);
    await writeFile(join(dir, "s.json"), CODEX);
    await until(() => seen.at(-1)?.has("s.json") === true, "sentinel appears");
    assert.equal(d.records.get("claude-a.json"), rec);
    assert.ok(seen.every((m) => m.get("claude-a.json") === rec));
    d.close();
  });

  test("a directory that appears later is picked up; one that is removed drops its records", async () => {
    const dir = join(await freshDir(), "later");
    const d = await AuthDirectory.open({ dir, ...opts });
    d.watch();
    const seen = listen(d);
    await mkdir(dir);
    await writeFile(join(dir, "a.json"), CLAUDE);
    await until(() => seen.at(-1)?.has("a.json") === true, "a.json in a directory created after start");
    await rm(dir, { recursive: true });
    await until(() => seen.at(-1)?.size === 0, "records dropped with the directory");
    await mkdir(dir);
    await writeFile(join(dir, "b.json"), CODEX);
    await until(() => seen.at(-1)?.has("b.json") === true, "the re-created directory is watched again");
    d.close();
  });
});
