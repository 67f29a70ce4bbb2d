/**
 * The plugin's hooks driven directly (no HTTP): when a log is written, toggling through onConfigChange, commercial
 * mode, dispose draining the queue, secrets never on disk, main.log through a log-sink seam.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, LogOutput, type LogSink } from "../../../core/log.ts";
import type { RequestContext } from "../../../core/http/request-context.ts";
import type { RequestTap, SetupContext, Slot } from "../../../core/plugin/types.ts";
import { ProxyError } from "../../../core/http/proxy-error.ts";
import {
  createRequestLogger,
  type RequestLoggerDeps,
  type RequestLoggerHooks,
} from "../../../plugins/request-logger/plugin.ts";
import { type RequestLoggerOptions, requestLoggerOptions } from "../../../plugins/request-logger/options.ts";
import { enc, fakeRc, fakeTarget, summary, upstreamRequest } from "./helpers.ts";

interface Harness {
  readonly hooks: RequestLoggerHooks;
  readonly dir: string;
  readonly logs: string[];
  options: RequestLoggerOptions;
  reconfigure(raw: Record<string, unknown>): Promise<void>;
  files(): Promise<string[]>;
  cleanup(): Promise<void>;
}

async function harness(
  raw: Record<string, unknown>,
  deps: RequestLoggerDeps = {},
  extra: Record<string, unknown> = {},
): Promise<Harness> {
  const configDir = await mkdtemp(join(tmpdir(), "rl-plugin-"));
  const logs: string[] = [];
  const log = createLogger(new LogOutput("debug", (_l, line) => logs.push(line)), "request-logger");
  const def = createRequestLogger(deps);
  let options = requestLoggerOptions.parse(raw);
  const ctx = {
    options,
    log,
    signal: new AbortController().signal,
    configDir,
    registerProvider() {},
    registerCredentialType() {},
    mount() {},
    addLogSink: () => () => true,
    slot<T>(key: string): Slot<T> {
      return {
        get: (rc: RequestContext) => rc.getSlot(key) as T | undefined,
        set: (rc: RequestContext, v: T) => rc.setSlot(key, v),
      };
    },
    ...extra,
  } as unknown as SetupContext<RequestLoggerOptions>;
  const hooks = (await def.setup(ctx)) as RequestLoggerHooks;
  const dir = hooks.requestLogger.dir;
  return {
    hooks,
    dir,
    logs,
    get options() {
      return options;
    },
    set options(o) {
      options = o;
    },
    async reconfigure(next) {
      const prev = options;
      options = requestLoggerOptions.parse(next);
      await hooks.onConfigChange!(options, prev);
    },
    async files() {
      await hooks.requestLogger.flush();
      try {
        return (await readdir(dir)).sort();
      } catch {
        return [];
      }
    },
    async cleanup() {
      await hooks.dispose?.();
      await rm(configDir, { recursive: true, force: true });
    },
  };
}

type TapHook = (rc: RequestContext) => RequestTap | null;
type AfterHook = (rc: RequestContext, s: ReturnType<typeof summary>) => void;

/** Plays one non-stream request through the hooks as the pipeline would. */
function play(
  h: Harness,
  opts: { status?: number; upstreamStatus?: number; error?: ProxyError | null; cancelled?: boolean; key?: string } = {},
) {
  const status = opts.status ?? 200;
  const rc = fakeRc({ headers: { authorization: "Bearer client-key-0123456789", "content-type": "application/json" } });
  const tap = (h.hooks.tap as TapHook)(rc);
  if (tap) {
    tap.upstreamRequest?.(1, upstreamRequest(opts.key), fakeTarget());
    tap.upstreamResponse?.(1, opts.upstreamStatus ?? status, new Headers({ "content-type": "application/json" }));
    tap.upstreamChunk?.(1, enc.encode(status >= 400 ? '{"error":"boom"}' : '{"ok":true}'));
    tap.clientHead?.(status, new Headers({ "content-type": "application/json" }));
    tap.clientChunk?.(enc.encode(status >= 400 ? '{"error":{"message":"boom"}}' : '{"ok":true}'));
  }
  (h.hooks.afterResponse as AfterHook)(
    rc,
    summary({ status, error: opts.error ?? null, cancelled: opts.cancelled ?? false }),
  );
  return { rc, tap };
}

