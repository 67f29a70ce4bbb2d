/**
 * The request pipeline: hooks → route → (translate) → upstream → stream back, with failover before the first byte.
 *
 * Same-format streams pass through as the upstream's own bytes: the SSE parser runs beside them only to observe
 * usage, the terminal event and in-band errors; nothing is re-serialised.
 */
import { FORMAT_PROFILES } from "../formats/profiles.ts";
import type { FormatProfile } from "../formats/format-profile.ts";
import { newObservation } from "../formats/format-profile.ts";
import { isJsonObject, type JsonObject, type Usage } from "../formats/wire-format.ts";
import { ProxyError, toProxyError } from "../http/proxy-error.ts";
import type { RequestContext } from "../http/request-context.ts";
import type { UpstreamFetch, UpstreamResponse } from "../http/upstream-fetch.ts";
import { readAllText } from "../http/upstream-fetch.ts";
import { runAfterResponse, runBeforeUpstream, runOnError, runOnRequest, runSelectProvider } from "../plugin/hooks.ts";
import type { ResponseSummary, RouteTarget, UpstreamCall } from "../plugin/types.ts";
import { isRequestFault, upstreamError } from "../routing/failure.ts";
import { orderCandidates, type RoutingState } from "../routing/selector.ts";
import { SseParser, type SseEvent } from "./sse-parser.ts";
import { SSE_KEEPALIVE } from "./sse-encoder.ts";

export interface PipelineEnv {
  readonly fetchUpstream: UpstreamFetch;
  readonly routing: RoutingState;
}

const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  "access-control-allow-origin": "*",
});

const RAW_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json",
  "access-control-allow-origin": "*",
});

const utf8 = new TextEncoder();

/** Gemini with an `alt` other than `sse` streams the upstream's raw bytes (a JSON array): no SSE framing at all. */
function isRawStream(rc: RequestContext): boolean {
  if (rc.format !== "gemini") return false;
  const alt = rc.query.get("alt");
  return alt !== null && alt !== "" && alt !== "sse";
}

/** One attempt's failure, and whether the next credential may be tried. */
interface AttemptFailure {
  readonly error: ProxyError;
  readonly retryable: boolean;
}

/**
 * Tracks what `afterResponse` will be told and guarantees it (and `done`) run exactly once, at the real end of the
 * request: after the last byte of a stream, or when the client leaves.
 */
class RequestOutcome {
  readonly #rc: RequestContext;
  readonly #done: () => void;
  attempts = 0;
  firstByteAt: number | null = null;
  #finished = false;

  constructor(rc: RequestContext, done: () => void) {
    this.#rc = rc;
    this.#done = done;
  }

  finish(status: number, usage: Usage | null, error: ProxyError | null, cancelled: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    const rc = this.#rc;
    try {
      if (error) runOnError(rc.snapshot.hooks.onError, error, rc);
      const hooks = rc.snapshot.hooks.afterResponse;
      // Fast path: no observer, no summary object.
      if (hooks !== null) {
        const now = performance.now();
        const summary: ResponseSummary = {
          status,
          stream: rc.stream,
          usage,
          attempts: this.attempts,
          firstByteMs: this.firstByteAt === null ? null : this.firstByteAt - rc.startedAt,
          durationMs: now - rc.startedAt,
          error,
          cancelled,
        };
        runAfterResponse(hooks, rc, summary);
      }
    } finally {
      this.#done();
    }
  }
}

/** Serves one proxied request. `done` runs once when the request has fully ended (used to release the snapshot). */
export async function proxyRequest(rc: RequestContext, env: PipelineEnv, done: () => void): Promise<Response> {
  const outcome = new RequestOutcome(rc, done);
  const profile = FORMAT_PROFILES[rc.format];
  try {
    const early = await runOnRequest(rc.snapshot.hooks.onRequest, rc);
    if (early) {
      outcome.finish(early.status, null, null, false);
      return early;
    }
    const keepaliveMs = rc.stream ? 0 : rc.snapshot.settings.nonstreamKeepaliveMs;
    if (keepaliveMs > 0) {
      // Errors become the client's error response here too, so the outcome is finished and the lease released.
      const answer = runAttempts(rc, env, profile, outcome).catch((err) =>
        errorResponse(profile, toProxyError(err), outcome)
      );
      return await withNonStreamKeepalive(keepaliveMs, answer);
    }
    return await runAttempts(rc, env, profile, outcome);
  } catch (err) {
    return errorResponse(profile, toProxyError(err), outcome);
  }
}

