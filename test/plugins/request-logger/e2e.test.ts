/**
 * The request logger end to end: a real Switchyard on 127.0.0.1 in front of a loopback fake upstream, with the
 * request-logger plugin enabled by its config keys. Logs are checked on disk after `flush()` (no timing assertions);
 * the writer is slowed down by a gated sink where a test needs a queue.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogOutput } from "../../../core/log.ts";
import { startSwitchyard, type Switchyard } from "../../../core/server.ts";
import type { AnyPluginDefinition } from "../../../core/plugin/load.ts";
import { PROVIDER_PLUGINS } from "../../../providers/mod.ts";
import { BUILTIN_PLUGINS } from "../../../mod.ts";
import { chatCompletion, chatStreamChunks, type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { createRequestLogger, type RequestLoggerHooks } from "../../../plugins/request-logger/plugin.ts";
import type { EmitterSink } from "../../../plugins/request-logger/emitter.ts";
import type { LogEntry } from "../../../plugins/request-logger/entry.ts";

const CLIENT_KEY = "client-key-CLIENTSECRET-0123456789";
const UPSTREAM_KEY = "sk-live-UPSTREAMSECRET-9876543210";

function config(upstreamUrl: string, extra: string): string {
  return `api-keys: ["${CLIENT_KEY}"]
disable-cooling: true
${extra}
openai-compatibility:
  - name: fake
    base-url: "${upstreamUrl}"
    api-key-entries: [{api-key: "${UPSTREAM_KEY}"}]
    models:
      - name: real-model
        alias: test-model
`;
}

/** Answers by the first message's content: `fail` → 500, `bad` → 400; a stream request gets SSE pieces. */
function fakeUpstream(): Promise<FakeUpstream> {
  return startFakeUpstream((req) => {
    const body = req.json as { stream?: boolean; messages?: { content?: string }[] } | null;
    const content = body?.messages?.[0]?.content ?? "";
    if (content.startsWith("fail")) {
      return { kind: "json", status: 500, body: { error: { message: `upstream broke on ${content}` } } };
    }
    if (content.startsWith("bad")) return { kind: "json", status: 400, body: { error: { message: "bad request" } } };
    if (body?.stream) {
      return { kind: "sse", chunks: chatStreamChunks([`${content}-a `, `${content}-b `, `${content}-c`]) };
    }
    return { kind: "json", body: chatCompletion(`echo ${content}`) };
  });
}

interface Env {
  readonly sy: Switchyard;
  readonly dir: string;
  readonly configPath: string;
  readonly upstream: FakeUpstream;
  readonly logs: string[];
  hooks(): RequestLoggerHooks;
  /** Log files (after flushing the logger). */
  files(): Promise<string[]>;
  read(name: string): Promise<string>;
  call(content: string, opts?: { stream?: boolean; model?: string }): Promise<{ status: number; text: string }>;
  stop(): Promise<void>;
}

