/**
 * Answers in the client's format from an upstream of another format: streams through the IR event chain, single
 * JSON bodies through parse → render, and stream-only upstreams assembled into one JSON answer.
 */
import { ResponseAssembler } from "../formats/assemble.ts";
import { type FormatCodec, type RenderContext, usageFromIr } from "../formats/ir.ts";
import { isJsonObject, type Usage } from "../formats/wire-format.ts";
import { responseHeaders } from "../http/passthrough-headers.ts";
import { ProxyError } from "../http/proxy-error.ts";
import type { RequestContext } from "../http/request-context.ts";
import { readAllText, type UpstreamResponse } from "../http/upstream-fetch.ts";
import type { AttemptFailure } from "../routing/failure.ts";
import { runTransformEvents, runTransformResponse } from "../plugin/hooks.ts";
import { StreamKeepalive } from "./keepalive.ts";
import { SSE_HEADERS } from "./passthrough.ts";
import type { RequestOutcome } from "./request-outcome.ts";
import { SSE_KEEPALIVE } from "./sse-encoder.ts";
import { TranslatedStream } from "./translated-stream.ts";
import { SseParser } from "./sse-parser.ts";

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json",
  "access-control-allow-origin": "*",
});

const utf8 = new TextEncoder();

function failure(status: number, message: string, retryable = true): AttemptFailure {
  return { error: new ProxyError(status, "upstream_stream_error", message), retryable, body: message };
}

function tapper(outcome: RequestOutcome, attempt: number): ((chunk: Uint8Array) => void) | null {
  const taps = outcome.taps;
  if (taps === null) return null;
  return (chunk) => {
    for (const t of taps) t.upstreamChunk?.(attempt, chunk);
  };
}

/** The client's render context for this request. */
export function clientRenderContext(rc: RequestContext): RenderContext {
  return {
    model: rc.model,
    stream: rc.stream,
    query: rc.query,
    userAgent: rc.request.headers.get("originator") ?? rc.request.headers.get("user-agent") ?? undefined,
  };
}

/**
 * Streams a translated answer. Like the pass-through, it waits for the first client bytes before answering so a
 * failure before them (including an in-band upstream error) is an ordinary attempt failure.
 */
