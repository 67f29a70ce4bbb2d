import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { platform, tmpdir } from "node:os";
import { join } from "node:path";
import { AuthFiles, type AuthTypeRegistration } from "../../../core/credentials/auth-files.ts";
import type { AuthRecord } from "../../../core/credentials/auth-record.ts";
import type { RefreshOutcome } from "../../../core/credentials/refresh-scheduler.ts";
import { FakeTimers } from "./fake-timers.ts";

const MIN = 60_000;
const isWindows = platform() === "win32";

let root = "";
let seq = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "switchyard-authfiles-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A fake OAuth provider for type `kimi` (lead 5 min) whose behaviour the test sets. */
function setup() {
  const timers = new FakeTimers(Date.now());
  const calls: string[] = [];
  const p: {
    timers: FakeTimers;
    calls: string[];
    types: Map<string, AuthTypeRegistration>;
    behave: (r: AuthRecord) => Promise<RefreshOutcome>;
  } = {
    timers,
    calls,
    types: new Map(),
    behave: (r: AuthRecord): Promise<RefreshOutcome> =>
      Promise.resolve({
        record: { ...r.raw, access_token: `new-${calls.length}`, expired: iso(timers.now() + 60 * MIN) },
      }),
  };
  p.types = new Map<string, AuthTypeRegistration>([
    ["kimi", {
      refresh: {
        leadMs: 5 * MIN,
        refresh: (r) => {
          calls.push(r.id);
          return p.behave(r);
        },
      },
    }],
    ["vertex", {}], // a type with no refresh (service account)
  ]);
  return p;
}

describe("AuthFiles: directory + refresh scheduler", () => {
  test("a due credential is refreshed at start, saved 0600, not echoed, and subscribers get the new token", async () => {
    const dir = join(root, `d${++seq}`);
    const { timers, calls, types } = setup();
    const now = timers.now();
    await mkdir(dir);
    await writeFile(
      join(dir, "kimi-1.json"),
      JSON.stringify({ type: "kimi", access_token: "old", expired: iso(now + MIN) }),
    );
    await writeFile(join(dir, "vertex.json"), JSON.stringify({ type: "vertex", project_id: "p" }));
    await writeFile(join(dir, "acme.json"), JSON.stringify({ type: "acme" }));
    const files = await AuthFiles.open({ dir, types, timers, debounceMs: 10 });
    try {
      const seen: ReadonlyMap<string, AuthRecord>[] = [];
      files.onChange((m) => seen.push(m));
      await files.idle();
      assert.deepEqual(calls, ["kimi-1.json"]);
      const onDisk = JSON.parse(await readFile(join(dir, "kimi-1.json"), "utf8"));
      assert.equal(onDisk.access_token, "new-1");
      if (!isWindows) assert.equal((await stat(join(dir, "kimi-1.json"))).mode & 0o777, 0o600);
      await until(() => seen.at(-1)?.get("kimi-1.json")?.raw["access_token"] === "new-1", "fan-out of the new token");

      // Our write reaches the watcher too; a sentinel proves it was processed and changed nothing.
      const refreshed = files.records.get("kimi-1.json");
      await writeFile(join(dir, "vertex-2.json"), JSON.stringify({ type: "vertex", project_id: "q" }));
      await until(() => seen.at(-1)?.has("vertex-2.json") === true, "sentinel");
      assert.equal(files.records.get("kimi-1.json"), refreshed);
      const state = files.state();
      const kimi = state.credentials.find((c) => c.id === "kimi-1.json")!;
      assert.equal(kimi.lastRefreshAt, now, "the scheduler's state survived its own write");
      assert.equal(kimi.nextRefreshAt, now + 55 * MIN);
      assert.equal(state.credentials.find((c) => c.id === "vertex.json")!.autoRefresh, false);
      assert.deepEqual(state.issues.map((i) => [i.id, i.kind]), [["acme.json", "unknown-type"]]);
    } finally {
      files.close();
    }
  });

  test("an OAuth 401 during a request: refreshNow returns and fans out the new record at once", async () => {
    const dir = join(root, `d${++seq}`);
    const { timers, calls, types } = setup();
    await mkdir(dir);
    const text = JSON.stringify({ type: "kimi", access_token: "old", expired: iso(timers.now() + 600 * MIN) });
    await writeFile(join(dir, "kimi-1.json"), text);
    const files = await AuthFiles.open({ dir, types, timers, debounceMs: 60_000 });
    try {
      const seen: ReadonlyMap<string, AuthRecord>[] = [];
      files.onChange((m) => seen.push(m));
      await files.idle();
      assert.equal(calls.length, 0, "not due");
      const used = files.records.get("kimi-1.json")!;
      const res = await files.refreshNow("kimi-1.json", used.hash);
      assert.ok(res.ok);
      assert.equal(res.record.raw["access_token"], "new-1");
      assert.equal(seen.length, 1, "fanned out without waiting for the debounce");
      assert.equal(seen[0]!.get("kimi-1.json"), res.record);
      const second = await files.refreshNow("kimi-1.json", used);
      assert.ok(second.ok && !second.refreshed, "an outdated basis is not refreshed again");
      assert.equal(calls.length, 1);
    } finally {
      files.close();
    }
  });

  test("401 from the token endpoint: unauthorized until a re-login rewrites the file", async () => {
    const dir = join(root, `d${++seq}`);
    await mkdir(dir);
    await writeFile(join(dir, "kimi-1.json"), JSON.stringify({ type: "kimi", refresh_token: "dead" }));
    const ctx = setup();
    ctx.behave = () => Promise.resolve({ error: { status: 401, message: "invalid_grant" } });
    const files = await AuthFiles.open({ dir, types: ctx.types, timers: ctx.timers, debounceMs: 10 });
    try {
      await files.idle();
      assert.equal(ctx.calls.length, 1);
      assert.equal(files.state().credentials[0]!.unauthorized, true);
      ctx.timers.advance(120 * MIN);
      await files.idle();
      assert.equal(ctx.calls.length, 1, "no auto-refresh while unauthorized");
      await writeFile(join(dir, "kimi-1.json"), JSON.stringify({ type: "kimi", refresh_token: "fresh" }));
      await until(() => files.state().credentials[0]?.unauthorized === false, "re-login clears unauthorized");
      ctx.behave = (r) => Promise.resolve({ record: { ...r.raw, expired: iso(ctx.timers.now() + 60 * MIN) } });
      ctx.timers.advance(5_000);
      await files.idle();
      assert.equal(ctx.calls.length, 2);
      assert.equal(files.state().credentials[0]!.lastError, null);
    } finally {
      files.close();
    }
  });

  test("configure on reload: a newly claimed type becomes usable; state is kept", async () => {
    const dir = join(root, `d${++seq}`);
    const { timers, types } = setup();
    await mkdir(dir);
    await writeFile(join(dir, "acme.json"), JSON.stringify({ type: "acme" }));
    const files = await AuthFiles.open({ dir, types, timers, watch: false, debounceMs: 0 });
    try {
      assert.equal(files.records.has("acme.json"), false);
      const seen: ReadonlyMap<string, AuthRecord>[] = [];
      files.onChange((m) => seen.push(m));
      files.configure({ types: new Map([...types, ["acme", {}]]), workers: 4 });
      files.directory.flush();
      assert.ok(seen.at(-1)?.has("acme.json"));
      assert.ok(files.state().credentials.some((c) => c.id === "acme.json"));
    } finally {
      files.close();
    }
  });
});