describe("request-logger plugin hooks", () => {
  test("request-log: true → every request gets a normal log file", async () => {
    const h = await harness({ "request-log": true });
    try {
      const { rc } = play(h);
      play(h, { status: 500 });
      const files = await h.files();
      assert.equal(files.length, 2);
      assert.ok(files.every((f) => f.startsWith("v1-chat-completions-")), files.join(","));
      assert.ok(files.some((f) => f.endsWith(`-${rc.id}.log`)));
    } finally {
      await h.cleanup();
    }
  });

  test("request-log off: 200 and 499 → nothing; 400, 5xx and 200 with an upstream error → error- files", async () => {
    const h = await harness({});
    try {
      play(h);
      play(h, { status: 499, error: new ProxyError(499, "bad_request", "Client closed the request"), cancelled: true });
      play(h, { status: 200, cancelled: true });
      assert.deepEqual(await h.files(), []);
      play(h, { status: 400 });
      play(h, { status: 502, error: new ProxyError(502, "upstream_error", "bad gateway") });
      play(h, { status: 200, upstreamStatus: 200, error: new ProxyError(502, "upstream_stream_error", "cut") });
      const files = await h.files();
      assert.equal(files.length, 3);
      assert.ok(files.every((f) => f.startsWith("error-v1-chat-completions-")), files.join(","));
      const text = await readFile(join(h.dir, files[0]!), "utf8");
      assert.ok(text.includes("=== API REQUEST 1 ==="));
    } finally {
      await h.cleanup();
    }
  });

  test("onConfigChange toggles request-log for the next request, keeping the emitter", async () => {
    const h = await harness({ "error-logs-max-files": 10 });
    try {
      const emitter = h.hooks.requestLogger.emitter;
      play(h);
      assert.deepEqual(await h.files(), []);
      await h.reconfigure({ "request-log": true, "error-logs-max-files": 10 });
      play(h);
      assert.equal((await h.files()).length, 1);
      await h.reconfigure({ "request-log": false, "error-logs-max-files": 10 });
      play(h);
      assert.equal((await h.files()).length, 1);
      assert.equal(h.hooks.requestLogger.emitter, emitter);
      assert.equal(emitter.closed, false);
    } finally {
      await h.cleanup();
    }
  });

  test("commercial-mode: no tap, no log, not even for errors", async () => {
    const h = await harness({ "commercial-mode": true, "request-log": true });
    try {
      const { tap } = play(h, { status: 500 });
      assert.equal(tap, null);
      assert.deepEqual(await h.files(), []);
    } finally {
      await h.cleanup();
    }
  });

  test("error-logs-max-files keeps the newest N forced logs", async () => {
    const h = await harness({ "error-logs-max-files": 3 });
    try {
      for (let i = 0; i < 5; i++) play(h, { status: 500 });
      assert.equal((await h.files()).length, 3);
    } finally {
      await h.cleanup();
    }
  });

  test("lowering error-logs-max-files through a reload prunes at once", async () => {
    const h = await harness({ "error-logs-max-files": 10 });
    try {
      for (let i = 0; i < 6; i++) play(h, { status: 500 });
      assert.equal((await h.files()).length, 6);
      await h.reconfigure({ "error-logs-max-files": 2 });
      assert.equal((await h.files()).length, 2);
    } finally {
      await h.cleanup();
    }
  });

  test("dispose drains everything queued", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = await harness({ "request-log": true }, {
      sink: (files) => ({
        async write(e) {
          await gate;
          await files.write(e);
        },
        writeSync: (e) => files.writeSync(e),
      }),
    });
    try {
      for (let i = 0; i < 20; i++) play(h);
      const disposed = h.hooks.dispose!();
      release();
      await disposed;
      assert.equal((await readdir(h.dir)).length, 20);
      assert.equal(h.logs.filter((l) => l.includes("dropped")).length, 0, "nothing was dropped");

      // A request that ends after shutdown (it outlived the grace period): its log is dropped, and the log says so
      // and why, at once (no timer outliving the plugin).
      const { rc } = play(h);
      assert.equal((await readdir(h.dir)).length, 20);
      const late = h.logs.filter((l) => l.includes("dropped"));
      assert.equal(late.length, 1);
      assert.match(late[0]!, new RegExp(`WARN.*request log ${rc.id} dropped: shutting down`));
    } finally {
      await h.cleanup();
    }
  });

  test("the upstream and client keys never reach the disk unmasked", async () => {
    const h = await harness({ "request-log": true });
    const key = "sk-live-UPSTREAMSECRET-987654321";
    try {
      play(h, { key });
      play(h, { key, status: 500 });
      for (const f of await h.files()) {
        const text = await readFile(join(h.dir, f), "utf8");
        assert.ok(!text.includes(key), f);
        assert.ok(!text.includes("UPSTREAMSECRET"), f);
        assert.ok(!text.includes("client-key-0123456789"), f);
        assert.ok(text.includes("Authorization: Bearer sk-l...4321"));
      }
    } finally {
      await h.cleanup();
    }
  });

  test("logging-to-file: main.log through SetupContext.addLogSink, removed when turned off", async () => {
    const sinks = new Set<LogSink>();
    const addLogSink = (s: LogSink) => {
      sinks.add(s);
      return () => sinks.delete(s);
    };
    const h = await harness({ "logging-to-file": true }, {}, { addLogSink });
    try {
      assert.equal(sinks.size, 1);
      for (const s of sinks) s("info", "hello main.log");
      await h.reconfigure({ "logging-to-file": false });
      assert.equal(sinks.size, 0, "removed when turned off");
      await h.hooks.requestLogger.flush();
      assert.equal(await readFile(join(h.dir, "main.log"), "utf8"), "hello main.log\n");
    } finally {
      await h.cleanup();
    }
  });
});