function errorResponse(profile: FormatProfile, err: ProxyError, outcome: RequestOutcome): Response {
  outcome.finish(err.status, null, err, false);
  return renderError(profile, err);
}

/** An HTTP error in the client's format. */
export function renderError(profile: FormatProfile, err: ProxyError): Response {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "access-control-allow-origin": "*",
  };
  if (err.headers) Object.assign(headers, err.headers);
  return new Response(profile.errorBody(err), { status: err.status, headers });
}

async function resolveTargets(rc: RequestContext, env: PipelineEnv): Promise<readonly RouteTarget[]> {
  const chosen = await runSelectProvider(rc.snapshot.hooks.selectProvider, rc);
  if (chosen) return [chosen];
  const candidates = rc.snapshot.models.resolve(rc.model);
  if (!candidates || candidates.length === 0) {
    throw new ProxyError(400, "model_not_found", `unknown provider for model ${rc.model}`, {
      type: "invalid_request_error",
      code: "model_not_found",
      param: "model",
    });
  }
  return orderCandidates(candidates, rc.model, rc.snapshot.settings.strategy, env.routing);
}

async function runAttempts(
  rc: RequestContext,
  env: PipelineEnv,
  profile: FormatProfile,
  outcome: RequestOutcome,
): Promise<Response> {
  const targets = await resolveTargets(rc, env);
  let last: AttemptFailure | null = null;
  for (const target of targets) {
    if (rc.signal.aborted) break;
    outcome.attempts++;
    rc.target = target;
    const result = await attempt(rc, target, env, profile, outcome);
    if (result instanceof Response) return result;
    last = result;
    rc.log.debug(`attempt ${outcome.attempts} via ${target.credential.label} failed: ${result.error.status}`);
    if (!result.retryable) break;
  }
  if (rc.signal.aborted) throw new ProxyError(499, "bad_request", "Client closed the request");
  throw last?.error ?? new ProxyError(503, "auth_unavailable", `auth_unavailable: no auth available (model=${rc.model})`);
}

async function attempt(
  rc: RequestContext,
  target: RouteTarget,
  env: PipelineEnv,
  profile: FormatProfile,
  outcome: RequestOutcome,
): Promise<Response | AttemptFailure> {
  const adapter = target.provider;
  if (!adapter.formats.includes(rc.format)) {
    // Translation between formats arrives with the format translators; say so in the client's format.
    throw new ProxyError(
      501,
      "not_implemented",
      `Translating ${rc.format} requests to ${adapter.formats.join("/")} (provider ${adapter.id}) is not implemented yet`,
    );
  }
  const body: JsonObject = { ...rc.body, model: target.upstreamModel };
  const call: UpstreamCall = {
    credential: target.credential,
    upstreamModel: target.upstreamModel,
    format: rc.format,
    operation: rc.operation,
    stream: rc.stream,
    body,
    rc,
  };
  const built = await adapter.buildRequest(call);
  const up = await runBeforeUpstream(rc.snapshot.hooks.beforeUpstream, built, rc);

  let res: UpstreamResponse;
  try {
    res = await env.fetchUpstream(up, rc.signal);
  } catch (err) {
    if (rc.signal.aborted) throw new ProxyError(499, "bad_request", "Client closed the request");
    const message = err instanceof Error ? err.message : String(err);
    return {
      error: new ProxyError(502, "upstream_unreachable", `Upstream ${adapter.id} unreachable: ${message}`),
      retryable: true,
    };
  }

  if (res.status < 200 || res.status >= 300) {
    let text = "";
    try {
      text = await readAllText(res.body, 4 * 1024 * 1024);
    } catch {
      // The status alone still classifies the failure.
    }
    const error = upstreamError(res.status, text, adapter.id, res.headers.get("retry-after"));
    return { error, retryable: !isRequestFault(res.status, text) };
  }

  if (rc.stream) return streamPassthrough(rc, res, profile, outcome);

  let text: string;
  try {
    text = await readAllText(res.body);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { error: new ProxyError(502, "upstream_error", `Upstream response failed: ${message}`), retryable: true };
  }
  outcome.firstByteAt = performance.now();
  outcome.finish(res.status, rc.snapshot.hooks.afterResponse === null ? null : usageOfBody(profile, text), null, false);
  return new Response(text, {
    status: res.status,
    headers: {
      "content-type": res.headers.get("content-type") ?? "application/json",
      "access-control-allow-origin": "*",
    },
  });
}

