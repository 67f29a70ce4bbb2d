// deno-lint-ignore-file require-await -- async hooks without await are the point: they exercise the promise path
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  compileHooks,
  type HookSource,
  runAfterResponse,
  runBeforeUpstream,
  runOnError,
  runOnRequest,
  runSelectProvider,
} from "../../../core/plugin/hooks.ts";
import type { PluginHooks, ResponseSummary, RouteTarget, UpstreamRequest } from "../../../core/plugin/types.ts";
import type { RequestContext } from "../../../core/http/request-context.ts";
import { ProxyError } from "../../../core/http/proxy-error.ts";
import { createLogger, LogOutput } from "../../../core/log.ts";

/** Log lines written through the loggers handed to the hook sources. */
function logCapture() {
  const lines: string[] = [];
  const root = createLogger(new LogOutput("debug", (_level, line) => lines.push(line)));
  return { lines, root };
}

function sources(list: readonly [string, PluginHooks | null][]): { plugins: HookSource[]; lines: string[] } {
  const { lines, root } = logCapture();
  return { plugins: list.map(([name, hooks]) => ({ name, hooks, log: root.child(name) })), lines };
}

// The runners only pass the context through to the hooks; an identity object is enough to check that they do.
const rc = Object.freeze({ id: "req-1" }) as unknown as RequestContext;

function upstream(url: string, headers: Record<string, string> = {}): UpstreamRequest {
  return { url, method: "POST", headers: new Headers(headers), body: "{}" };
}

const target = (name: string) => ({ upstreamModel: name }) as unknown as RouteTarget;

const summary: ResponseSummary = {
  status: 200,
  stream: false,
  usage: null,
  attempts: 1,
  firstByteMs: 1,
  durationMs: 2,
  error: null,
  cancelled: false,
};

