/**
 * Request-logger hot paths: what a request pays for the logger on the response path.
 *
 * - enqueue with logging on (build the entry from the capture, snapshot it, queue it): target ≤ 1 µs; with the
 *   owned snapshot (the plugin default) and with the deep one;
 * - the per-request decision with logging off (a 200 that needs no forced log): target ≤ 50 ns;
 * - the tap: one captured chunk (a reference and a byte count);
 * - a whole logged-off request through the tap (capture object, attempt, head, one chunk, decision).
 *
 * Fast cases are timed in batches and reported per call (bench/support.ts `perCall`).
 *
 * The writer never runs here (its loop start is swallowed), so no file I/O is measured: with the normal lane full,
 * enqueue is the steady state of a writer that has fallen behind (drop the oldest, push).
 *
 * `deno run -A bench/request-logger.bench.ts` prints its own table; `deno task bench request-logger` runs it in the
 * shared runner.
 *
 * @module
 */
import { Bench } from "tinybench";
import type { Snapshot } from "../core/config/snapshot.ts";
import { RequestContext } from "../core/http/request-context.ts";
import { createLogger, LogOutput } from "../core/log.ts";
import type {
  RequestTap,
  ResponseSummary,
  RouteTarget,
  SetupContext,
  Slot,
  UpstreamRequest,
} from "../core/plugin/types.ts";
import { RequestCapture } from "../plugins/request-logger/capture.ts";
import { AsyncEmitter } from "../plugins/request-logger/emitter.ts";
import { type LogEntry, snapshotEntry, snapshotOwnedEntry } from "../plugins/request-logger/entry.ts";
import { renderLog } from "../plugins/request-logger/format.ts";
import { createRequestLogger, type RequestLoggerHooks } from "../plugins/request-logger/plugin.ts";
import { type RequestLoggerOptions, requestLoggerOptions } from "../plugins/request-logger/options.ts";
import { perCall } from "./support.ts";

const utf8 = new TextEncoder();
const PROMPT = "Summarise the following text in three sentences. ".repeat(20);
const ANSWER = JSON.stringify({
  id: "chatcmpl-1",
  object: "chat.completion",
  choices: [{ index: 0, message: { role: "assistant", content: "Paris is the capital of France. ".repeat(25) } }],
  usage: { prompt_tokens: 200, completion_tokens: 150, total_tokens: 350 },
});
const ANSWER_BYTES = utf8.encode(ANSWER);
const SSE_CHUNK = utf8.encode('data: {"choices":[{"index":0,"delta":{"content":" Paris"}}]}\n\n');

function requestContext(): RequestContext {
  return new RequestContext({
    snapshot: {} as Snapshot,
    format: "openai-chat",
    operation: "generate",
    request: new Request("http://127.0.0.1:8317/v1/chat/completions", {
      method: "POST",
      headers: {
        authorization: "Bearer client-key-0123456789",
        "content-type": "application/json",
        "user-agent": "OpenAI/JS 5.0.0",
        accept: "application/json",
        "x-stainless-lang": "js",
      },
    }),
    remoteAddress: "127.0.0.1",
    body: { model: "gpt-x", messages: [{ role: "user", content: PROMPT }] },
    rawBody: JSON.stringify({ model: "gpt-x", messages: [{ role: "user", content: PROMPT }] }),
    model: "gpt-x",
    stream: false,
    signal: new AbortController().signal,
    query: new URLSearchParams(),
  });
}

const TARGET = {
  provider: { id: "openai-compatible", formats: ["openai-chat"], buildRequest: () => UP },
  credential: {
    id: "openai-compatible:x#0",
    provider: "openai-compatible",
    label: "x",
    priority: 0,
    weight: 1,
    models: [],
    data: null,
  },
  upstreamModel: "real-model",
} as unknown as RouteTarget;

const UP: UpstreamRequest = {
  url: "https://api.example.com/v1/chat/completions",
  method: "POST",
  headers: new Headers({ authorization: "Bearer sk-upstream-0123456789", "content-type": "application/json" }),
  body: JSON.stringify({ model: "real-model", messages: [{ role: "user", content: PROMPT }] }),
};
const UP_RESPONSE_HEADERS = new Headers({ "content-type": "application/json", "x-request-id": "req_123" });
const CLIENT_HEADERS = new Headers({ "content-type": "application/json", "access-control-allow-origin": "*" });

const SUMMARY_OK: ResponseSummary = {
  status: 200,
  stream: false,
  usage: null,
  attempts: 1,
  firstByteMs: 10,
  durationMs: 20,
  error: null,
  cancelled: false,
};

/** A capture as a logged, non-stream request leaves it. */
function fullCapture(rc: RequestContext): RequestCapture {
  const c = new RequestCapture(rc, true, Date.now);
  c.upstreamRequest(1, UP, TARGET);
  c.upstreamResponse(1, 200, UP_RESPONSE_HEADERS);
  c.upstreamChunk(1, ANSWER_BYTES);
  c.clientHead(200, CLIENT_HEADERS);
  c.clientChunk(ANSWER_BYTES);
  return c;
}

function pluginHooks(options: Record<string, unknown>): RequestLoggerHooks {
  const def = createRequestLogger({
    schedule: () => {}, // the writer never runs: no I/O in the numbers
    sink: () => ({ write: async () => {}, writeSync: () => {} }),
  });
  const ctx = {
    options: requestLoggerOptions.parse(options),
    log: createLogger(new LogOutput("error", () => {})),
    signal: new AbortController().signal,
    configDir: "/nonexistent",
    registerProvider() {},
    mount() {},
    slot<T>(key: string): Slot<T> {
      return {
        get: (rc: RequestContext) => rc.getSlot(key) as T | undefined,
        set: (rc: RequestContext, v: T) => rc.setSlot(key, v),
      };
    },
  } as unknown as SetupContext<RequestLoggerOptions>;
  return def.setup(ctx) as RequestLoggerHooks;
}