/** Usage of a non-stream JSON answer; only computed when an observer wants it. */
function usageOfBody(profile: FormatProfile, text: string): Usage | null {
  try {
    const body: unknown = JSON.parse(text);
    return isJsonObject(body) ? profile.bodyUsage(body) : null;
  } catch {
    return null;
  }
}

/** True when `chunk` ends an SSE event (`\n\n` or `\r\n\r\n` / `\r\r`), so a frame may be inserted after it. */
function endsAtEventBoundary(chunk: Uint8Array): boolean {
  const n = chunk.byteLength;
  if (n < 2) return false;
  const a = chunk[n - 2];
  const b = chunk[n - 1];
  return (b === 0x0a && (a === 0x0a || (n >= 4 && a === 0x0d && chunk[n - 3] === 0x0a))) ||
    (b === 0x0d && a === 0x0d);
}

/**
 * Waits for the first upstream event before answering, so a failure before it is an ordinary HTTP error (and the next
 * credential may be tried), then streams the upstream bytes through unchanged.
 */
async function streamPassthrough(
  rc: RequestContext,
  res: UpstreamResponse,
  profile: FormatProfile,
  outcome: RequestOutcome,
): Promise<Response | AttemptFailure> {
  const body = res.body;
  // Raw streams are not SSE: the first non-empty chunk ends the bootstrap, and there is nothing to parse.
  const raw = isRawStream(rc);
  const parser = new SseParser();
  const obs = newObservation();
  let events = 0;
  const onEvent = (ev: SseEvent) => {
    events++;
    profile.observe(ev, obs);
  };

  const head: Uint8Array[] = [];
  try {
    while (events === 0) {
      const chunk = await body.read();
      if (chunk === null) {
        if (!raw) parser.end(onEvent);
        break;
      }
      head.push(chunk);
      if (!raw) parser.push(chunk, onEvent);
      else if (chunk.byteLength > 0) events++;
    }
  } catch (err) {
    body.cancel();
    if (rc.signal.aborted) throw new ProxyError(499, "bad_request", "Client closed the request");
    const message = err instanceof Error ? err.message : String(err);
    return { error: new ProxyError(502, "upstream_stream_error", `Upstream stream failed: ${message}`), retryable: true };
  }
  if (events === 0) {
    return { error: new ProxyError(502, "upstream_stream_error", "Upstream stream ended without data"), retryable: true };
  }
  if (obs.error !== null && events === 1) {
    body.cancel();
    return { error: upstreamError(502, obs.error, rc.target?.provider.id ?? "upstream", null), retryable: true };
  }

  // A keep-alive comment would corrupt a raw stream.
  const keepaliveMs = raw ? 0 : rc.snapshot.settings.keepaliveMs;
  let atBoundary = endsAtEventBoundary(head[head.length - 1]!);
  let pendingRead: Promise<Uint8Array | null> | null = null;
  let midError: ProxyError | null = null;

  const finishStream = (cancelled: boolean) => {
    const error = midError ?? (obs.error !== null ? upstreamError(502, obs.error, "upstream", null) : null);
    outcome.finish(200, obs.usage, error, cancelled);
  };

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of head) controller.enqueue(chunk);
    },
    async pull(controller) {
      let chunk: Uint8Array | null;
      try {
        if (keepaliveMs > 0) {
          const read = pendingRead ?? body.read();
          let winner = await raceKeepalive(read, keepaliveMs);
          // A comment in the middle of an event would corrupt it, and after the terminal event ([DONE],
          // message_stop…) nothing may follow: skip those ticks and keep waiting here. A pull that returns without
          // enqueueing is not called again (WHATWG streams), which would stall the client.
          while (winner === KEEPALIVE_TICK && (!atBoundary || obs.terminal)) {
            winner = await raceKeepalive(read, keepaliveMs);
          }
          if (winner === KEEPALIVE_TICK) {
            pendingRead = read;
            controller.enqueue(SSE_KEEPALIVE.slice());
            return;
          }
          pendingRead = null;
          chunk = winner;
        } else {
          chunk = await body.read();
        }
        if (chunk !== null) {
          controller.enqueue(chunk);
          atBoundary = endsAtEventBoundary(chunk);
          if (!raw) parser.push(chunk, onEvent);
          return;
        }
        if (!raw) parser.end(onEvent);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        midError = new ProxyError(502, "upstream_stream_error", `Upstream stream failed: ${message}`);
      }
      if (midError === null && profile.hasTerminalEvent && !obs.terminal && obs.error === null) {
        midError = new ProxyError(502, "upstream_stream_error", "Upstream stream ended before its final event");
      }
      if (midError !== null) {
        // Never a clean finish after a cut: the client gets its format's in-stream error.
        const frame = raw
          ? profile.errorBody(midError)
          : (atBoundary ? "" : "\n\n") + profile.streamErrorFrame(midError);
        controller.enqueue(utf8.encode(frame));
      }
      controller.close();
      finishStream(false);
    },
    cancel() {
      body.cancel();
      finishStream(true);
    },
  });
  outcome.firstByteAt = performance.now();
  return new Response(stream, { status: 200, headers: raw ? RAW_HEADERS : SSE_HEADERS });
}

