/**
 * Same-format streaming: the upstream's own bytes go to the client unchanged. The SSE parser runs beside them only to
 * observe usage, the terminal event and in-band errors; nothing is re-serialised.
 */
import type { FormatProfile } from "../formats/format-profile.ts";
import { newObservation } from "../formats/format-profile.ts";
import { responseHeaders } from "../http/passthrough-headers.ts";
import { ProxyError } from "../http/proxy-error.ts";
import type { RequestContext } from "../http/request-context.ts";
import type { UpstreamResponse } from "../http/upstream-fetch.ts";
import { type AttemptFailure, upstreamError } from "../routing/failure.ts";
import { StreamKeepalive } from "./keepalive.ts";
import type { RequestOutcome } from "./request-outcome.ts";
import { SSE_KEEPALIVE } from "./sse-encoder.ts";
import { type SseEvent, SseParser } from "./sse-parser.ts";

export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  "access-control-allow-origin": "*",
});

const RAW_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "application/json",
  "access-control-allow-origin": "*",
});

const utf8 = new TextEncoder();
const MAX_BYTES_BEFORE_FIRST_EVENT = 1024 * 1024;

/** Gemini with an `alt` other than `sse` streams the upstream's raw bytes (a JSON array): no SSE framing at all. */
export function isRawStream(rc: RequestContext): boolean {
  if (rc.format !== "gemini") return false;
  const alt = rc.query.get("alt");
  return alt !== null && alt !== "" && alt !== "sse";
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
export async function streamPassthrough(
  rc: RequestContext,
  res: UpstreamResponse,
  profile: FormatProfile,
  outcome: RequestOutcome,
  attempt: number,
): Promise<Response | AttemptFailure> {
  const body = res.body;
  const taps = outcome.taps;
  // Raw streams are not SSE: the first non-empty chunk ends the bootstrap, and there is nothing to parse.
  const raw = isRawStream(rc);
  const parser = new SseParser();
  const obs = newObservation();
  let events = 0;
  const onEvent = (ev: SseEvent) => {
    events++;
    profile.observe(ev, obs);
  };
  const tapUpstream = (chunk: Uint8Array) => {
    if (taps !== null) for (const t of taps) t.upstreamChunk?.(attempt, chunk);
  };

  const head: Uint8Array[] = [];
  let headBytes = 0;
  try {
    while (events === 0) {
      const chunk = await body.read();
      if (chunk === null) {
        if (!raw) parser.end(onEvent);
        break;
      }
      head.push(chunk);
      headBytes += chunk.byteLength;
      // An upstream that ignored `stream: true` (or sends no event boundary) must not be buffered whole.
      if (headBytes > MAX_BYTES_BEFORE_FIRST_EVENT) {
        body.cancel();
        return failure(new ProxyError(502, "upstream_stream_error", "Upstream sent no SSE event in its first 1 MiB"));
      }
      tapUpstream(chunk);
      if (!raw) parser.push(chunk, onEvent);
      else if (chunk.byteLength > 0) events++;
    }
  } catch (err) {
    body.cancel();
    if (rc.signal.aborted) throw new ProxyError(499, "client_closed", "Client closed the request");
    const message = err instanceof Error ? err.message : String(err);
    return failure(new ProxyError(502, "upstream_stream_error", `Upstream stream failed: ${message}`));
  }
  if (events === 0) {
    return failure(new ProxyError(502, "upstream_stream_error", "Upstream stream ended without data"));
  }
  if (obs.error !== null && events === 1) {
    body.cancel();
    return { ...failure(upstreamError(502, obs.error, rc.target?.provider.id ?? "upstream", null)), body: obs.error };
  }

  // A keep-alive comment would corrupt a raw stream.
  const keepaliveMs = raw ? 0 : rc.snapshot.settings.keepaliveMs;
  let atBoundary = endsAtEventBoundary(head[head.length - 1]!);
  let midError: ProxyError | null = null;
  let closed = false;
  let keepalive: StreamKeepalive | null = null;

  const finishStream = (cancelled: boolean) => {
    closed = true;
    keepalive?.stop();
    const error = midError ?? (obs.error !== null ? upstreamError(502, obs.error, "upstream", null) : null);
    outcome.finish(200, obs.usage, error, cancelled);
  };
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, chunk: Uint8Array) => {
    controller.enqueue(chunk);
    outcome.clientChunk(chunk);
  };

  const headers = responseHeaders(raw ? RAW_HEADERS : SSE_HEADERS, res.headers, rc.snapshot.settings.passthroughHeaders);
  if (taps !== null) outcome.clientHead(200, new Headers(headers));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of head) send(controller, chunk);
      if (keepaliveMs > 0) {
        // A comment in the middle of an event would corrupt it, and nothing may follow the terminal event ([DONE],
        // message_stop…): the timer only speaks at a boundary, before the end.
        keepalive = new StreamKeepalive(
          keepaliveMs,
          () => send(controller, SSE_KEEPALIVE.slice()),
          () => !closed && atBoundary && !obs.terminal,
        );
      }
    },
    async pull(controller) {
      let chunk: Uint8Array | null;
      try {
        chunk = await body.read();
        if (chunk !== null) {
          send(controller, chunk);
          keepalive?.wrote();
          tapUpstream(chunk);
          atBoundary = endsAtEventBoundary(chunk);
          if (!raw) parser.push(chunk, onEvent);
          return;
        }
        if (!raw) parser.end(onEvent);
      } catch (err) {
        // A connection that drops after the terminal event ended a complete answer: nothing to report.
        if (!obs.terminal) {
          const message = err instanceof Error ? err.message : String(err);
          midError = new ProxyError(502, "upstream_stream_error", `Upstream stream failed: ${message}`);
        }
      }
      if (midError === null && !raw && profile.hasTerminalEvent && !obs.terminal && obs.error === null) {
        midError = new ProxyError(502, "upstream_stream_error", "Upstream stream ended before its final event");
      }
      keepalive?.stop();
      if (midError !== null) {
        // Never a clean finish after a cut: the client gets its format's in-stream error.
        const frame = raw
          ? profile.errorBody(midError)
          : (atBoundary ? "" : "\n\n") + profile.streamErrorFrame(midError);
        send(controller, utf8.encode(frame));
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
  return new Response(stream, { status: 200, headers });
}

function failure(error: ProxyError): AttemptFailure {
  return { error, retryable: true, body: error.message };
}
