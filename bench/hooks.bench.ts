/**
 * Hook dispatch per request with 0, 1 and 5 plugins: the hook lists are compiled by the core's own `compileHooks`
 * from tiny plugin definitions (each hook does almost nothing, so the figures are the dispatch itself), and run on a
 * real RequestContext. With no plugin every list is `null` and a request should pay (next to) nothing.
 *
 * The cases are timed per call in batches (see bench/support.ts): a single dispatch is far below the timer's own cost.
 *
 * @module
 */
import type { Bench } from "tinybench";
import {
  compileHooks,
  type HookSource,
  runAfterResponse,
  runBeforeUpstream,
  runOnRequest,
  runSelectProvider,
  runTaps,
} from "../core/plugin/hooks.ts";
import type { PluginHooks, ResponseSummary, UpstreamRequest } from "../core/plugin/types.ts";
import { createLogger, LogOutput } from "../core/log.ts";
import { benchContext, benchSnapshot, perCall, perCallAsync } from "./support.ts";

const log = createLogger(new LogOutput("error", () => {}));

/** Work the hooks do, so no engine can prove them empty. */
let seen = 0;

/** A plugin that observes every hook point and changes nothing (the shape of a logger or a metrics plugin). */
function observer(i: number): HookSource {
  const hooks: PluginHooks = {
    onRequest(rc) {
      seen += rc.model.length;
    },
    selectProvider() {
      seen++;
      return null;
    },
    beforeUpstream(up) {
      seen += up.method.length;
    },
    tap() {
      seen++;
      return null;
    },
    afterResponse(_rc, s) {
      seen += s.status;
    },
  };
  return { name: `bench-observer-${i}`, hooks, log: log.child(`p${i}`) };
}

const BATCH = 512;

export async function register(bench: Bench): Promise<void> {
  const snapshot = await benchSnapshot();
  const rc = benchContext(snapshot);
  const up: UpstreamRequest = {
    url: "http://127.0.0.1:9/v1/chat/completions",
    method: "POST",
    headers: new Headers({ "content-type": "application/json" }),
    body: '{"model":"gpt-4o"}',
  };
  const summary: ResponseSummary = {
    status: 200,
    stream: true,
    usage: null,
    attempts: 1,
    firstByteMs: 1,
    durationMs: 2,
    error: null,
    cancelled: false,
  };
  let sink: unknown;

  bench.add(
    "hooks: reference, one await of a resolved value",
    perCallAsync(BATCH, async () => {
      sink = await null;
    }),
  );
  for (const n of [0, 1, 5]) {
    const hooks = compileHooks(Array.from({ length: n }, (_, i) => observer(i)));
    if (n === 0 && (hooks.onRequest !== null || hooks.tap !== null || hooks.beforeUpstream !== null)) {
      throw new Error("compileHooks: an empty hook list must be null");
    }
    const label = `${n} plugin${n === 1 ? "" : "s"}`;
    bench
      .add(
        `hooks: runTaps, ${label}`,
        perCall(BATCH, () => {
          sink = runTaps(hooks.tap, rc);
        }),
      )
      .add(
        `hooks: runOnRequest (awaited), ${label}`,
        perCallAsync(BATCH, async () => {
          sink = await runOnRequest(hooks.onRequest, rc);
        }),
      )
      .add(
        `hooks: runBeforeUpstream (awaited), ${label}`,
        perCallAsync(BATCH, async () => {
          sink = await runBeforeUpstream(hooks.beforeUpstream, up, rc);
        }),
      )
      // Every hook point one proxied request passes, in the pipeline's order and with its awaits.
      .add(
        `hooks: all hook points of one request, ${label}`,
        perCallAsync(BATCH, async () => {
          sink = runTaps(hooks.tap, rc);
          sink = await runOnRequest(hooks.onRequest, rc);
          sink = await runSelectProvider(hooks.selectProvider, rc);
          sink = await runBeforeUpstream(hooks.beforeUpstream, up, rc);
          runAfterResponse(hooks.afterResponse, rc, summary);
        }),
      );
  }
  void sink;
}

if ((import.meta as ImportMeta & { main?: boolean }).main) {
  const { Bench } = await import("tinybench");
  const bench = new Bench({ name: "hooks", time: 500 });
  await register(bench);
  await bench.run();
  console.table(bench.table());
  if (seen === -1) console.log("unreachable");
}