/** Lets rejected observer promises reach their `.catch` handlers. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("compileHooks()", () => {
  test("orders `pre`, then unordered, then `post`, each in config order", async () => {
    const calls: string[] = [];
    const hook = (name: string, order?: "pre" | "post"): PluginHooks => {
      const handler = () => {
        calls.push(name);
      };
      return { onRequest: order ? { handler, order } : handler };
    };
    const { plugins } = sources([
      ["post-1", hook("post-1", "post")],
      ["plain-1", hook("plain-1")],
      ["pre-1", hook("pre-1", "pre")],
      ["post-2", hook("post-2", "post")],
      ["plain-2", hook("plain-2")],
      ["pre-2", hook("pre-2", "pre")],
    ]);
    const compiled = compileHooks(plugins);
    assert.deepEqual(compiled.onRequest?.map((e) => e.plugin), [
      "pre-1",
      "pre-2",
      "plain-1",
      "plain-2",
      "post-1",
      "post-2",
    ]);
    await runOnRequest(compiled.onRequest, rc);
    assert.deepEqual(calls, ["pre-1", "pre-2", "plain-1", "plain-2", "post-1", "post-2"]);
  });

  test("stores a hook nobody registered as null and freezes the lists", () => {
    const { plugins } = sources([
      ["none", null],
      ["empty", {}],
      ["observer", { afterResponse() {} }],
    ]);
    const compiled = compileHooks(plugins);
    assert.equal(compiled.onRequest, null);
    assert.equal(compiled.selectProvider, null);
    assert.equal(compiled.beforeUpstream, null);
    assert.equal(compiled.onError, null);
    assert.equal(compiled.afterResponse?.length, 1);
    assert.ok(Object.isFrozen(compiled));
    assert.ok(Object.isFrozen(compiled.afterResponse));
    assert.ok(Object.isFrozen(compiled.afterResponse![0]));
    const none = compileHooks([]) as unknown as Record<string, unknown>;
    for (const name of ["onRequest", "selectProvider", "beforeUpstream", "afterResponse", "onError"]) {
      assert.ok(name in none, name);
    }
    for (const [name, list] of Object.entries(none)) assert.equal(list, null, name);
  });

  test("calls a hook with its hooks object as `this`", async () => {
    const hooks = {
      answer: "from this",
      onRequest(this: { answer: string }) {
        return new Response(this.answer);
      },
    };
    const { plugins } = sources([["self", hooks as PluginHooks]]);
    const res = await runOnRequest(compileHooks(plugins).onRequest, rc);
    assert.equal(await res?.text(), "from this");
  });

  test("throws a TypeError naming the plugin and hook for a hook that is not a function", () => {
    const { plugins } = sources([["broken", { beforeUpstream: { order: "pre" } } as unknown as PluginHooks]]);
    assert.throws(() => compileHooks(plugins), (err: unknown) => {
      assert.ok(err instanceof TypeError);
      assert.match(err.message, /\[plugin broken\] beforeUpstream: /);
      return true;
    });
  });
});

describe("runOnRequest()", () => {
  test("stops at the first Response, sync or async, and skips the hooks after it", async () => {
    const calls: string[] = [];
    const answer = new Response("early", { status: 418 });
    const { plugins } = sources([
      ["a", { onRequest: () => void calls.push("a") }],
      ["b", { onRequest: async () => void calls.push("b") }],
      ["c", {
        onRequest: async (ctx) => {
          calls.push("c");
          assert.equal(ctx, rc);
          return answer;
        },
      }],
      ["d", { onRequest: () => void calls.push("d") }],
    ]);
    const res = await runOnRequest(compileHooks(plugins).onRequest, rc);
    assert.equal(res, answer);
    assert.deepEqual(calls, ["a", "b", "c"]);
  });

  test("returns null when no hook answers, or when there are no hooks", async () => {
    let calls = 0;
    const { plugins } = sources([["a", { onRequest: () => void calls++ }], ["b", {
      onRequest: async () => void calls++,
    }]]);
    assert.equal(await runOnRequest(compileHooks(plugins).onRequest, rc), null);
    assert.equal(calls, 2);
    assert.equal(await runOnRequest(null, rc), null);
  });
});

describe("runSelectProvider()", () => {
  test("the first non-null target wins; null and void fall through; later hooks are not called", async () => {
    const calls: string[] = [];
    const winner = target("winner");
    const { plugins } = sources([
      ["nothing", { selectProvider: () => void calls.push("nothing") }],
      ["null", {
        selectProvider: async () => {
          calls.push("null");
          return null;
        },
      }],
      ["wins", {
        selectProvider: async () => {
          calls.push("wins");
          return winner;
        },
      }],
      ["too-late", {
        selectProvider: () => {
          calls.push("too-late");
          return target("too-late");
        },
      }],
    ]);
    assert.equal(await runSelectProvider(compileHooks(plugins).selectProvider, rc), winner);
    assert.deepEqual(calls, ["nothing", "null", "wins"]);
  });

  test("a `pre` hook answers before an unordered one registered earlier", async () => {
    const { plugins } = sources([
      ["default-router", { selectProvider: { handler: () => target("default"), order: "post" } }],
      ["plain", { selectProvider: () => target("plain") }],
      ["amp", { selectProvider: { handler: () => target("amp"), order: "pre" } }],
    ]);
    const chosen = await runSelectProvider(compileHooks(plugins).selectProvider, rc);
    assert.equal(chosen?.upstreamModel, "amp");
  });

  test("returns null when every hook passes, or when there are no hooks", async () => {
    const { plugins } = sources([["a", { selectProvider: () => null }]]);
    assert.equal(await runSelectProvider(compileHooks(plugins).selectProvider, rc), null);
    assert.equal(await runSelectProvider(null, rc), null);
  });
});

describe("runBeforeUpstream()", () => {
  test("each result feeds the next hook; void keeps the current request", async () => {
    const seen: string[] = [];
    const { plugins } = sources([
      ["add-header", {
        beforeUpstream(up) {
          seen.push(`add-header:${up.url}`);
          const headers = new Headers(up.headers);
          headers.set("x-one", "1");
          return { ...up, headers };
        },
      }],
      ["observe", {
        beforeUpstream: async (up, ctx) => {
          assert.equal(ctx, rc);
          seen.push(`observe:${up.headers.get("x-one")}`);
        },
      }],
      ["rewrite-url", {
        beforeUpstream: async (up) => {
          seen.push(`rewrite-url:${up.headers.get("x-one")}`);
          return { ...up, url: up.url + "?rewritten=1" };
        },
      }],
      ["last", { beforeUpstream: { order: "post", handler: (up) => void seen.push(`last:${up.url}`) } }],
    ]);
    const first = upstream("https://up.example/v1");
    const out = await runBeforeUpstream(compileHooks(plugins).beforeUpstream, first, rc);
    assert.deepEqual(seen, [
      "add-header:https://up.example/v1",
      "observe:1",
      "rewrite-url:1",
      "last:https://up.example/v1?rewritten=1",
    ]);
    assert.equal(out.url, "https://up.example/v1?rewritten=1");
    assert.equal(out.headers.get("x-one"), "1");
    assert.equal(first.headers.get("x-one"), null, "the original request is not mutated by the hooks above");
  });

  test("returns the request unchanged without hooks or when every hook returns void", async () => {
    const up = upstream("https://up.example/");
    assert.equal(await runBeforeUpstream(null, up, rc), up);
    const { plugins } = sources([["a", { beforeUpstream: () => {} }], ["b", { beforeUpstream: async () => {} }]]);
    assert.equal(await runBeforeUpstream(compileHooks(plugins).beforeUpstream, up, rc), up);
  });
});

describe("hook failures", () => {
  const boom = new Error("boom");
  const cases = [
    {
      hook: "onRequest",
      hooks: (fn: () => never): PluginHooks => ({ onRequest: fn }),
      run: (c: ReturnType<typeof compileHooks>) => runOnRequest(c.onRequest, rc),
    },
    {
      hook: "selectProvider",
      hooks: (fn: () => never): PluginHooks => ({ selectProvider: fn }),
      run: (c: ReturnType<typeof compileHooks>) => runSelectProvider(c.selectProvider, rc),
    },
    {
      hook: "beforeUpstream",
      hooks: (fn: () => never): PluginHooks => ({ beforeUpstream: fn }),
      run: (c: ReturnType<typeof compileHooks>) => runBeforeUpstream(c.beforeUpstream, upstream("https://u/"), rc),
    },
  ] as const;

  for (const { hook, hooks, run } of cases) {
    test(`a ${hook} hook that throws becomes a ProxyError naming plugin and hook`, async () => {
      let after = 0;
      const { plugins } = sources([
        ["fine", {}],
        [
          "thrower",
          hooks(() => {
            throw boom;
          }),
        ],
        ["after", {
          onRequest: () => void after++,
          selectProvider: () => void after++,
          beforeUpstream: () => void after++,
        }],
      ]);
      await assert.rejects(run(compileHooks(plugins)), (err: unknown) => {
        assert.ok(err instanceof ProxyError, String(err));
        assert.equal(err.status, 500);
        assert.equal(err.kind, "plugin_error");
        assert.equal(err.code, "SWITCHYARD_ERR_PLUGIN_HOOK");
        assert.equal(err.plugin, "thrower");
        assert.equal(err.hook, hook);
        assert.equal(err.message, `[plugin thrower] ${hook}: boom`);
        assert.equal(err.cause, boom);
        return true;
      });
      assert.equal(after, 0, "hooks after a failing one do not run");
    });

    test(`a ${hook} hook that rejects becomes a ProxyError too`, async () => {
      const { plugins } = sources([[
        "rejecter",
        hooks(
          (async () => {
            throw "not an Error";
          }) as unknown as () => never,
        ),
      ]]);
      await assert.rejects(run(compileHooks(plugins)), (err: unknown) => {
        assert.ok(err instanceof ProxyError);
        assert.equal(err.code, "SWITCHYARD_ERR_PLUGIN_HOOK");
        assert.equal(err.plugin, "rejecter");
        assert.equal(err.hook, hook);
        assert.match(err.message, /not an Error/);
        return true;
      });
    });

    test(`a ProxyError thrown by a ${hook} hook keeps its status and fields`, async () => {
      const deliberate = new ProxyError(429, "upstream_error", "Slow down", {
        code: "rate_limited",
        headers: { "retry-after": "7" },
      });
      const { plugins } = sources([[
        "limiter",
        hooks(() => {
          throw deliberate;
        }),
      ]]);
      await assert.rejects(run(compileHooks(plugins)), (err: unknown) => {
        assert.equal(err, deliberate);
        assert.equal((err as ProxyError).status, 429);
        assert.equal((err as ProxyError).code, "rate_limited");
        return true;
      });
    });
  }
});

describe("observers: runAfterResponse() and runOnError()", () => {
  test("afterResponse observers all start at once with the summary, without being awaited", async () => {
    const calls: string[] = [];
    const { plugins } = sources([
      ["slow", {
        afterResponse: (ctx, s) => {
          calls.push(`slow:${s.status}`);
          assert.equal(ctx, rc);
          return new Promise<void>(() => {}); // never settles
        },
      }],
      ["fast", { afterResponse: (_ctx, s) => void calls.push(`fast:${s.attempts}`) }],
    ]);
    const result = runAfterResponse(compileHooks(plugins).afterResponse, rc, summary) as unknown;
    assert.equal(result, undefined, "nothing to await: observers are off the response path");
    assert.deepEqual(calls, ["slow:200", "fast:1"]);
    runAfterResponse(null, rc, summary);
  });

  test("an afterResponse observer that throws or rejects is logged with plugin and hook, never thrown", async () => {
    let reached = 0;
    const { plugins, lines } = sources([
      ["sync-thrower", {
        afterResponse() {
          throw new Error("sync failure");
        },
      }],
      ["async-rejecter", {
        afterResponse: async () => {
          throw new Error("async failure");
        },
      }],
      ["healthy", { afterResponse: () => void reached++ }],
    ]);
    assert.doesNotThrow(() => runAfterResponse(compileHooks(plugins).afterResponse, rc, summary));
    assert.equal(reached, 1, "a failing observer does not stop the others");
    await settle();
    const errors = lines.filter((l) => l.includes("ERROR"));
    assert.equal(errors.length, 2, lines.join("\n"));
    assert.ok(
      errors.some((l) =>
        l.includes("[sync-thrower]") && l.includes("afterResponse failed") && l.includes("sync failure")
      ),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((l) =>
        l.includes("[async-rejecter]") && l.includes("afterResponse failed") && l.includes("async failure")
      ),
      errors.join("\n"),
    );
    assert.ok(errors.every((l) => l.includes("SWITCHYARD_ERR_PLUGIN_HOOK")));
  });

  test("onError observers get the error; one that throws or rejects is logged, never thrown", async () => {
    const err = new ProxyError(502, "upstream_error", "upstream said no");
    const seen: unknown[] = [];
    const { plugins, lines } = sources([
      ["watcher", { onError: (e, ctx) => void seen.push(e, ctx) }],
      ["sync-thrower", {
        onError() {
          throw new Error("observer broke");
        },
      }],
      ["async-rejecter", { onError: () => Promise.reject(new Error("observer rejected")) }],
      ["late-watcher", { onError: { order: "post", handler: (e) => void seen.push(e) } }],
    ]);
    assert.doesNotThrow(() => runOnError(compileHooks(plugins).onError, err, rc));
    assert.deepEqual(seen, [err, rc, err]);
    await settle();
    const errors = lines.filter((l) => l.includes("ERROR"));
    assert.equal(errors.length, 2, lines.join("\n"));
    assert.ok(
      errors.some((l) => l.includes("[sync-thrower]") && l.includes("onError failed") && l.includes("observer broke")),
    );
    assert.ok(
      errors.some((l) =>
        l.includes("[async-rejecter]") && l.includes("onError failed") && l.includes("observer rejected")
      ),
    );
    runOnError(null, err, rc);
  });
});