type TapFn = (rc: RequestContext) => RequestTap | null;
type AfterFn = (rc: RequestContext, s: ResponseSummary) => void;

export const REQUEST_LOGGER_CASES = {
  enqueueOwned: "request-logger: enqueue, logging on, owned snapshot (default)",
  enqueueDeep: "request-logger: enqueue, logging on, deep snapshot",
  offDecision: "request-logger: afterResponse, logging off, 200 (decision)",
  commercialTap: "request-logger: tap, commercial-mode (null)",
  offRequest: "request-logger: whole request, logging off, 200 (tap + capture + decision)",
  tapChunk: "request-logger: tap capture per chunk (upstream + client)",
  render: "request-logger: render one non-stream log to bytes (writer side, off the response path)",
} as const;

function emitterWith(snapshot: (e: LogEntry) => LogEntry): AsyncEmitter<LogEntry> {
  // The loop start is swallowed: the normal lane fills, then every enqueue drops the oldest and pushes.
  return new AsyncEmitter<LogEntry>({
    sink: { write: async () => {}, writeSync: () => {} },
    snapshot,
    schedule: () => {},
  });
}

export function register(bench: Bench): void {
  // --- enqueue with logging on: a typical non-stream capture, through the emitter with each snapshot.
  const deep = emitterWith(snapshotEntry);
  const owned = emitterWith(snapshotOwnedEntry);
  const logged = fullCapture(requestContext());
  const loggedEntry = logged.toEntry(SUMMARY_OK, false);
  if (!new TextDecoder().decode(renderLog(loggedEntry, "bench")).includes("=== API RESPONSE 1 ===")) {
    throw new Error("render: the log lacks its upstream response section");
  }

  // --- logging off: the plugin's own hooks.
  const off = pluginHooks({ "error-logs-max-files": 10 });
  const offTap = off.tap as TapFn;
  const offAfter = off.afterResponse as AfterFn;
  const offRc = requestContext();
  offTap(offRc); // the capture sits in the request's slot, as after a real request
  const commercial = pluginHooks({ "commercial-mode": true });
  const commercialTap = commercial.tap as TapFn;

  // --- per chunk.
  const chunkRc = requestContext();
  const freshChunkCapture = () => {
    const c = new RequestCapture(chunkRc, true, Date.now);
    c.upstreamRequest(1, UP, TARGET);
    c.upstreamResponse(1, 200, UP_RESPONSE_HEADERS);
    c.clientHead(200, CLIENT_HEADERS);
    return c;
  };
  let chunkCapture = freshChunkCapture();
  let chunks = 0;

  let sink: unknown;
  bench
    .add(
      REQUEST_LOGGER_CASES.enqueueOwned,
      perCall(100, () => {
        sink = owned.enqueue(logged.toEntry(SUMMARY_OK, false));
      }),
    )
    .add(
      REQUEST_LOGGER_CASES.enqueueDeep,
      perCall(20, () => {
        sink = deep.enqueue(logged.toEntry(SUMMARY_OK, false));
      }),
    )
    .add(
      REQUEST_LOGGER_CASES.offDecision,
      perCall(1000, () => {
        offAfter(offRc, SUMMARY_OK);
      }),
    )
    .add(
      REQUEST_LOGGER_CASES.commercialTap,
      perCall(1000, () => {
        sink = commercialTap(offRc);
      }),
    )
    .add(
      REQUEST_LOGGER_CASES.offRequest,
      perCall(100, () => {
        const rc = offRc;
        const tap = offTap(rc)!;
        tap.upstreamRequest!(1, UP, TARGET);
        tap.upstreamResponse!(1, 200, UP_RESPONSE_HEADERS);
        tap.upstreamChunk!(1, ANSWER_BYTES);
        tap.clientHead!(200, CLIENT_HEADERS);
        tap.clientChunk!(ANSWER_BYTES);
        offAfter(rc, SUMMARY_OK);
      }),
    )
    .add(
      REQUEST_LOGGER_CASES.render,
      perCall(10, () => {
        sink = renderLog(loggedEntry, "bench");
      }),
    )
    .add(
      REQUEST_LOGGER_CASES.tapChunk,
      perCall(1000, () => {
        chunkCapture.upstreamChunk(1, SSE_CHUNK);
        chunkCapture.clientChunk(SSE_CHUNK);
        if (++chunks === 10_000) {
          // A fresh request now and then, so the chunk lists stay a realistic size.
          chunks = 0;
          chunkCapture = freshChunkCapture();
        }
      }),
    );
  void sink;
}

if ((import.meta as ImportMeta & { main?: boolean }).main) {
  const bench = new Bench({ name: "request-logger", time: 500, warmupTime: 100 });
  register(bench);
  await bench.run();
  console.table(bench.table());
  for (const t of bench.tasks) {
    const r = t.result as { latency?: { mean?: number; p50?: number } } | undefined;
    if (r?.latency?.mean !== undefined) {
      console.log(
        `${t.name}: ${Math.round((r.latency.p50 ?? 0) * 1e6)} ns median, ${Math.round(r.latency.mean * 1e6)} ns mean`,
      );
    }
  }
}
