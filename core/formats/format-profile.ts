/**
 * What the core must know about a wire format at the client edge: how its errors look (as an HTTP body and as an
 * in-stream frame) and what to observe on a passed-through stream (usage, the terminal event, an in-band error).
 */
import type { ProxyError } from "../http/proxy-error.ts";
import type { SseEvent } from "../stream/sse-parser.ts";
import type { JsonObject, Usage, WireFormat } from "./wire-format.ts";

/** Filled in while a same-format stream passes through. */
export interface StreamObservation {
  usage: Usage | null;
  /** The format's terminal event was seen: the stream finished cleanly. */
  terminal: boolean;
  /** Text of an in-band error event, when the upstream sent one. */
  error: string | null;
}

export interface FormatProfile {
  readonly id: WireFormat;
  /** Body of an HTTP error response in this format. */
  errorBody(err: ProxyError): string;
  /** Complete SSE text of an error sent after the first byte. */
  streamErrorFrame(err: ProxyError): string;
  /**
   * Observes one passed-through event. Must not `JSON.parse` content deltas: parse only events that can carry usage or
   * an error, found by a cheap string test first.
   */
  observe(ev: SseEvent, obs: StreamObservation): void;
  /** Usage of a non-stream answer body in this format. */
  bodyUsage(body: JsonObject): Usage | null;
  /** False when the format has no terminal event, so a stream that simply ends is complete. */
  readonly hasTerminalEvent: boolean;
}

export function newObservation(): StreamObservation {
  return { usage: null, terminal: false, error: null };
}
