/**
 * Plugin lifecycle through the Runtime: setup at start, dispose + setup again on reload (or `onConfigChange` when the
 * plugin has it), disposal deferred until the old snapshot's last request ends, failed reloads, per-request slots.
 * Requests go through the real HTTP edge (`createApp(runtime).fetch`) without a listener.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { Runtime } from "../../../core/runtime.ts";
import { createApp } from "../../../core/http/app.ts";
import { LogOutput } from "../../../core/log.ts";
import { definePlugin } from "../../../core/plugin/define.ts";
import type { AnyPluginDefinition } from "../../../core/plugin/load.ts";
import { PluginError } from "../../../core/plugin/plugin-error.ts";
import type { SetupContext, Slot } from "../../../core/plugin/types.ts";
import type { ByteSource, UpstreamFetch } from "../../../core/http/upstream-fetch.ts";
import type { UpstreamRequest } from "../../../core/plugin/types.ts";
import { chatStreamChunks } from "../../helpers/fake-upstream.ts";

// ---------------------------------------------------------------------------------------------------------------
// Helpers

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** One macrotask: long enough for any promise chain the runtime started (a dispose, a rejection) to have run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** What a test plugin records about one of its set-up instances. */
interface Instance {
  readonly options: { n?: number; fail?: boolean };
  readonly signal: AbortSignal;
  readonly disposed: Deferred<void>;
  disposeCalls: number;
}

function isDisposed(i: Instance): boolean {
  return i.disposeCalls > 0;
}

const numberOptions = z.object({ n: z.number() });

/** A plugin without `onConfigChange`: every reload disposes it and sets it up again. */
function plainPlugin(instances: Instance[], events: string[] = []) {
  return definePlugin<{ n: number }>({
    name: "plain",
    version: "1.0.0",
    core: "^1.0.0",
    configSchema: numberOptions,
    setup(ctx) {
      const me: Instance = { options: ctx.options, signal: ctx.signal, disposed: deferred(), disposeCalls: 0 };
      instances.push(me);
      const index = instances.length;
      return {
        onRequest(rc) {
          if (rc.model !== "plain") return;
          return Response.json({ instance: index, n: ctx.options.n });
        },
        afterResponse() {
          events.push(`afterResponse#${index}`);
        },
        dispose() {
          events.push(`dispose#${index}`);
          me.disposeCalls++;
          me.disposed.resolve();
        },
      };
    },
  });
}

interface Keeper {
  setups: number;
  changes: [unknown, unknown][];
  disposeCalls: number;
  signal: AbortSignal | null;
}

/** A plugin with `onConfigChange`: a reload hands it the new options and it keeps its in-memory state. */
function keeperPlugin(k: Keeper) {
  return definePlugin<{ n: number }>({
    name: "keeper",
    version: "1.0.0",
    core: "^1.0.0",
    configSchema: numberOptions,
    setup(ctx) {
      k.setups++;
      k.signal = ctx.signal;
      let count = 0; // state that must survive reloads
      let current = ctx.options;
      return {
        onRequest(rc) {
          if (rc.model !== "keeper") return;
          count++;
          return Response.json({ count, n: current.n });
        },
        onConfigChange(next, prev) {
          k.changes.push([next, prev]);
          current = next;
        },
        dispose() {
          k.disposeCalls++;
        },
      };
    },
  });
}

/** Its setup throws when `fail` is set. */
function fragilePlugin(instances: Instance[]) {
  return definePlugin<{ fail: boolean }>({
    name: "fragile",
    version: "1.0.0",
    core: "^1.0.0",
    configSchema: z.object({ fail: z.boolean() }),
    setup(ctx) {
      instances.push({ options: ctx.options, signal: ctx.signal, disposed: deferred(), disposeCalls: 0 });
      if (ctx.options.fail) throw new Error("fragile refuses these options");
    },
  });
}

