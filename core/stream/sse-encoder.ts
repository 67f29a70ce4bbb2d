/**
 * SSE events → `text/event-stream` text and bytes. The output parses back to the same events with
 * {@link SseParser}.
 *
 * @module
 */

import type { SseEvent } from "./sse-parser.ts";

const utf8 = new TextEncoder();
const LINE_BREAKS = /\r\n|\r|\n/g;

/**
 * `: keep-alive\n\n`, encoded once and shared. Do not modify it, and copy it (`.slice()`) before enqueueing it
 * into a byte stream (`type: "bytes"`), whose controller detaches the buffers it is given.
 */
export const SSE_KEEPALIVE: Uint8Array = utf8.encode(": keep-alive\n\n");

/**
 * Serialises one event: `event:`, `id:`, `retry:` lines when set, one `data:` line per line of `data` (split at
 * `\r\n`, `\r` or `\n`), then a blank line. An empty `event` is omitted, as the parser reads it as unset.
 *
 * @throws {SyntaxError} When `event` or `id` contains a line break, or `id` contains NULL: either would not
 * survive a parse.
 * @throws {RangeError} When `retry` is not a non-negative safe integer.
 *
 * @example
 * ```ts
 * encodeSseEvent({ event: "ping", data: '{"type":"ping"}' }); // 'event: ping\ndata: {"type":"ping"}\n\n'
 * ```
 */
export function encodeSseEvent(ev: SseEvent): string {
  const { event, data, id, retry } = ev;
  let head = "";
  if (event !== undefined && event !== "") {
    if (hasLineBreak(event)) throw new SyntaxError("Cannot encode SSE event: event name contains a line break");
    head = `event: ${event}\n`;
  }
  if (id !== undefined) {
    if (hasLineBreak(id) || id.includes("\0")) {
      throw new SyntaxError("Cannot encode SSE event: id contains a line break or NULL");
    }
    head += `id: ${id}\n`;
  }
  if (retry !== undefined) {
    if (!Number.isSafeInteger(retry) || retry < 0) {
      throw new RangeError(`Cannot encode SSE event: retry is not a non-negative integer: ${retry}`);
    }
    head += `retry: ${retry}\n`;
  }
  // Fast path: JSON payloads hold no raw line break, so the data is one `data:` line.
  if (!hasLineBreak(data)) return `${head}data: ${data}\n\n`;
  return `${head}data: ${data.replace(LINE_BREAKS, "\ndata: ")}\n\n`;
}

function hasLineBreak(s: string): boolean {
  return s.indexOf("\n") !== -1 || s.indexOf("\r") !== -1;
}

/** Encodes {@link SseEvent}s into UTF-8 `text/event-stream` bytes, one chunk per event. */
export class SseEncoderStream extends TransformStream<SseEvent, Uint8Array> {
  constructor() {
    super({
      transform(ev, controller) {
        controller.enqueue(utf8.encode(encodeSseEvent(ev)));
      },
    });
  }
}