const KEEPALIVE_TICK = Symbol("keepalive");

function raceKeepalive(
  read: Promise<Uint8Array | null>,
  ms: number,
): Promise<Uint8Array | null | typeof KEEPALIVE_TICK> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = new Promise<typeof KEEPALIVE_TICK>((resolve) => {
    timer = setTimeout(resolve, ms, KEEPALIVE_TICK);
  });
  return Promise.race([read, tick]).finally(() => clearTimeout(timer));
}

/**
 * `nonstream-keepalive-interval`: write `\n` every interval while the upstream works, then the JSON. A client that
 * parses JSON ignores the leading whitespace. Nothing is sent before the first interval has passed, so an answer or
 * error that comes sooner keeps its own status; after that the status is committed as 200 and an error is written as
 * the JSON body (CLIProxyAPI's ticker behaves the same way).
 */
async function withNonStreamKeepalive(ms: number, answer: Promise<Response>): Promise<Response> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = new Promise<typeof KEEPALIVE_TICK>((resolve) => {
    timer = setTimeout(resolve, ms, KEEPALIVE_TICK);
  });
  const first = await Promise.race([answer, tick]).finally(() => clearTimeout(timer));
  if (first !== KEEPALIVE_TICK) return first;
  const newline = utf8.encode("\n");
  let interval: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(newline.slice());
      interval = setInterval(() => controller.enqueue(newline.slice()), ms);
      answer
        .then((res) => res.arrayBuffer())
        .then((buf) => {
          clearInterval(interval);
          controller.enqueue(new Uint8Array(buf));
          controller.close();
        })
        .catch((err) => {
          clearInterval(interval);
          controller.error(err);
        });
    },
    cancel() {
      clearInterval(interval);
    },
  });
  return new Response(stream, {
    status: 200,
    headers: { "content-type": "application/json", "access-control-allow-origin": "*" },
  });
}

