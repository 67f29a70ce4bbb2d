/**
 * Helpers for bench suites (not a suite itself: the runners only collect `*.bench.ts`).
 *
 * - {@link perCall} / {@link perCallAsync}: time sub-microsecond work in batches. tinybench times every call with two
 *   timer reads (~30–100 ns on these runtimes), which would swamp a 5 ns hook dispatch; a batch of N calls is timed
 *   once and reported per call through tinybench's `overriddenDuration`, its documented way to measure below the timer
 *   overhead. `overriddenIterationCost` keeps the time budget honest (the whole batch counts).
 * - {@link benchSnapshot} / {@link benchContext}: a real config snapshot (Runtime.start on a temp config) and a real
 *   RequestContext on it, for suites that drive core code needing them. No fakes of core internals.
 *
 * @module
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Snapshot } from "../core/config/snapshot.ts";
import type { WireFormat } from "../core/formats/wire-format.ts";
import { RequestContext } from "../core/http/request-context.ts";
import { LogOutput } from "../core/log.ts";
import type { AnyPluginDefinition } from "../core/plugin/load.ts";
import { Runtime } from "../core/runtime.ts";

/** What a tinybench task function returns when it measured itself. */
export interface MeasuredBatch {
  overriddenDuration: number;
  overriddenIterationCost: number;
}

/** A task that runs `body` `batch` times per sample and reports the mean time of one call (ms, tinybench's unit). */
export function perCall(batch: number, body: () => unknown): () => MeasuredBatch {
  return function measuredBatch() {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) body();
    const total = performance.now() - t0;
    return { overriddenDuration: total / batch, overriddenIterationCost: total };
  };
}

/** {@link perCall} for an async body: each call is awaited before the next, as the pipeline awaits its hooks. */
export function perCallAsync(batch: number, body: () => Promise<unknown>): () => Promise<MeasuredBatch> {
  return async function measuredAsyncBatch() {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) await body();
    const total = performance.now() - t0;
    return { overriddenDuration: total / batch, overriddenIterationCost: total };
  };
}

/**
 * A task that runs `body` once per sample (for work of many µs, e.g. a whole stream) and reports the time divided by
 * `units` (chunks, events), so the table shows a per-unit cost.
 */
export function perUnitAsync(units: number, body: () => Promise<unknown>): () => Promise<MeasuredBatch> {
  return async function measuredPerUnit() {
    const t0 = performance.now();
    await body();
    const total = performance.now() - t0;
    return { overriddenDuration: total / units, overriddenIterationCost: total };
  };
}

const snapshots = new Map<string, Promise<Snapshot>>();

/**
 * The first snapshot of a Runtime started on `yaml` (written to a temp dir) with `builtins`; the runtime is closed and
 * the dir removed once the snapshot is built, so no handle keeps the bench process alive. Memoised per YAML text when
 * no builtins are given.
 */
export function benchSnapshot(
  yaml = "debug: false\n",
  builtins: readonly AnyPluginDefinition[] = [],
): Promise<Snapshot> {
  const key = builtins.length === 0 ? yaml : null;
  const cached = key === null ? undefined : snapshots.get(key);
  if (cached) return cached;
  const built = (async () => {
    const dir = await mkdtemp(join(tmpdir(), "switchyard-bench-"));
    try {
      const configPath = join(dir, "config.yaml");
      await writeFile(configPath, yaml);
      const runtime = await Runtime.start({
        configPath,
        builtins,
        logOutput: new LogOutput("error", () => {}),
        watch: false,
      });
      const snapshot = runtime.snapshot;
      await runtime.close(0);
      return snapshot;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  if (key !== null) snapshots.set(key, built);
  return built;
}

/** A RequestContext as the HTTP edge builds it for a chat request (the body is what the client sent). */
export function benchContext(
  snapshot: Snapshot,
  opts: { format?: WireFormat; stream?: boolean; model?: string; path?: string } = {},
): RequestContext {
  const model = opts.model ?? "gpt-4o";
  const stream = opts.stream ?? true;
  const body = { model, stream, messages: [{ role: "user", content: "Say hello." }] };
  const request = new Request(`http://127.0.0.1:8317${opts.path ?? "/v1/chat/completions"}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-bench" },
    body: JSON.stringify(body),
  });
  return new RequestContext({
    snapshot,
    format: opts.format ?? "openai-chat",
    operation: "generate",
    request,
    remoteAddress: "127.0.0.1",
    body,
    rawBody: JSON.stringify(body),
    model,
    stream,
    signal: new AbortController().signal,
    query: new URLSearchParams(""),
  });
}