/** A running Runtime on a temp config, with helpers to rewrite the file and send requests through the HTTP edge. */
interface Harness {
  readonly runtime: Runtime;
  readonly dir: string;
  readonly logs: string[];
  write(yaml: string): Promise<void>;
  chat(model: string, extra?: Record<string, unknown>): Promise<Response>;
  close(): Promise<void>;
}

async function startRuntime(
  yaml: string,
  builtins: readonly AnyPluginDefinition[],
  opts: { fetchUpstream?: UpstreamFetch } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "switchyard-lifecycle-"));
  const configPath = join(dir, "config.yaml");
  await writeFile(configPath, yaml);
  const logs: string[] = [];
  let runtime: Runtime;
  try {
    runtime = await Runtime.start({
      configPath,
      builtins,
      logOutput: new LogOutput("debug", (_level, line) => logs.push(line)),
      watch: false,
      fetchUpstream: opts.fetchUpstream,
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const app = createApp(runtime);
  return {
    runtime,
    dir,
    logs,
    write: (text) => writeFile(configPath, text),
    chat: (model, extra = {}) =>
      app.fetch(
        new Request("http://switchyard.test/v1/chat/completions", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], ...extra }),
        }),
      ),
    async close() {
      await runtime.close(1000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const pluginsYaml = (entries: Record<string, unknown>) =>
  "plugins:\n" +
  Object.entries(entries).map(([use, options]) => `  - use: ${use}\n    options: ${JSON.stringify(options)}\n`).join(
    "",
  );

const defs = (...d: unknown[]) => d as AnyPluginDefinition[];

// ---------------------------------------------------------------------------------------------------------------

describe("reload of a plugin without onConfigChange", () => {
  test("disposes the old instance (signal aborted, dispose called) and sets it up again with the new options", async () => {
    const instances: Instance[] = [];
    const h = await startRuntime(pluginsYaml({ plain: { n: 1 } }), defs(plainPlugin(instances)));
    try {
      assert.equal(instances.length, 1);
      assert.deepEqual(instances[0]!.options, { n: 1 });
      assert.ok(Object.isFrozen(instances[0]!.options));
      assert.deepEqual(await (await h.chat("plain")).json(), { instance: 1, n: 1 });

      await h.write(pluginsYaml({ plain: { n: 2 } }));
      assert.equal(await h.runtime.reload(), "applied");
      await instances[0]!.disposed.promise;
      assert.equal(instances[0]!.signal.aborted, true);
      assert.equal(instances[0]!.disposeCalls, 1);

      assert.equal(instances.length, 2);
      assert.deepEqual(instances[1]!.options, { n: 2 });
      assert.equal(instances[1]!.signal.aborted, false);
      assert.equal(h.runtime.snapshot.version, 2);
      assert.deepEqual(await (await h.chat("plain")).json(), { instance: 2, n: 2 });
    } finally {
      await h.close();
    }
    // Shutdown disposes the live instance; the old one is not disposed twice.
    assert.equal(instances[1]!.disposeCalls, 1);
    assert.equal(instances[1]!.signal.aborted, true);
    assert.equal(instances[0]!.disposeCalls, 1);
  });

  test("a plugin removed from the config is disposed and no longer runs", async () => {
    const instances: Instance[] = [];
    const k: Keeper = { setups: 0, changes: [], disposeCalls: 0, signal: null };
    const h = await startRuntime(
      pluginsYaml({ plain: { n: 1 }, keeper: { n: 1 } }),
      defs(plainPlugin(instances), keeperPlugin(k)),
    );
    try {
      await h.write(pluginsYaml({ keeper: { n: 1 } }));
      assert.equal(await h.runtime.reload(), "applied");
      await instances[0]!.disposed.promise;
      assert.equal(instances.length, 1, "not set up again");
      assert.deepEqual(h.runtime.snapshot.plugins.map((p) => p.name), ["keeper"]);
      const res = await h.chat("plain");
      assert.equal(res.status, 400, "no plugin answers for model plain any more");
      await res.body?.cancel();
      assert.equal(k.disposeCalls, 0);
    } finally {
      await h.close();
    }
  });
});

describe("reload of a plugin with onConfigChange", () => {
  test("is not set up again, gets (next, prev) options and keeps its in-memory state", async () => {
    const instances: Instance[] = [];
    const k: Keeper = { setups: 0, changes: [], disposeCalls: 0, signal: null };
    const h = await startRuntime(
      pluginsYaml({ keeper: { n: 1 }, plain: { n: 1 } }),
      defs(keeperPlugin(k), plainPlugin(instances)),
    );
    try {
      assert.deepEqual(await (await h.chat("keeper")).json(), { count: 1, n: 1 });
      assert.deepEqual(await (await h.chat("keeper")).json(), { count: 2, n: 1 });

      await h.write(pluginsYaml({ keeper: { n: 2 }, plain: { n: 2 } }));
      assert.equal(await h.runtime.reload(), "applied");
      assert.equal(k.setups, 1);
      assert.deepEqual(k.changes, [[{ n: 2 }, { n: 1 }]]);
      assert.ok(Object.isFrozen(k.changes[0]![0]), "the new options are frozen too");
      assert.deepEqual(await (await h.chat("keeper")).json(), { count: 3, n: 2 });
      assert.deepEqual(h.runtime.snapshot.plugins.find((p) => p.name === "keeper")?.resolved.options, { n: 2 });

      // The plugin beside it without onConfigChange was set up again in the same reload.
      await instances[0]!.disposed.promise;
      assert.equal(instances.length, 2);

      await h.write(pluginsYaml({ keeper: { n: 3 }, plain: { n: 2 } }));
      assert.equal(await h.runtime.reload(), "applied");
      assert.deepEqual(k.changes[1], [{ n: 3 }, { n: 2 }], "prev is the previous snapshot's options");
      assert.deepEqual(await (await h.chat("keeper")).json(), { count: 4, n: 3 });

      await settle();
      assert.equal(k.setups, 1);
      assert.equal(k.disposeCalls, 0);
      assert.equal(k.signal?.aborted, false);
    } finally {
      await h.close();
    }
    assert.equal(k.disposeCalls, 1, "disposed once, at shutdown");
    assert.equal(k.signal?.aborted, true);
  });
});

describe("disposal waits for requests on the old snapshot", () => {
  test("with a lease taken through store.acquire(): disposed only after release()", async () => {
    const instances: Instance[] = [];
    const h = await startRuntime(pluginsYaml({ plain: { n: 1 } }), defs(plainPlugin(instances)));
    try {
      const held = h.runtime.store.acquire();
      await h.write(pluginsYaml({ plain: { n: 2 } }));
      assert.equal(await h.runtime.reload(), "applied");
      assert.notEqual(h.runtime.snapshot, held);
      assert.equal(instances.length, 2, "the new snapshot's instance is set up at once");

      await settle();
      assert.equal(h.runtime.store.inflight(held), 1);
      assert.equal(isDisposed(instances[0]!), false, "disposed while a request still runs on its snapshot");
      assert.equal(instances[0]!.signal.aborted, false);

      h.runtime.store.release(held);
      await instances[0]!.disposed.promise;
      assert.equal(instances[0]!.signal.aborted, true);
      assert.equal(isDisposed(instances[1]!), false);
    } finally {
      await h.close();
    }
  });

  test("a plugin carried through onConfigChange and then removed waits for requests on every older snapshot", async () => {
    const k: Keeper = { setups: 0, changes: [], disposeCalls: 0, signal: null };
    const h = await startRuntime(pluginsYaml({ keeper: { n: 1 } }), defs(keeperPlugin(k)));
    try {
      const a = h.runtime.store.acquire();
      await h.write(pluginsYaml({ keeper: { n: 2 } }));
      assert.equal(await h.runtime.reload(), "applied", "A → B keeps the plugin via onConfigChange");
      await h.write("plugins: []\n");
      assert.equal(await h.runtime.reload(), "applied", "B → C removes it");
      await settle();
      assert.equal(k.disposeCalls, 0, "a request on A still runs the plugin's hooks");
      h.runtime.store.release(a);
      await settle();
      await settle();
      assert.equal(k.disposeCalls, 1);
      assert.equal(k.signal?.aborted, true);
    } finally {
      await h.close();
    }
  });

  test("with a real streaming request: the old instance is disposed after its last byte and afterResponse", async () => {
    const instances: Instance[] = [];
    const events: string[] = [];
    // The upstream stream is driven by the test: chunks are handed out only when pushed.
    const queue: (Uint8Array | null)[] = [];
    let waiting: Deferred<void> | null = null;
    const push = (chunk: Uint8Array | null) => {
      queue.push(chunk);
      waiting?.resolve();
    };
    const source: ByteSource = {
      async read() {
        while (queue.length === 0) {
          waiting = deferred();
          await waiting.promise;
        }
        return queue.shift()!;
      },
      cancel() {},
    };
    const sent: UpstreamRequest[] = [];
    const fetchUpstream: UpstreamFetch = (req) => {
      sent.push(req);
      return Promise.resolve({
        status: 200,
        headers: new Headers({ "content-type": "text/event-stream" }),
        body: source,
      });
    };
    const provider = definePlugin({
      name: "lc-provider",
      version: "1.0.0",
      core: "^1.0.0",
      setup(ctx) {
        ctx.registerProvider(
          {
            id: "lc",
            formats: ["openai-chat"],
            buildRequest: (call) => ({
              url: "http://lc.invalid/chat",
              method: "POST",
              headers: new Headers({ "content-type": "application/json" }),
              body: JSON.stringify(call.body),
            }),
          },
          [{
            id: "lc:0",
            provider: "lc",
            label: "lc",
            priority: 0,
            weight: 1,
            models: [{ id: "lc-model", upstream: "lc-up" }],
            data: null,
          }],
        );
      },
    });
    const h = await startRuntime(
      pluginsYaml({ "lc-provider": {}, plain: { n: 1 } }),
      defs(provider, plainPlugin(instances, events)),
      { fetchUpstream },
    );
    try {
      const utf8 = new TextEncoder();
      const chunks = chatStreamChunks(["one ", "two"], "lc-up");
      push(utf8.encode(chunks[0]!));
      const old = h.runtime.snapshot;
      const res = await h.chat("lc-model", { stream: true });
      assert.equal(res.status, 200);
      assert.equal(sent.length, 1);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value, { stream: true });
      assert.match(text, /"role":"assistant"/);

      await h.write(pluginsYaml({ "lc-provider": {}, plain: { n: 2 } }));
      assert.equal(await h.runtime.reload(), "applied");
      assert.equal(instances.length, 2);
      await settle();
      assert.equal(h.runtime.store.inflight(old), 1);
      assert.equal(isDisposed(instances[0]!), false, "disposed while its stream is still open");
      assert.deepEqual(events, []);

      for (const c of chunks.slice(1)) push(utf8.encode(c));
      push(null);
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        text += decoder.decode(r.value, { stream: true });
      }
      assert.ok(text.trimEnd().endsWith("data: [DONE]"), text);
      await instances[0]!.disposed.promise;
      // The request's own snapshot ran its observers (instance 1's), then instance 1 went away.
      assert.deepEqual(events, ["afterResponse#1", "dispose#1"]);
      assert.equal(h.runtime.store.inflight(old), 0);
      assert.equal(isDisposed(instances[1]!), false);
    } finally {
      await h.close();
    }
  });
});

