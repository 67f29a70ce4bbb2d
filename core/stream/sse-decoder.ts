/**
 * Byte stream → SSE events, as a `TransformStream` over {@link SseParser}.
 *
 * @module
 */

import { type SseEvent, SseParser, type SseParserOptions } from "./sse-parser.ts";

/**
 * Decodes an upstream `text/event-stream` body into {@link SseEvent}s.
 *
 * @example Decode a fetch body
 * ```ts
 * const events = res.body!.pipeThrough(new SseDecoderStream());
 * ```
 */
export class SseDecoderStream extends TransformStream<Uint8Array, SseEvent> {
  constructor(options?: SseParserOptions) {
    const parser = new SseParser(options);
    // Bound once in start(), so transform() creates no closure per chunk.
    let enqueue!: (ev: SseEvent) => void;
    super({
      start(controller) {
        enqueue = controller.enqueue.bind(controller);
      },
      transform(chunk) {
        parser.push(chunk, enqueue);
      },
      flush() {
        parser.end(enqueue);
      },
    });
  }
}
