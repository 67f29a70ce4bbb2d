import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SseDecoderStream } from "../../../core/stream/sse-decoder.ts";
import type { SseEvent } from "../../../core/stream/sse-parser.ts";

const utf8 = new TextEncoder();

async function collect(stream: ReadableStream<SseEvent>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

describe("SseDecoderStream", () => {
  test("decodes a Response body", async () => {
    const body = new Response("event: a\ndata: 1\n\ndata: 2\r\n\r\n: ping\n\n").body!;
    assert.deepEqual(await collect(body.pipeThrough(new SseDecoderStream())), [{ event: "a", data: "1" }, {
      data: "2",
    }]);
  });

  test("flushes a final event without a blank line when the body ends", async () => {
    const body = new Response("data: a\n\ndata: [DONE]\n").body!;
    assert.deepEqual(await collect(body.pipeThrough(new SseDecoderStream())), [{ data: "a" }, { data: "[DONE]" }]);
  });

  test("emits events as soon as their chunk arrives", async () => {
    const decoder = new SseDecoderStream();
    const writer = decoder.writable.getWriter();
    const reader = decoder.readable.getReader();
    void writer.write(utf8.encode("data: a\n\ndata: b"));
    assert.deepEqual(await reader.read(), { done: false, value: { data: "a" } });
    void writer.write(utf8.encode("\n\n"));
    assert.deepEqual(await reader.read(), { done: false, value: { data: "b" } });
    void writer.close();
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
  });

  test("an empty body yields no events", async () => {
    assert.deepEqual(await collect(new Response("").body!.pipeThrough(new SseDecoderStream())), []);
  });

  test("errors the stream when a line exceeds maxLineLength", async () => {
    const body = new Response("data: " + "x".repeat(100)).body!;
    await assert.rejects(collect(body.pipeThrough(new SseDecoderStream({ maxLineLength: 50 }))), RangeError);
  });
});