export async function streamTranslated(
  rc: RequestContext,
  res: UpstreamResponse,
  upstream: FormatCodec,
  client: FormatCodec,
  outcome: RequestOutcome,
  attempt: number,
): Promise<Response | AttemptFailure> {
  const ts = new TranslatedStream(
    res.body,
    upstream,
    client,
    clientRenderContext(rc),
    tapper(outcome, attempt),
    runTransformEvents(rc.snapshot.hooks.transformEvents, rc),
  );
  let first: Uint8Array | null;
  try {
    first = await ts.pull();
  } catch (err) {
    ts.cancel();
    if (rc.signal.aborted) throw new ProxyError(499, "client_closed", "Client closed the request");
    return failure(502, `Upstream stream failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (ts.obs.error !== null) {
    ts.cancel();
    return failure(ts.obs.error.status || 502, ts.obs.error.message);
  }
  if (first === null) return failure(502, "Upstream stream ended without data");

  const keepaliveMs = rc.snapshot.settings.keepaliveMs;
  let midError: ProxyError | null = null;
  let closed = false;
  let keepalive: StreamKeepalive | null = null;
  const finish = (cancelled: boolean) => {
    closed = true;
    keepalive?.stop();
    const error = midError ??
      (ts.obs.error ? new ProxyError(ts.obs.error.status || 502, "upstream_error", ts.obs.error.message) : null);
    outcome.finish(200, ts.obs.usage, error, cancelled);
  };
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, chunk: Uint8Array) => {
    controller.enqueue(chunk);
    outcome.clientChunk(chunk);
  };
  const headers = responseHeaders(SSE_HEADERS, res.headers, rc.snapshot.settings.passthroughHeaders);
  if (outcome.taps !== null) outcome.clientHead(200, new Headers(headers));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      send(controller, first!);
      if (keepaliveMs > 0) {
        // Translated output always ends on a frame boundary; nothing may follow the terminal event.
        keepalive = new StreamKeepalive(
          keepaliveMs,
          () => send(controller, SSE_KEEPALIVE.slice()),
          () => !closed && !ts.obs.terminal,
        );
      }
    },
    async pull(controller) {
      try {
        const chunk = await ts.pull();
        if (chunk !== null) {
          send(controller, chunk);
          keepalive?.wrote();
          return;
        }
        keepalive?.stop();
        if (!ts.obs.terminal && ts.obs.error === null) {
          midError = new ProxyError(502, "upstream_stream_error", "Upstream stream ended before its final event");
          send(controller, ts.renderError(502, midError.message));
        }
      } catch (err) {
        keepalive?.stop();
        // A connection that drops after the terminal event ended a complete answer: nothing to report.
        if (!ts.obs.terminal) {
          const message = `Upstream stream failed: ${err instanceof Error ? err.message : String(err)}`;
          midError = new ProxyError(502, "upstream_stream_error", message);
          send(controller, ts.renderError(502, message));
        }
      }
      controller.close();
      finish(false);
    },
    cancel() {
      ts.cancel();
      finish(true);
    },
  });
  outcome.firstByteAt = performance.now();
  return new Response(stream, { status: 200, headers });
}

/** A non-stream answer from a non-stream upstream of another format. */
export async function jsonTranslated(
  rc: RequestContext,
  res: UpstreamResponse,
  upstream: FormatCodec,
  client: FormatCodec,
  outcome: RequestOutcome,
  attempt: number,
): Promise<Response | AttemptFailure> {
  let text: string;
  try {
    text = await readAllText(res.body);
  } catch (err) {
    if (rc.signal.aborted) throw new ProxyError(499, "client_closed", "Client closed the request");
    return failure(502, `Upstream response failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  tapper(outcome, attempt)?.(utf8.encode(text));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return failure(502, "Upstream answered with invalid JSON");
  }
  if (!isJsonObject(parsed)) return failure(502, "Upstream answered with a non-object JSON body");
  const ir = runTransformResponse(rc.snapshot.hooks.transformResponse, upstream.parseResponse(parsed), rc);
  const body = JSON.stringify(client.renderResponse(ir, clientRenderContext(rc)));
  return finishJson(outcome, body, ir.usage ? usageFromIr(ir.usage) : null, rc, res.headers);
}

/** A non-stream answer assembled from a stream-only upstream (the Codex backend). */
export async function assembledFromStream(
  rc: RequestContext,
  res: UpstreamResponse,
  upstream: FormatCodec,
  client: FormatCodec,
  outcome: RequestOutcome,
  attempt: number,
): Promise<Response | AttemptFailure> {
  const assembler = new ResponseAssembler({ signatureFormat: upstream.id });
  const parser = upstream.createStreamParser({ model: rc.model, stream: true });
  const emit = assembler.push.bind(assembler);
  const sse = new SseParser();
  const onSse = (ev: { event?: string; data: string }) => parser.push(ev.event, ev.data, emit);
  const tap = tapper(outcome, attempt);
  try {
    for (;;) {
      const chunk = await res.body.read();
      if (chunk === null) break;
      tap?.(chunk);
      sse.push(chunk, onSse);
    }
    sse.end(onSse);
    parser.end(emit);
  } catch (err) {
    res.body.cancel();
    if (rc.signal.aborted) throw new ProxyError(499, "client_closed", "Client closed the request");
    return failure(502, `Upstream stream failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (assembler.error) return failure(assembler.error.status || 502, assembler.error.message);
  if (!assembler.complete) return failure(502, "Upstream stream ended before its final event");
  const ir = runTransformResponse(rc.snapshot.hooks.transformResponse, assembler.result(), rc);
  const body = JSON.stringify(client.renderResponse(ir, clientRenderContext(rc)));
  return finishJson(outcome, body, ir.usage ? usageFromIr(ir.usage) : null, rc, res.headers);
}

/** Sends a locally rendered JSON answer (upstream headers pass through only when configured). */
export function finishJson(
  outcome: RequestOutcome,
  body: string,
  usage: Usage | null,
  rc: RequestContext | null,
  upstream: Headers | null,
): Response {
  const headers = responseHeaders(JSON_HEADERS, upstream, rc?.snapshot.settings.passthroughHeaders ?? false);
  outcome.firstByteAt = performance.now();
  if (outcome.taps !== null) {
    outcome.clientHead(200, new Headers(headers));
    outcome.clientChunk(utf8.encode(body));
  }
  outcome.finish(200, usage, null, false);
  return new Response(body, { status: 200, headers });
}