describe("a failed reload", () => {
  test("a plugin setup that throws rejects the reload; the old snapshot keeps serving; the new build's plugins are disposed", async () => {
    const plain: Instance[] = [];
    const fragile: Instance[] = [];
    const k: Keeper = { setups: 0, changes: [], disposeCalls: 0, signal: null };
    const h = await startRuntime(
      pluginsYaml({ plain: { n: 1 }, keeper: { n: 1 }, fragile: { fail: false } }),
      defs(plainPlugin(plain), keeperPlugin(k), fragilePlugin(fragile)),
    );
    try {
      const old = h.runtime.snapshot;
      await h.write(pluginsYaml({ plain: { n: 2 }, keeper: { n: 2 }, fragile: { fail: true } }));
      await assert.rejects(h.runtime.reload(), (err: unknown) => {
        assert.ok(err instanceof PluginError, String(err));
        assert.equal(err.code, "SWITCHYARD_ERR_PLUGIN_SETUP");
        assert.equal(err.plugin, "fragile");
        assert.equal(err.message, "[plugin fragile] setup failed: fragile refuses these options");
        assert.ok(err.cause instanceof Error);
        return true;
      });
      assert.equal(h.runtime.snapshot, old);
      assert.equal(h.runtime.snapshot.version, 1);

      // `plain` was set up for the failed build before `fragile` threw: that instance is disposed.
      assert.equal(plain.length, 2);
      assert.deepEqual(plain[1]!.options, { n: 2 });
      await plain[1]!.disposed.promise;
      assert.equal(plain[1]!.signal.aborted, true);
      // The failing plugin's own signal is aborted too.
      assert.equal(fragile.length, 2);
      assert.equal(fragile[1]!.signal.aborted, true);

      // The running instances are untouched and still serve.
      await settle();
      assert.equal(isDisposed(plain[0]!), false);
      assert.equal(plain[0]!.signal.aborted, false);
      assert.equal(fragile[0]!.signal.aborted, false);
      assert.deepEqual(k.changes, [], "onConfigChange is only called for a build that is applied");
      assert.equal(k.disposeCalls, 0);
      assert.deepEqual(await (await h.chat("plain")).json(), { instance: 1, n: 1 });
      assert.deepEqual(await (await h.chat("keeper")).json(), { count: 1, n: 1 });

      // A later good config applies normally.
      await h.write(pluginsYaml({ plain: { n: 3 }, keeper: { n: 3 }, fragile: { fail: false } }));
      assert.equal(await h.runtime.reload(), "applied");
      assert.equal(h.runtime.snapshot.version, 2);
      assert.deepEqual(await (await h.chat("plain")).json(), { instance: 3, n: 3 });
      assert.deepEqual(k.changes, [[{ n: 3 }, { n: 1 }]]);
      await plain[0]!.disposed.promise;
    } finally {
      await h.close();
    }
  });

  test("options a plugin's schema rejects fail the reload before anything is set up", async () => {
    const plain: Instance[] = [];
    const h = await startRuntime(pluginsYaml({ plain: { n: 1 } }), defs(plainPlugin(plain)));
    try {
      const old = h.runtime.snapshot;
      await h.write(pluginsYaml({ plain: { n: "two" } }));
      await assert.rejects(h.runtime.reload(), (err: unknown) => {
        assert.ok(err instanceof PluginError);
        assert.equal(err.code, "SWITCHYARD_ERR_PLUGIN_OPTIONS");
        assert.equal(err.plugin, "plain");
        assert.match(err.message, /Invalid options: n: /);
        return true;
      });
      assert.equal(h.runtime.snapshot, old);
      assert.equal(plain.length, 1);
      await settle();
      assert.equal(isDisposed(plain[0]!), false);
      assert.deepEqual(await (await h.chat("plain")).json(), { instance: 1, n: 1 });
    } finally {
      await h.close();
    }
  });
});

