import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseSseText, type SseEvent, SseParser } from "../../../core/stream/sse-parser.ts";
import { SseDecoderStream } from "../../../core/stream/sse-decoder.ts";
import { encodeSseEvent, SseEncoderStream } from "../../../core/stream/sse-encoder.ts";
import { mulberry32 } from "../../helpers/prng.ts";

const utf8 = new TextEncoder();

/** Parses byte chunks with one parser, as an upstream body would arrive. */
function parseChunks(chunks: readonly Uint8Array[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser();
  const collect = (ev: SseEvent): void => {
    events.push(ev);
  };
  for (const chunk of chunks) parser.push(chunk, collect);
  parser.end(collect);
  return events;
}

function parseStrings(...parts: string[]): SseEvent[] {
  return parseChunks(parts.map((p) => utf8.encode(p)));
}

async function collectStream<T>(stream: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

function streamOf<T>(chunks: readonly T[]): ReadableStream<T> {
  return new ReadableStream<T>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

// Seeded PRNG (test/helpers/prng.ts): a failing split is reproducible from the seed printed with it.

/**
 * Random cut positions (strictly increasing, inside 1..len-1): up to 63 anywhere (1..64 chunks) or, when `tiny`
 * runs may be chosen, chunks of 1..8 bytes throughout.
 */
function randomCuts(len: number, rng: () => number, tiny = true): number[] {
  if (len < 2) return [];
  if (!tiny || rng() < 0.5) {
    const count = Math.floor(rng() * Math.min(64, len)); // 0..63 cuts: 1..64 chunks
    const cuts = new Set<number>();
    while (cuts.size < count) cuts.add(1 + Math.floor(rng() * (len - 1)));
    return [...cuts].sort((a, b) => a - b);
  }
  const cuts: number[] = [];
  for (let at = 1 + Math.floor(rng() * 8); at < len; at += 1 + Math.floor(rng() * 8)) cuts.push(at);
  return cuts;
}

function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

// ---------------------------------------------------------------------------------------------------------------
// Recorded streams. Real line breaks in these String.raw texts are SSE line ends; `\n` inside JSON stays escaped.

const OPENAI_STREAM = String.raw`: OPENROUTER PROCESSING

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"content":"The"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"content":" capital"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"content":" of"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"content":" France"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"content":" is"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"content":" Paris.\n\nIt sits on the \"Seine\"."},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\": \"Paris\"}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_eb9dce56a8","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":28,"total_tokens":47,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

data: [DONE]

`;

const CLAUDE_STREAM = String.raw`event: message_start
data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":2}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants the weather in Paris.\nI should call the tool."}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Let me check"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":" the weather for you."}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: content_block_start
data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"Par"}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"is, France\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":2}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

`;

// Gemini `alt=sse` frames its events with CRLF.
const GEMINI_CRLF_STREAM = String
  .raw`data: {"candidates": [{"content": {"parts": [{"text": "Once upon"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 8},"modelVersion": "gemini-2.5-flash","responseId": "mK2xaP6dLI2vz7IPvIDr-A4"}

data: {"candidates": [{"content": {"parts": [{"text": " a time, in a land\nfar away"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 8},"modelVersion": "gemini-2.5-flash","responseId": "mK2xaP6dLI2vz7IPvIDr-A4"}

data: {"candidates": [{"content": {"parts": [{"text": ", there lived a dragon."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 17,"totalTokenCount": 25,"thoughtsTokenCount": 0},"modelVersion": "gemini-2.5-flash","responseId": "mK2xaP6dLI2vz7IPvIDr-A4"}

`.replaceAll("\n", "\r\n");

// Raw (unescaped) UTF-8: 2-, 3- and 4-byte sequences, combining marks and ZWJ emoji sequences.
const MULTIBYTE_STREAM = [
  "你好，世界！",
  "こんにちは、日本語のテキスト。",
  "한국어 문장입니다",
  "Ωmega café naïve résumé — “quotes” ‘here’",
  "👋🏽 waving, 👨‍👩‍👧‍👦 family, 🇫🇷 flag",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠜎𠜱𠝹 (astral CJK)",
  "e\u0301 combining, emoji 😀😃😄😁",
].map((text, i) =>
  `data: {"id":"chatcmpl-mb","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"${text}"},"finish_reason":null}]}\n\n` +
  (i === 3 ? ": 保持连接 ✓\n\n" : "")
).join("") + "data: [DONE]\n\n";

// Multi-line data, ids, retry, comments inside events, unknown fields, a retry-only block, and an event name.
const MULTILINE_STREAM = String.raw`retry: 3000

id: evt-1
data: {
data:   "type": "message",
: a comment between data lines
data:   "text": "two\nlines"
data: }

event: update
id: evt-2
x-vendor-field: ignored
data: first line
data:
data:  leading space kept (one stripped)
data

id:
data: id reset to empty

event: done
data: [DONE]
`;

// Legacy CR-only line ends, a BOM, and a final event without its blank line.
const CR_BOM_STREAM =
  "\uFEFFevent: a\rdata: alpha\r\r:comment\rdata: beta\rdata: gamma\r\r\rdata: last without blank line";

const RECORDED: ReadonlyArray<{ name: string; text: string; seed: number }> = [
  { name: "OpenAI chat completion", text: OPENAI_STREAM, seed: 0x5eed0001 },
  { name: "Claude Messages", text: CLAUDE_STREAM, seed: 0x5eed0002 },
  { name: "Gemini CRLF", text: GEMINI_CRLF_STREAM, seed: 0x5eed0003 },
  { name: "multibyte UTF-8", text: MULTIBYTE_STREAM, seed: 0x5eed0004 },
  { name: "multi-line data", text: MULTILINE_STREAM, seed: 0x5eed0005 },
  { name: "CR line ends with BOM", text: CR_BOM_STREAM, seed: 0x5eed0006 },
];

// ---------------------------------------------------------------------------------------------------------------

describe("recorded streams parse as a whole", () => {
  test("OpenAI: every frame is a data event, comments skipped, [DONE] last", () => {
    const events = parseSseText(OPENAI_STREAM);
    assert.equal(events.length, 12);
    for (const ev of events) assert.deepEqual(Object.keys(ev), ["data"]);
    assert.deepEqual(events.at(-1), { data: "[DONE]" });
    const chunks = events.slice(0, -1).map((ev) => JSON.parse(ev.data));
    assert.equal(chunks[6].choices[0].delta.content, ' Paris.\n\nIt sits on the "Seine".');
    assert.equal(chunks[10].usage.total_tokens, 47);
  });

  test("Claude: event names pair with their data", () => {
    const events = parseSseText(CLAUDE_STREAM);
    assert.equal(events.length, 17);
    for (const ev of events) assert.equal(ev.event, JSON.parse(ev.data).type);
    assert.deepEqual(events[2], { event: "ping", data: '{"type": "ping"}' });
    assert.deepEqual(events.at(-1), { event: "message_stop", data: '{"type":"message_stop"}' });
  });

  test("Gemini: CRLF line ends", () => {
    const events = parseSseText(GEMINI_CRLF_STREAM);
    assert.equal(events.length, 3);
    assert.equal(JSON.parse(events[1]!.data).candidates[0].content.parts[0].text, " a time, in a land\nfar away");
  });

  test("multibyte: text survives exactly", () => {
    const events = parseSseText(MULTIBYTE_STREAM);
    assert.equal(events.length, 8);
    assert.equal(JSON.parse(events[4]!.data).choices[0].delta.content, "👋🏽 waving, 👨‍👩‍👧‍👦 family, 🇫🇷 flag");
  });

  test("multi-line data, id, retry and unknown fields", () => {
    assert.deepEqual(parseSseText(MULTILINE_STREAM), [
      { id: "evt-1", data: '{\n  "type": "message",\n  "text": "two\\nlines"\n}' },
      { event: "update", id: "evt-2", data: "first line\n\n leading space kept (one stripped)\n" },
      { id: "", data: "id reset to empty" },
      { event: "done", data: "[DONE]" },
    ]);
  });

  test("CR line ends, BOM, unterminated last event", () => {
    assert.deepEqual(parseSseText(CR_BOM_STREAM), [
      { event: "a", data: "alpha" },
      { data: "beta\ngamma" },
      { data: "last without blank line" },
    ]);
  });
});

describe("SseParser line ends", () => {
  test("LF, CRLF and CR each end a line", () => {
    const expected = [{ data: "a\nb" }, { data: "c" }];
    assert.deepEqual(parseSseText("data: a\ndata: b\n\ndata: c\n\n"), expected);
    assert.deepEqual(parseSseText("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n"), expected);
    assert.deepEqual(parseSseText("data: a\rdata: b\r\rdata: c\r\r"), expected);
    assert.deepEqual(parseSseText("data: a\rdata: b\n\r\ndata: c\r\n\n"), expected);
  });

  test("CRLF split across chunks is one line end", () => {
    // Read as two line ends, the lone LF would be a blank line and dispatch "a" on its own.
    assert.deepEqual(parseStrings("data: a\r", "\ndata: b\r\n\r\n"), [{ data: "a\nb" }]);
    assert.deepEqual(parseStrings("data: a\r", "\n", "\r", "\n"), [{ data: "a" }]);
  });

  test("CR at a chunk end followed by CR is a blank line", () => {
    assert.deepEqual(parseStrings("data: a\r", "\rdata: b\r", "\r"), [{ data: "a" }, { data: "b" }]);
  });

  test("CR at a chunk end survives empty chunks before the LF", () => {
    const empty = new Uint8Array(0);
    const events = parseChunks([
      utf8.encode("data: a\r"),
      empty,
      utf8.encode("\ndata: b\r"),
      empty,
      empty,
      utf8.encode("\n\n"),
    ]);
    assert.deepEqual(events, [{ data: "a\nb" }]);
  });

  test("CR at a chunk end, then a character split across chunks", () => {
    // 你 = e4 bd a0; its first byte alone decodes to nothing, which must not count as "the next text".
    const events = parseChunks([
      utf8.encode("data: a\r"),
      new Uint8Array([0xe4]),
      new Uint8Array([0xbd, 0xa0, 0x0a, 0x0a]),
    ]);
    assert.deepEqual(events, [{ data: "a" }]); // the line "你" is an unknown field
    const events2 = parseChunks([
      utf8.encode("data: a\rdata: "),
      new Uint8Array([0xe4]),
      new Uint8Array([0xbd, 0xa0, 0x0d]),
      utf8.encode("\n\r\n"),
    ]);
    assert.deepEqual(events2, [{ data: "a\n你" }]);
  });

  test("a CR-ended line is dispatched without waiting for the next chunk", () => {
    const parser = new SseParser();
    const events: SseEvent[] = [];
    parser.push(utf8.encode("data: a\r\r"), (ev) => events.push(ev));
    assert.deepEqual(events, [{ data: "a" }]);
  });
});

describe("SseParser fields", () => {
  test("comment lines are ignored, also between data lines", () => {
    assert.deepEqual(parseSseText(":\n: keep-alive\n\ndata: a\n:x\ndata: b\n\n"), [{ data: "a\nb" }]);
  });

  test("data lines join with LF; empty and bare data lines count", () => {
    assert.deepEqual(parseSseText("data: a\ndata:\ndata\ndata: b\n\n"), [{ data: "a\n\n\nb" }]);
    assert.deepEqual(parseSseText("data:\n\n"), [{ data: "" }]);
    assert.deepEqual(parseSseText("data\n\n"), [{ data: "" }]);
  });

  test("exactly one leading space is stripped", () => {
    assert.deepEqual(parseSseText("data:x\n\ndata: x\n\ndata:  x\n\ndata:\tx\n\n"), [
      { data: "x" },
      { data: "x" },
      { data: " x" },
      { data: "\tx" },
    ]);
    assert.deepEqual(parseSseText("event:  e\ndata: a:b: c\n\n"), [{ event: " e", data: "a:b: c" }]);
  });

  test("a leading BOM is dropped once, even split across chunks", () => {
    assert.deepEqual(parseSseText("\uFEFFdata: a\n\n"), [{ data: "a" }]);
    assert.deepEqual(
      parseChunks([new Uint8Array([0xef]), new Uint8Array([0xbb, 0xbf, 0x64]), utf8.encode("ata: a\n\n")]),
      [
        { data: "a" },
      ],
    );
    // A second BOM is not a BOM: the first line becomes the unknown field "\uFEFFdata".
    assert.deepEqual(parseSseText("\uFEFF\uFEFFdata: a\n\ndata: b\n\n"), [{ data: "b" }]);
    assert.deepEqual(parseSseText("data: \uFEFFa\n\n"), [{ data: "\uFEFFa" }]);
  });

  test("unknown and wrongly cased fields are ignored", () => {
    assert.deepEqual(parseSseText("foo: bar\nData: x\nEVENT: y\ndat: z\ndatas: w\nevents: v\ndata: ok\n\n"), [
      { data: "ok" },
    ]);
  });

  test("a block without data is not dispatched and leaks nothing into the next", () => {
    assert.deepEqual(parseSseText("event: ping\nid: 7\nretry: 10\n\ndata: a\n\n"), [{ data: "a" }]);
    assert.deepEqual(parseSseText("\n\n\n\n"), []);
    assert.deepEqual(parseSseText(""), []);
  });

  test("event: last one wins, empty means unset", () => {
    assert.deepEqual(parseSseText("event: a\nevent: b\ndata: x\n\n"), [{ event: "b", data: "x" }]);
    assert.deepEqual(parseSseText("event: a\nevent:\ndata: x\n\n"), [{ data: "x" }]);
    assert.deepEqual(parseSseText("event: a\nevent\ndata: x\n\n"), [{ data: "x" }]);
  });

  test("id belongs to its own event; an id with NULL is ignored", () => {
    assert.deepEqual(parseSseText("id: 1\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n"), [
      { id: "1", data: "a" },
      { data: "b" },
      { data: "c" },
      { id: "", data: "d" },
    ]);
  });

  test("retry needs ASCII digits only", () => {
    assert.deepEqual(
      parseSseText("retry: 1500\ndata: a\n\nretry: 15a\ndata: b\n\nretry:\ndata: c\n\nretry: -1\ndata: d\n\n"),
      [
        { retry: 1500, data: "a" },
        { data: "b" },
        { data: "c" },
        { data: "d" },
      ],
    );
  });

  test("events carry only the fields they had", () => {
    const [plain, named] = parseSseText("data: a\n\nevent: e\ndata: b\n\n");
    assert.deepEqual(Object.keys(plain!), ["data"]);
    assert.deepEqual(Object.keys(named!).sort(), ["data", "event"]);
  });
});

describe("SseParser UTF-8", () => {
  test("multibyte characters split at every byte decode correctly", () => {
    const text = "data: 你好 😀 é\n\n";
    const bytes = utf8.encode(text);
    for (let i = 1; i < bytes.length; i++) {
      for (let j = i; j < bytes.length; j++) {
        assert.deepEqual(
          parseChunks(splitAt(bytes, i === j ? [i] : [i, j])),
          [{ data: "你好 😀 é" }],
          `cuts ${i},${j}`,
        );
      }
    }
    assert.deepEqual(parseChunks([...bytes].map((b) => new Uint8Array([b]))), [{ data: "你好 😀 é" }]);
  });

  test("invalid and truncated UTF-8 become U+FFFD", () => {
    assert.deepEqual(parseChunks([utf8.encode("data: a"), new Uint8Array([0xff, 0x0a, 0x0a])]), [{ data: "a\uFFFD" }]);
    assert.deepEqual(parseChunks([utf8.encode("data: a"), new Uint8Array([0xf0, 0x9f])]), [{ data: "a\uFFFD" }]);
  });
});

describe("SseParser.end()", () => {
  test("flushes a last event with data but no blank line", () => {
    assert.deepEqual(parseStrings("data: a\n\ndata: [DONE]\n"), [{ data: "a" }, { data: "[DONE]" }]);
    assert.deepEqual(parseStrings("data: a\n\ndata: [DONE]"), [{ data: "a" }, { data: "[DONE]" }]);
    assert.deepEqual(parseStrings("data: [DONE]\r"), [{ data: "[DONE]" }]);
    assert.deepEqual(parseStrings("event: x\ndata: a\ndat"), [{ event: "x", data: "a" }]);
  });

  test("dispatches nothing when the last block had no data", () => {
    assert.deepEqual(parseStrings("data: a\n\nevent: x\n"), [{ data: "a" }]);
    assert.deepEqual(parseStrings(": bye"), []);
  });

  test("resets the parser for another stream", () => {
    const parser = new SseParser();
    const events: SseEvent[] = [];
    const collect = (ev: SseEvent): void => {
      events.push(ev);
    };
    parser.push(utf8.encode("\uFEFFevent: x\ndata: a\r"), collect);
    parser.end(collect);
    parser.push(utf8.encode("\uFEFF\ndata: b\n\n"), collect);
    parser.end(collect);
    assert.deepEqual(events, [{ event: "x", data: "a" }, { data: "b" }]);
  });
});

describe("SseParser limits", () => {
  test("a partial line beyond maxLineLength throws RangeError", () => {
    const parser = new SseParser({ maxLineLength: 16 });
    const noop = (): void => {};
    parser.push(utf8.encode("data: 0123456789\n\ndata: 01"), noop); // lines that complete are not held
    assert.throws(() => parser.push(utf8.encode("23456789abcdef"), noop), RangeError);
  });

  test("many colon-less lines in one chunk parse in linear time", () => {
    const text = "x\n".repeat(200_000) + "data: ok\n\n";
    const started = performance.now();
    assert.deepEqual(parseSseText(text), [{ data: "ok" }]);
    assert.ok(performance.now() - started < 2000);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Property tests: any split of the bytes yields the events of the whole text.

const SPLITS_PER_STREAM = 500;

describe("property: random chunking of recorded streams", () => {
  for (const { name, text, seed } of RECORDED) {
    const bytes = utf8.encode(text);
    const whole = parseSseText(text);

    test(`${name}: whole bytes equal whole text`, () => {
      assert.ok(whole.length > 0);
      assert.deepEqual(parseChunks([bytes]), whole);
    });

    test(`${name}: every single cut position`, () => {
      for (let cut = 1; cut < bytes.length; cut++) {
        assert.deepEqual(parseChunks(splitAt(bytes, [cut])), whole, `cut at ${cut}`);
      }
    });

    test(`${name}: ${SPLITS_PER_STREAM} seeded random splits (SseParser)`, () => {
      const rng = mulberry32(seed);
      let insideUtf8 = 0;
      let betweenCrLf = 0;
      for (let i = 0; i < SPLITS_PER_STREAM; i++) {
        const cuts = randomCuts(bytes.length, rng);
        for (const cut of cuts) {
          if ((bytes[cut]! & 0xc0) === 0x80) insideUtf8++;
          if (bytes[cut - 1] === 0x0d && bytes[cut] === 0x0a) betweenCrLf++;
        }
        assert.deepEqual(parseChunks(splitAt(bytes, cuts)), whole, `seed ${seed} split ${i}: cuts [${cuts}]`);
      }
      // The property only means something if the awkward cuts actually happened.
      if (bytes.length !== text.length) assert.ok(insideUtf8 > 0, "no cut landed inside a UTF-8 sequence");
      if (text.includes("\r\n")) assert.ok(betweenCrLf > 0, "no cut landed between CR and LF");
    });

    // At most 64 chunks per split here: Node 20's web streams cost microseconds per chunk, and the parser above
    // already covers the runs of tiny chunks.
    test(`${name}: ${SPLITS_PER_STREAM} seeded random splits (SseDecoderStream)`, async () => {
      const rng = mulberry32(seed ^ 0xdec0de);
      for (let i = 0; i < SPLITS_PER_STREAM; i++) {
        const cuts = randomCuts(bytes.length, rng, false);
        const events = await collectStream(streamOf(splitAt(bytes, cuts)).pipeThrough(new SseDecoderStream()));
        assert.deepEqual(events, whole, `seed ${seed ^ 0xdec0de} split ${i}: cuts [${cuts}]`);
      }
    });

    test(`${name}: encode → parse is the identity`, async () => {
      assert.deepEqual(parseSseText(whole.map(encodeSseEvent).join("")), whole);
      const piped = streamOf(whole).pipeThrough(new SseEncoderStream()).pipeThrough(new SseDecoderStream());
      assert.deepEqual(await collectStream(piped), whole);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Fuzz against a naive reference: split the whole text on line ends, then apply the WHATWG field rules.

function referenceParse(text: string): SseEvent[] {
  if (text.startsWith("\uFEFF")) text = text.slice(1);
  const events: SseEvent[] = [];
  let data: string[] = [];
  let event = "";
  let id: string | undefined;
  let retry: number | undefined;
  const dispatch = (): void => {
    if (data.length > 0) {
      const ev: SseEvent = { data: data.join("\n") };
      if (event !== "") ev.event = event;
      if (id !== undefined) ev.id = id;
      if (retry !== undefined) ev.retry = retry;
      events.push(ev);
    }
    data = [];
    event = "";
    id = undefined;
    retry = undefined;
  };
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === "") {
      dispatch();
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "data") data.push(value);
    else if (name === "event") event = value;
    else if (name === "id" && !value.includes("\0")) id = value;
    else if (name === "retry" && /^\d+$/.test(value)) retry = Number(value);
  }
  dispatch();
  return events;
}

function randomSseText(rng: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
  const names = ["data", "data", "data", "event", "id", "retry", "Data", "x", "", "dat", "datas"];
  const seps = [": ", ":", ":  ", "", ":\t"];
  const atoms = ["a", "Z", "0", "42", " ", ":", "é", "你", "😀", "\0", "\uFEFF", '{"k":1}', "[DONE]"];
  const ends = ["\n", "\n", "\r\n", "\r"];
  let out = rng() < 0.2 ? "\uFEFF" : "";
  const lines = Math.floor(rng() * 30);
  for (let i = 0; i < lines; i++) {
    const kind = rng();
    if (kind < 0.25) out += "";
    else if (kind < 0.35) out += ":" + pick(atoms);
    else {
      out += pick(names) + pick(seps);
      const len = Math.floor(rng() * 4);
      for (let j = 0; j < len; j++) out += pick(atoms);
    }
    if (i < lines - 1 || rng() < 0.7) out += pick(ends);
  }
  return out;
}

describe("property: fuzz against a reference parser", () => {
  test("2000 seeded random streams, randomly chunked", () => {
    const seed = 0xf022;
    const rng = mulberry32(seed);
    for (let i = 0; i < 2000; i++) {
      const text = randomSseText(rng);
      const expected = referenceParse(text);
      assert.deepEqual(parseSseText(text), expected, `seed ${seed} stream ${i}: ${JSON.stringify(text)}`);
      const bytes = utf8.encode(text);
      const cuts = randomCuts(bytes.length, rng);
      assert.deepEqual(parseChunks(splitAt(bytes, cuts)), expected, `seed ${seed} stream ${i}: cuts [${cuts}]`);
    }
  });
});
