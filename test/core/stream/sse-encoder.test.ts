import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encodeSseEvent, SSE_KEEPALIVE, SseEncoderStream } from "../../../core/stream/sse-encoder.ts";
import { parseSseText, type SseEvent } from "../../../core/stream/sse-parser.ts";
import { mulberry32 } from "../../helpers/prng.ts";

const utf8 = new TextEncoder();
const text = new TextDecoder();

describe("encodeSseEvent()", () => {
  test("encodes data-only and named events as upstreams frame them", () => {
    assert.equal(encodeSseEvent({ data: '{"a":1}' }), 'data: {"a":1}\n\n');
    assert.equal(encodeSseEvent({ data: "[DONE]" }), "data: [DONE]\n\n");
    assert.equal(
      encodeSseEvent({ event: "message_stop", data: '{"type":"message_stop"}' }),
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    );
  });

  test("writes id and retry when set, and omits an empty event name", () => {
    assert.equal(
      encodeSseEvent({ event: "e", data: "x", id: "7", retry: 1500 }),
      "event: e\nid: 7\nretry: 1500\ndata: x\n\n",
    );
    assert.equal(encodeSseEvent({ data: "x", id: "" }), "id: \ndata: x\n\n");
    assert.equal(encodeSseEvent({ event: "", data: "x" }), "data: x\n\n");
  });

  test("splits data into one line per LF, CRLF or CR", () => {
    assert.equal(encodeSseEvent({ data: "a\nb\r\nc\rd" }), "data: a\ndata: b\ndata: c\ndata: d\n\n");
    assert.equal(encodeSseEvent({ data: "a\r\n\r\nb" }), "data: a\ndata: \ndata: b\n\n");
    assert.equal(encodeSseEvent({ data: "\n" }), "data: \ndata: \n\n");
    assert.equal(encodeSseEvent({ data: "" }), "data: \n\n");
  });

  test("a leading space in a value survives the parser's strip", () => {
    const ev = { event: " e", data: " x\n  y" };
    assert.deepEqual(parseSseText(encodeSseEvent(ev)), [{ event: " e", data: " x\n  y" }]);
  });

  test("throws on fields that would not survive a parse", () => {
    assert.throws(() => encodeSseEvent({ event: "a\nb", data: "" }), SyntaxError);
    assert.throws(() => encodeSseEvent({ event: "a\rb", data: "" }), SyntaxError);
    assert.throws(() => encodeSseEvent({ id: "1\n", data: "" }), SyntaxError);
    assert.throws(() => encodeSseEvent({ id: "1\0", data: "" }), SyntaxError);
    assert.throws(() => encodeSseEvent({ retry: -1, data: "" }), RangeError);
    assert.throws(() => encodeSseEvent({ retry: 1.5, data: "" }), RangeError);
    assert.throws(() => encodeSseEvent({ retry: Number.NaN, data: "" }), RangeError);
  });
});

describe("SSE_KEEPALIVE", () => {
  test("is the keep-alive comment, which parses to no event", () => {
    assert.equal(text.decode(SSE_KEEPALIVE), ": keep-alive\n\n");
    assert.deepEqual(parseSseText(text.decode(SSE_KEEPALIVE)), []);
  });
});

describe("SseEncoderStream", () => {
  test("emits one UTF-8 chunk per event", async () => {
    const events: SseEvent[] = [{ event: "a", data: "你好 😀" }, { data: "[DONE]" }];
    const source = new ReadableStream<SseEvent>({
      start(controller) {
        for (const ev of events) controller.enqueue(ev);
        controller.close();
      },
    });
    const reader = source.pipeThrough(new SseEncoderStream()).getReader();
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    assert.deepEqual(chunks, events.map((ev) => utf8.encode(encodeSseEvent(ev))));
  });

  test("errors the stream on an event that cannot be encoded", async () => {
    const encoder = new SseEncoderStream();
    const writer = encoder.writable.getWriter();
    const written = writer.write({ event: "bad\n", data: "" });
    // The readable side must be pulled, or the write waits on backpressure forever.
    await assert.rejects(encoder.readable.getReader().read(), SyntaxError);
    await assert.rejects(written, SyntaxError);
  });
});

/** Seeded PRNG (mulberry32), so a failing case is reproducible from its seed. */

function randomString(rng: () => number, atoms: readonly string[], max: number): string {
  let out = "";
  const len = Math.floor(rng() * max);
  for (let i = 0; i < len; i++) out += atoms[Math.floor(rng() * atoms.length)]!;
  return out;
}

describe("property: encode → parse roundtrip", () => {
  test("1000 seeded random events, one at a time and as one stream", () => {
    const seed = 0xe4c0de;
    const rng = mulberry32(seed);
    const nameAtoms = ["a", "Z", "_", ".", " ", ":", "é", "😀", "\0", "data", "event"];
    const dataAtoms = [...nameAtoms, "\n", "\r", "\r\n", "\n\n", "\uFEFF", '{"k":"v\\n"}', "data: x"];
    const events: SseEvent[] = [];
    for (let i = 0; i < 1000; i++) {
      const ev: SseEvent = { data: randomString(rng, dataAtoms, 8) };
      const event = randomString(rng, nameAtoms.filter((a) => a !== "\0"), 4);
      if (event !== "" && rng() < 0.6) ev.event = event;
      if (rng() < 0.2) ev.id = randomString(rng, nameAtoms.filter((a) => a !== "\0"), 3);
      if (rng() < 0.1) ev.retry = Math.floor(rng() * 100_000);
      // parseSseText reads "" + LF/CR/CRLF alike, so expect the data with line ends normalised to LF.
      const expected = { ...ev, data: ev.data.replace(/\r\n|\r/g, "\n") };
      assert.deepEqual(parseSseText(encodeSseEvent(ev)), [expected], `seed ${seed} event ${i}: ${JSON.stringify(ev)}`);
      events.push(expected);
    }
    assert.deepEqual(parseSseText(events.map(encodeSseEvent).join("")), events);
  });
});