describe("reload() with identical content", () => {
  test('returns "unchanged" and touches no plugin', async () => {
    const plain: Instance[] = [];
    const k: Keeper = { setups: 0, changes: [], disposeCalls: 0, signal: null };
    const yaml = pluginsYaml({ plain: { n: 1 }, keeper: { n: 1 } });
    const h = await startRuntime(yaml, defs(plainPlugin(plain), keeperPlugin(k)));
    try {
      const old = h.runtime.snapshot;
      assert.equal(await h.runtime.reload(), "unchanged");
      await h.write(yaml); // rewritten, same bytes
      assert.equal(await h.runtime.reload(), "unchanged");
      await settle();
      assert.equal(h.runtime.snapshot, old);
      assert.equal(plain.length, 1);
      assert.equal(isDisposed(plain[0]!), false);
      assert.equal(k.setups, 1);
      assert.deepEqual(k.changes, []);
    } finally {
      await h.close();
    }
  });
});

describe("slot<T>()", () => {
  // Two plugins that both use the slot key "shared"; `writer` stores a per-request value, `reader` answers with what
  // both slots hold. The first request is held inside `reader` until a second request has gone through `writer`.
  let h: Harness;
  let writerSlot: Slot<string>;
  const seenBefore: (string | undefined)[] = [];
  const gate = deferred();
  const firstInReader = deferred();

  const writer = definePlugin({
    name: "writer",
    version: "1.0.0",
    core: "^1.0.0",
    setup(ctx) {
      const slot = (writerSlot = ctx.slot<string>("shared"));
      return {
        onRequest(rc) {
          seenBefore.push(slot.get(rc));
          slot.set(rc, `${String(rc.body.tag)}:writer`);
        },
      };
    },
  });
  const reader = definePlugin({
    name: "reader",
    version: "1.0.0",
    core: "^1.0.0",
    setup(ctx) {
      const own = ctx.slot<string>("shared");
      return {
        async onRequest(rc) {
          const ownBefore = own.get(rc) ?? null;
          own.set(rc, `${String(rc.body.tag)}:reader`);
          if (rc.body.tag === "first") {
            firstInReader.resolve();
            await gate.promise;
          }
          return Response.json({ writer: writerSlot.get(rc), reader: own.get(rc), ownBefore });
        },
      };
    },
  });

  before(async () => {
    h = await startRuntime(pluginsYaml({ writer: {}, reader: {} }), defs(writer, reader));
  });
  after(async () => {
    gate.resolve();
    await h?.close();
  });

  test("values are per request and per plugin", async () => {
    const first = h.chat("any", { tag: "first" });
    await firstInReader.promise;
    const second = await h.chat("any", { tag: "second" });
    assert.deepEqual(await second.json(), { writer: "second:writer", reader: "second:reader", ownBefore: null });
    gate.resolve();
    assert.deepEqual(await (await first).json(), { writer: "first:writer", reader: "first:reader", ownBefore: null });
    assert.deepEqual(seenBefore, [undefined, undefined], "a new request starts with empty slots");
  });
});

describe("SetupContext outside setup", () => {
  test("registerProvider and mount throw SWITCHYARD_ERR_PLUGIN_SETUP once setup has returned", async () => {
    let saved: SetupContext<unknown> | null = null;
    const late = definePlugin({
      name: "late",
      version: "1.0.0",
      core: "^1.0.0",
      setup(ctx) {
        saved = ctx;
      },
    });
    const h = await startRuntime(pluginsYaml({ late: {} }), defs(late));
    try {
      const ctx = saved as SetupContext<unknown> | null;
      assert.ok(ctx);
      const check = (fn: () => void, what: string) =>
        assert.throws(fn, (err: unknown) => {
          assert.ok(err instanceof PluginError);
          assert.equal(err.code, "SWITCHYARD_ERR_PLUGIN_SETUP");
          assert.equal(err.message, `[plugin late] ${what} must be called during setup`);
          return true;
        });
      check(
        () => ctx.registerProvider({ id: "x", formats: ["openai-chat"], buildRequest: () => assert.fail() }, []),
        "registerProvider",
      );
      check(() => ctx.mount("/late", { fetch: () => new Response() } as never), "mount");
      assert.equal(h.runtime.snapshot.models.size, 0);
    } finally {
      await h.close();
    }
  });
});