async function start(extra: string, builtins: readonly AnyPluginDefinition[] = BUILTIN_PLUGINS): Promise<Env> {
  const upstream = await fakeUpstream();
  const dir = await mkdtemp(join(tmpdir(), "rl-e2e-"));
  const configPath = join(dir, "config.yaml");
  await writeFile(configPath, config(upstream.url, extra));
  const logs: string[] = [];
  let sy: Switchyard;
  try {
    sy = await startSwitchyard({
      configPath,
      builtins,
      host: "127.0.0.1",
      port: 0,
      watch: false,
      logOutput: new LogOutput("debug", (_l, line) => logs.push(line)),
    });
  } catch (err) {
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const logDir = join(dir, "logs");
  const hooks = () => {
    const p = sy.runtime.snapshot.plugins.find((i) => i.name === "request-logger");
    assert.ok(p, "request-logger is enabled");
    return p.hooks as RequestLoggerHooks;
  };
  let stopped = false;
  return {
    sy,
    dir,
    configPath,
    upstream,
    logs,
    hooks,
    async files() {
      if (!stopped) await hooks().requestLogger.flush();
      try {
        return (await readdir(logDir)).filter((n) => n.endsWith(".log")).sort();
      } catch {
        return [];
      }
    },
    read: (name) => readFile(join(logDir, name), "utf8"),
    async call(content, opts = {}) {
      const res = await fetch(`${sy.url}/v1/chat/completions?trace=1`, {
        method: "POST",
        headers: { authorization: `Bearer ${CLIENT_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: opts.model ?? "test-model",
          stream: opts.stream ?? false,
          messages: [{ role: "user", content }],
        }),
      });
      return { status: res.status, text: await res.text() };
    },
    async stop() {
      if (!stopped) {
        stopped = true;
        await sy.close(2000);
      }
      await upstream.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every file's text, by name. */
async function readAll(env: Env): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of await env.files()) out.set(f, await env.read(f));
  return out;
}

function findLog(all: Map<string, string>, needle: string): [string, string] {
  const hits = [...all].filter(([, text]) => text.includes(needle));
  assert.equal(hits.length, 1, `exactly one log mentions ${needle}: ${hits.map(([n]) => n).join(", ")}`);
  return hits[0]!;
}

function section(text: string, name: string): string {
  const start = text.indexOf(`=== ${name} ===\n`);
  assert.notEqual(start, -1, `section ${name}`);
  const next = text.indexOf("\n=== ", start + 5);
  return text.slice(start, next === -1 ? text.length : next + 1);
}

/** Waits (bounded) until `check` holds: for a background step to start, never a timing assertion. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), `timed out waiting for ${what}`);
}

/** A writer that waits for `release()` before each async write; sync writes go straight to disk. */
function gatedSink() {
  let open: (() => void) | null = null;
  let gate: Promise<void> | null = new Promise((r) => (open = r));
  let started = 0;
  return {
    get started() {
      return started;
    },
    release() {
      open?.();
      gate = null;
    },
    wrap: (files: EmitterSink<LogEntry>): EmitterSink<LogEntry> => ({
      async write(e) {
        started++;
        if (gate) await gate;
        await files.write(e);
      },
      writeSync: (e) => files.writeSync(e),
    }),
  };
}

describe("request logger end to end", () => {
  test("request-log: true → every request has its file; a stream's chunks are logged in order, as sent", async () => {
    const env = await start("request-log: true");
    try {
      const results = await Promise.all([
        env.call("plain-1"),
        env.call("plain-2"),
        env.call("streamed-1", { stream: true }),
        env.call("fail-1"),
        env.call("unknown", { model: "no-such-model" }),
      ]);
      assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 500, 400]);
      const all = await readAll(env);
      assert.equal(all.size, 5);
      for (const name of all.keys()) assert.match(name, /^v1-chat-completions-\d{4}-\d\d-\d\dT\d{6}-[\w-]+\.log$/);

      // A non-stream answer: the same bytes go to the client and to the log (shared, never emptied by the send).
      const [, plain] = findLog(all, '"plain-1"');
      const plainText = results[0]!.text;
      assert.ok(plainText.length > 50);
      assert.ok(section(plain, "RESPONSE").endsWith(`\n\n${plainText}\n`), "the client's bytes, exactly");
      assert.ok(section(plain, "API RESPONSE 1").includes(plainText), "the upstream's bytes");

      const [, streamed] = findLog(all, "streamed-1-a");
      const clientText = results[2]!.text;
      const response = section(streamed, "RESPONSE");
      assert.ok(response.startsWith("=== RESPONSE ===\nStatus: 200\n"));
      assert.ok(response.endsWith(`\n\n${clientText}`), "the client's bytes, exactly");
      const api = section(streamed, "API RESPONSE 1");
      const a = api.indexOf("streamed-1-a");
      const b = api.indexOf("streamed-1-b");
      const c = api.indexOf("streamed-1-c");
      assert.ok(a !== -1 && a < b && b < c, "upstream chunks in order");
      assert.ok(api.includes("data: [DONE]"));
      assert.ok(section(streamed, "API REQUEST 1").includes("Upstream URL: " + env.upstream.url));

      const [, failed] = findLog(all, "fail-1");
      assert.ok(section(failed, "API RESPONSE 1").includes("Status: 500"));
      assert.ok(failed.includes("=== API ERROR RESPONSE ===\nHTTP Status: 500\n"));
      const [, unknown] = findLog(all, "no-such-model");
      assert.ok(!unknown.includes("=== API REQUEST"), "answered locally: no upstream sections");
    } finally {
      await env.stop();
    }
  });

  test("request-log off: only failing requests get error- files, and no secret reaches the log directory", async () => {
    const env = await start("error-logs-max-files: 10");
    try {
      assert.equal((await env.call("ok-1")).status, 200);
      assert.equal((await env.call("ok-2", { stream: true })).status, 200);
      assert.deepEqual(await env.files(), []);
      assert.equal((await env.call("fail-2")).status, 500);
      assert.equal((await env.call("bad-2")).status, 400);
      assert.equal((await env.call("x", { model: "no-such-model" })).status, 400);
      const all = await readAll(env);
      assert.equal(all.size, 3);
      for (const name of all.keys()) assert.ok(name.startsWith("error-v1-chat-completions-"), name);
      const [, failed] = findLog(all, "fail-2");
      assert.ok(failed.includes("upstream broke on fail-2"), "the upstream's error body is kept");
      assert.ok(failed.includes("URL: /v1/chat/completions?trace=1"));

      // Secrets: nothing in the log directory carries either key in clear.
      for (const f of await readdir(join(env.dir, "logs"))) {
        const text = await readFile(join(env.dir, "logs", f), "utf8");
        assert.ok(!text.includes(UPSTREAM_KEY) && !text.includes("UPSTREAMSECRET"), `upstream key in ${f}`);
        assert.ok(!text.includes(CLIENT_KEY) && !text.includes("CLIENTSECRET"), `client key in ${f}`);
      }
      assert.ok(failed.includes("Authorization: Bearer sk-l...3210"));
      assert.ok(failed.includes("Authorization: Bearer clie...6789"));
    } finally {
      await env.stop();
    }
  });

  test("toggling request-log through runtime.reload() takes effect for the next request; the emitter survives", async () => {
    const env = await start("request-log: false\nerror-logs-max-files: 10");
    try {
      const emitter = env.hooks().requestLogger.emitter;
      await env.call("before-on");
      assert.deepEqual(await env.files(), []);

      await writeFile(env.configPath, config(env.upstream.url, "request-log: true\nerror-logs-max-files: 10"));
      assert.equal(await env.sy.runtime.reload(), "applied");
      await env.call("while-on");
      let files = await env.files();
      assert.equal(files.length, 1);
      assert.ok(!files[0]!.startsWith("error-"));
      assert.ok((await env.read(files[0]!)).includes("while-on"));

      await writeFile(env.configPath, config(env.upstream.url, "request-log: false\nerror-logs-max-files: 10"));
      assert.equal(await env.sy.runtime.reload(), "applied");
      await env.call("after-off");
      await env.call("fail-after-off");
      files = await env.files();
      assert.equal(files.length, 2);
      assert.equal(files.filter((f) => f.startsWith("error-")).length, 1);
      assert.equal(env.hooks().requestLogger.emitter, emitter, "same emitter across reloads");
    } finally {
      await env.stop();
    }
  });

  test("writer blocked: the normal lane drops the oldest and counts; a forced error log is still written", async () => {
    const gate = gatedSink();
    // One write at a time, so "the writer holds one log" is exact (the default overlaps a few).
    const plugin = createRequestLogger({
      sink: gate.wrap,
      normalCapacity: 4,
      priorityCapacity: 2,
      writeConcurrency: 1,
    });
    const env = await start("request-log: true\nerror-logs-max-files: 10", [
      ...PROVIDER_PLUGINS,
      plugin as AnyPluginDefinition,
    ]);
    try {
      const { emitter } = env.hooks().requestLogger;
      // One log in the writer's hands (blocked), four queued, three more push the oldest out.
      assert.equal((await env.call("burst-0")).status, 200);
      await until(() => gate.started === 1, "the writer to take the first log");
      for (let i = 1; i < 8; i++) assert.equal((await env.call(`burst-${i}`)).status, 200);
      assert.equal(emitter.dropped, 3);
      assert.equal(emitter.pending, 5);
      // The operator hears of it: the first drop at once, the next two summed in the next report (at shutdown here).
      const warned = () => env.logs.filter((l) => l.includes("dropped: the log writer fell behind"));
      assert.equal(warned().length, 1);
      assert.match(warned()[0]!, /WARN.*1 request log dropped: .*queue of 4 dropped its oldest/);

      // request-log off: failures become forced logs in the priority lane (2), the third is written at once.
      await writeFile(env.configPath, config(env.upstream.url, "request-log: false\nerror-logs-max-files: 10"));
      await env.sy.runtime.reload();
      for (let i = 0; i < 3; i++) assert.equal((await env.call(`fail-forced-${i}`)).status, 500);
      assert.equal(emitter.syncWrites, 1);
      const onDisk = (await readdir(join(env.dir, "logs"))).filter((f) => f.endsWith(".log"));
      assert.equal(onDisk.length, 1, "written while the writer is still blocked");
      assert.ok(onDisk[0]!.startsWith("error-"));
      assert.equal(emitter.dropped, 3, "forced logs never count as dropped");

      gate.release();
      const all = await readAll(env);
      assert.equal(all.size, 1 + 4 + 3);
      for (const dropped of ["burst-1", "burst-2", "burst-3"]) {
        assert.ok(![...all.values()].some((t) => t.includes(`"${dropped}"`)), `${dropped} was dropped`);
      }
      for (const kept of ["burst-0", "burst-4", "burst-7", "fail-forced-0", "fail-forced-1", "fail-forced-2"]) {
        findLog(all, `"${kept}"`);
      }
      await env.stop();
      assert.equal(warned().length, 2);
      assert.match(warned()[1]!, /2 request logs dropped/);
    } finally {
      gate.release();
      await env.stop();
    }
  });

  test("shutdown in the middle of a burst leaves every queued log on disk", async () => {
    const gate = gatedSink();
    const plugin = createRequestLogger({ sink: gate.wrap });
    const env = await start("request-log: true", [...PROVIDER_PLUGINS, plugin as AnyPluginDefinition]);
    try {
      const calls: Promise<{ status: number; text: string }>[] = [];
      for (let i = 0; i < 40; i++) {
        calls.push(env.call(`load-${i}`, { stream: i % 2 === 0 }).catch(() => ({ status: 0, text: "" })));
      }
      // Wait for part of the burst to be answered, then shut down while the rest is still in flight.
      await Promise.all(calls.slice(0, 10));
      const { emitter } = env.hooks().requestLogger;
      assert.ok(emitter.pending > 0, "logs are queued behind the blocked writer");
      const closing = env.sy.close(5000);
      gate.release();
      await closing;
      const results = await Promise.all(calls);
      const answered = results.filter((r) => r.status === 200).length;
      assert.ok(answered >= 10);
      assert.equal(emitter.closed, true);
      assert.equal(emitter.pending, 0);
      assert.equal(emitter.dropped, 0);
      const files = (await readdir(join(env.dir, "logs"))).filter((f) => f.endsWith(".log"));
      assert.equal(files.length, answered, "one file per answered request");
    } finally {
      gate.release();
      await env.stop();
    }
  });
});
