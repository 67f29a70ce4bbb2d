/**
 * The request pipeline over real HTTP (behaviour.md §1.3, §3.3, §3.4; vectors 4–7 and 23): same-format streams
 * pass through byte for byte, errors before the first byte are plain JSON with the upstream status, errors after it
 * are the format's in-stream error frame, and failover tries the next credential only for credential faults.
 *
 * Claude and Gemini passthrough go through a test provider plugin (core/plugin/load.ts file-path plugin) that
 * speaks those formats natively, since the built-in openai-compatible provider only speaks OpenAI.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  chatCompletion,
  chatStreamChunks,
  type FakeUpstream,
  startFakeUpstream,
} from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard, type TestSwitchyard } from "../../helpers/switchyard.ts";
import {
  eventually,
  NATIVE_PROVIDER_PLUGIN,
  readText,
  RECORDER_PLUGIN,
  sseFrames,
  summariesFor,
  testId,
} from "../http/edge-helpers.ts";

const KEY = "sk-pipeline";
const utf8 = new TextEncoder();

/** SSE chunks of a Claude Messages stream. */
function claudeStream(text: string): string[] {
  const ev = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  return [
    ev("message_start", {
      type: "message_start",
      message: { id: "msg_1", type: "message", role: "assistant", model: "claude-m-upstream", content: [], usage: { input_tokens: 9, output_tokens: 1 } },
    }),
    ev("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    ev("ping", { type: "ping" }),
    ev("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }),
    ev("content_block_stop", { type: "content_block_stop", index: 0 }),
    ev("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 4 } }),
    ev("message_stop", { type: "message_stop" }),
  ];
}

function geminiChunk(text: string, last = false) {
  return {
    candidates: [{ content: { role: "model", parts: [{ text }] }, ...(last ? { finishReason: "STOP" } : {}) }],
    ...(last ? { usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, totalTokenCount: 5 } } : {}),
  };
}

/** Splits text at code-point boundaries into pieces of about `size` characters. */
function splitText(text: string, size: number): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(""));
  return out;
}

describe("stream pipeline", () => {
  let primary: FakeUpstream; // openai-compatible, priority 10
  let backup: FakeUpstream; // openai-compatible, priority 0
  let native: FakeUpstream; // Claude / Gemini test provider
  let sy: TestSwitchyard;

  const chat = (body: Record<string, unknown>, id = testId("chat"), extra: Record<string, string> = {}) =>
    fetch(`${sy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}`, "x-test-id": id, ...extra },
      body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
    });

  /**
   * A fresh Switchyard per test: credential health (cooldowns after 429, 5xx or a cut stream, behaviour.md §3.3)
   * lives in the runtime, and one scenario's failures must not bench the credential another scenario needs.
   */
  const started: TestSwitchyard[] = [];
  async function fresh(): Promise<TestSwitchyard> {
    const instance = await startTestSwitchyard(
      `
api-keys: ["${KEY}"]
plugins:
  - openai-compatible
  - ./recorder.mjs
  - use: ./native.mjs
    options:
      base: "${native.url}"
      models: ["claude-m", "gem-m"]
openai-compatibility:
  - name: primary
    base-url: "${primary.url}/v1"
    priority: 10
    api-key-entries:
      - api-key: "sk-primary"
    models:
      - name: up-m
        alias: m
      - name: up-solo
        alias: solo
  - name: backup
    base-url: "${backup.url}/v1"
    priority: 0
    api-key-entries:
      - api-key: "sk-backup"
    models:
      - name: up-m-backup
        alias: m
`,
      { files: { "recorder.mjs": RECORDER_PLUGIN, "native.mjs": NATIVE_PROVIDER_PLUGIN } },
    );
    started.push(instance);
    return instance;
  }

  before(async () => {
    primary = await startFakeUpstream(() => ({ kind: "json", body: chatCompletion("primary") }));
    backup = await startFakeUpstream(() => ({ kind: "json", body: chatCompletion("backup") }));
    native = await startFakeUpstream(() => ({ kind: "json", body: {} }));
  });
  after(async () => {
    for (const instance of started) await instance.stop();
    await primary.close();
    await backup.close();
    await native.close();
  });

  test("vector 4: a chat stream is the upstream's bytes, `data: <json>` frames ending in exactly `data: [DONE]`", async () => {
    sy = await fresh();
    const upstreamChunks = chatStreamChunks(["Hel", "lo, ", "wörld ", "🚀", "!"], "up-solo");
    primary.handle(() => ({ kind: "sse", chunks: upstreamChunks }));
    const id = testId("v4");
    const res = await chat({ model: "solo", stream: true }, id);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual(bytes, utf8.encode(upstreamChunks.join("")), "byte-identical to the upstream");

    const text = new TextDecoder().decode(bytes);
    assert.ok(text.endsWith("\n\ndata: [DONE]\n\n"), "ends with exactly data: [DONE]");
    assert.equal(text.indexOf("[DONE]"), text.lastIndexOf("[DONE]"), "one [DONE]");
    const frames = sseFrames(text);
    assert.equal(frames.at(-1), "data: [DONE]");
    for (const frame of frames.slice(0, -1)) {
      assert.match(frame, /^data: \{/);
      assert.ok(!frame.includes("\n"), "one line per frame");
      JSON.parse(frame.slice("data: ".length));
    }
    const sent = primary.requests.at(-1)!;
    assert.equal(sent.json?.model, "up-solo");
    assert.deepEqual(sent.json?.stream_options, { include_usage: true });

    await eventually(() => summariesFor(id).length === 1, 5000, "afterResponse");
    const [summary] = summariesFor(id);
    assert.equal(summary!.status, 200);
    assert.equal(summary!.stream, true);
    assert.equal(summary!.cancelled, false);
    assert.equal(summary!.error, null);
    assert.equal(summary!.attempts, 1);
    assert.deepEqual(summary!.usage, { inputTokens: 5, outputTokens: 5, totalTokens: 10 });
  });

  test("a non-stream answer passes through, and an observer reading its usage gets it from the body", async () => {
    sy = await fresh();
    primary.handle(() => ({ kind: "json", body: chatCompletion("primary") }));
    const id = testId("json-usage");
    const res = await chat({ model: "solo" }, id);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), chatCompletion("primary"));
    await eventually(() => summariesFor(id).length === 1, 5000, "afterResponse");
    const [summary] = summariesFor(id);
    assert.equal(summary!.stream, false);
    assert.deepEqual(summary!.usage, { inputTokens: 11, outputTokens: 7, totalTokens: 18 });
    const copied = summary as unknown as { spreadUsage: unknown; jsonUsage: unknown };
    assert.deepEqual(copied.spreadUsage, summary!.usage, "a spread copy of the summary has it");
    assert.deepEqual(copied.jsonUsage, summary!.usage, "so does its JSON");
  });

  test("a non-stream answer is the upstream's bytes, byte for byte (not decoded and re-encoded)", async () => {
    sy = await fresh();
    // A BOM, a raw 0xFF inside a string (not UTF-8: a decode would make it U+FFFD) and a 4-byte character.
    const head = utf8.encode(
      '\uFEFF{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"a',
    );
    const tail = utf8.encode('b 🚀"},"finish_reason":"stop"}]}');
    const body = new Uint8Array([...head, 0xff, ...tail]);
    primary.handle(() => ({ kind: "bytes", body }));
    const id = testId("json-bytes");
    const res = await chat({ model: "solo" }, id);
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), body);
    await eventually(() => summariesFor(id).length === 1, 5000, "afterResponse");
    assert.equal(summariesFor(id)[0]!.usage, null, "no usage in the body: null, not an error");
  });

  test("a stream whose events straddle the upstream's chunk boundaries still passes through unchanged", async () => {
    sy = await fresh();
    const whole = chatStreamChunks(["split ", "across ", "chunks ✓"], "up-solo").join("");
    primary.handle(() => ({ kind: "sse", chunks: splitText(whole, 7) }));
    const res = await chat({ model: "solo", stream: true });
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), utf8.encode(whole));
  });

  test("vector 5: upstream 429 before the first chunk → HTTP 429 JSON, no SSE, Retry-After passed on", async () => {
    sy = await fresh();
    const upstreamBody = '{"error":{"message":"Rate limit reached","type":"rate_limit_error","code":"rate_limit_exceeded"}}';
    primary.handle(() => ({
      kind: "text",
      status: 429,
      body: upstreamBody,
      headers: { "content-type": "application/json", "retry-after": "7" },
    }));
    const before = primary.requests.length;
    const id = testId("v5");
    const res = await chat({ model: "solo", stream: true }, id);
    assert.equal(res.status, 429);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.notEqual(res.headers.get("content-type"), "text/event-stream");
    assert.equal(res.headers.get("retry-after"), "7");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal(await res.text(), upstreamBody);
    assert.equal(primary.requests.length, before + 1, "one credential, request-retry 0: one attempt");
    await eventually(() => summariesFor(id).length === 1, 5000, "afterResponse");
    assert.equal(summariesFor(id)[0]!.status, 429);
    assert.equal(summariesFor(id)[0]!.error?.status, 429);
  });

  test("vector 6: upstream cut after the first chunk → last frame is `data: {\"error\":…}`, no [DONE]", async () => {
    sy = await fresh();
    const first = chatStreamChunks(["partial"], "up-solo").slice(0, 2);
    // The delay makes the cut come after the first chunk is on the wire, on every runtime.
    primary.handle(() => ({ kind: "sse", chunks: first, cut: true, delayMs: 50 }));
    const id = testId("v6-cut");
    const res = await chat({ model: "solo", stream: true }, id);
    assert.equal(res.status, 200);
    const text = await readText(res);
    assert.ok(text.startsWith(first.join("")), "what the upstream sent comes first, unchanged");
    assert.ok(!text.includes("[DONE]"), "no [DONE] after a cut");
    assert.ok(text.endsWith("\n\n"));
    const last = sseFrames(text).at(-1)!;
    assert.match(last, /^data: \{"error":/);
    const error = JSON.parse(last.slice("data: ".length)).error;
    assert.equal(typeof error.message, "string");
    assert.ok(error.message.length > 0);
    await eventually(() => summariesFor(id).length === 1, 5000, "afterResponse");
    assert.ok(summariesFor(id)[0]!.error, "the summary carries the mid-stream error");
    assert.equal(summariesFor(id)[0]!.cancelled, false);
  });

  test("vector 6: a stream that ends cleanly but without [DONE] also gets the error frame", async () => {
    sy = await fresh();
    const chunks = chatStreamChunks(["no", " done"], "up-solo").slice(0, -1);
    primary.handle(() => ({ kind: "sse", chunks }));
    const res = await chat({ model: "solo", stream: true });
    assert.equal(res.status, 200);
    const text = await readText(res);
    assert.ok(text.startsWith(chunks.join("")));
    assert.ok(!text.includes("[DONE]"));
    const frames = sseFrames(text);
    assert.equal(frames.length, chunks.length + 1, "exactly one frame added");
    assert.match(frames.at(-1)!, /^data: \{"error":\{"message":"[^"]+"/);
  });

  test("vector 6 (Claude): cut after the first events → `event: error` {type:error,error:{…}}", async () => {
    sy = await fresh();
    const events = claudeStream("hello").slice(0, 4);
    native.handle(() => ({ kind: "sse", chunks: events, cut: true, delayMs: 50 }));
    const res = await fetch(`${sy.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-m", max_tokens: 16, stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const text = await readText(res);
    assert.ok(text.startsWith(events.join("")));
    const last = sseFrames(text).at(-1)!;
    assert.match(last, /^event: error\ndata: /);
    const data = JSON.parse(last.split("\n")[1]!.slice("data: ".length));
    assert.equal(data.type, "error");
    assert.equal(typeof data.error.type, "string");
    assert.equal(typeof data.error.message, "string");
    assert.ok(!text.includes("message_stop"));
    assert.equal(native.requests.at(-1)!.path, "/v1/messages");
  });

  test("a complete Claude stream passes through unchanged, with nothing appended", async () => {
    sy = await fresh();
    const events = claudeStream("whole");
    native.handle(() => ({ kind: "sse", chunks: events }));
    const id = testId("claude-ok");
    const res = await fetch(`${sy.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY, "x-test-id": id },
      body: JSON.stringify({ model: "claude-m", max_tokens: 16, stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), utf8.encode(events.join("")));
    await eventually(() => summariesFor(id).length === 1, 5000, "afterResponse");
    assert.deepEqual(summariesFor(id)[0]!.usage, { inputTokens: 9, outputTokens: 4, totalTokens: 13 });
    assert.equal(summariesFor(id)[0]!.error, null);
  });

  test("vector 7: upstream 400 {\"error\":{\"message\":\"x\",\"type\":\"y\"}} — OpenAI entry byte-identical, Claude entry re-enveloped", async () => {
    sy = await fresh();
    const upstreamBody = '{"error":{"message":"x","type":"y"}}';
    primary.handle(() => ({ kind: "text", status: 400, body: upstreamBody, headers: { "content-type": "application/json" } }));
    for (const stream of [false, true]) {
      const res = await chat({ model: "solo", stream });
      assert.equal(res.status, 400, `stream ${stream}`);
      assert.equal(await res.text(), upstreamBody, `stream ${stream}`);
    }
    native.handle(() => ({ kind: "text", status: 400, body: upstreamBody, headers: { "content-type": "application/json" } }));
    const claude = await fetch(`${sy.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY },
      body: JSON.stringify({ model: "claude-m", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(claude.status, 400);
    assert.equal(await claude.text(), '{"type":"error","error":{"type":"y","message":"x"}}');
  });

  test("an upstream error body is returned verbatim, not re-serialised", async () => {
    sy = await fresh();
    const pretty = '{\n  "error": {\n    "message": "x",\n    "type": "y"\n  }\n}';
    primary.handle(() => ({ kind: "text", status: 400, body: pretty, headers: { "content-type": "application/json" } }));
    const res = await chat({ model: "solo" });
    assert.equal(res.status, 400);
    assert.equal(await res.text(), pretty);
  });

  test("failover: the first entry answers 500 → the client gets the second entry's answer", async () => {
    sy = await fresh();
    primary.handle(() => ({ kind: "json", status: 500, body: { error: { message: "primary down", type: "server_error" } } }));
    backup.handle((req) => ({ kind: "json", body: chatCompletion("from backup", String(req.json?.model)) }));
    const p0 = primary.requests.length;
    const b0 = backup.requests.length;
    const id = testId("failover");
    const res = await chat({ model: "m" }, id);
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.equal(json.choices[0].message.content, "from backup");
    assert.equal(json.model, "up-m-backup");
    assert.equal(primary.requests.length, p0 + 1);
    assert.equal(backup.requests.length, b0 + 1);
    assert.equal(primary.requests.at(-1)!.headers.get("authorization"), "Bearer sk-primary");
    assert.equal(backup.requests.at(-1)!.headers.get("authorization"), "Bearer sk-backup");
    await eventually(() => summariesFor(id).length === 1, 5000, "afterResponse");
    assert.equal(summariesFor(id)[0]!.attempts, 2);
    assert.equal(summariesFor(id)[0]!.status, 200);
  });

  test("failover also applies to a stream that fails before its first chunk", async () => {
    sy = await fresh();
    primary.handle(() => ({ kind: "text", status: 503, body: "overloaded" }));
    const chunks = chatStreamChunks(["b", "k"], "up-m-backup");
    backup.handle(() => ({ kind: "sse", chunks }));
    const res = await chat({ model: "m", stream: true });
    assert.equal(res.status, 200);
    assert.equal(await readText(res), chunks.join(""));
  });

  test("failover: a 400 request fault on the first entry is returned at once; the second is never called", async () => {
    sy = await fresh();
    const fault = '{"error":{"message":"maximum context length exceeded","type":"invalid_request_error","code":"context_length_exceeded"}}';
    primary.handle(() => ({ kind: "text", status: 400, body: fault, headers: { "content-type": "application/json" } }));
    backup.handle(() => ({ kind: "json", body: chatCompletion("must not be used") }));
    const p0 = primary.requests.length;
    const b0 = backup.requests.length;
    const res = await chat({ model: "m" });
    assert.equal(res.status, 400);
    assert.equal(await res.text(), fault);
    assert.equal(primary.requests.length, p0 + 1);
    assert.equal(backup.requests.length, b0, "the second entry was never called");
  });

  test("failover: when every entry fails, the last failure is returned", async () => {
    sy = await fresh();
    primary.handle(() => ({ kind: "json", status: 500, body: { error: { message: "p" } } }));
    backup.handle(() => ({ kind: "json", status: 502, body: { error: { message: "b" } } }));
    const res = await chat({ model: "m" });
    assert.equal(res.status, 502);
    assert.deepEqual(await res.json(), { error: { message: "b" } });
  });

  test("vector 23: Gemini :streamGenerateContent without alt → `data: <json>` frames, no [DONE]", async () => {
    sy = await fresh();
    const frames = [geminiChunk("Hel"), geminiChunk("lo", true)].map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`);
    native.handle(() => ({ kind: "sse", chunks: frames }));
    const id = testId("gemini-sse");
    const res = await fetch(`${sy.url}/v1beta/models/gem-m:streamGenerateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": KEY, "x-test-id": id },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const text = await readText(res);
    assert.equal(text, frames.join(""), "passed through unchanged, nothing appended");
    assert.ok(!text.includes("[DONE]"));
    const sent = native.requests.at(-1)!;
    assert.equal(sent.path, "/v1beta/models/gem-m-upstream:streamGenerateContent");
    assert.equal(sent.search, "?alt=sse");
    await eventually(() => summariesFor(id).length === 1, 5000, "afterResponse");
    assert.equal(summariesFor(id)[0]!.error, null, "a Gemini stream that simply ends is complete");
    assert.deepEqual(summariesFor(id)[0]!.usage, { inputTokens: 3, outputTokens: 2, totalTokens: 5 });
  });

  test("vector 23: Gemini :streamGenerateContent?alt=json → the upstream's raw chunks, as they come", async () => {
    sy = await fresh();
    const raw = ["[", JSON.stringify(geminiChunk("Hel")), "\n,", JSON.stringify(geminiChunk("lo", true)), "]"];
    native.handle(() => ({ kind: "sse", chunks: raw }));
    const res = await fetch(`${sy.url}/v1beta/models/gem-m:streamGenerateContent?alt=json`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": KEY },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });
    assert.equal(res.status, 200);
    const text = await readText(res);
    assert.equal(text, raw.join(""));
    assert.equal(native.requests.at(-1)!.search, "?alt=json");
    assert.equal(JSON.parse(text).length, 2);
    assert.notEqual(res.headers.get("content-type"), "text/event-stream", "raw bytes are not an event stream");
  });

  test("a raw (alt=json) Gemini stream cut mid-way ends with the error body itself, no SSE framing", async () => {
    sy = await fresh();
    const raw = ["[", JSON.stringify(geminiChunk("Hel"))];
    native.handle(() => ({ kind: "sse", chunks: raw, cut: true, delayMs: 50 }));
    const res = await fetch(`${sy.url}/v1beta/models/gem-m:streamGenerateContent?alt=json`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": KEY },
      body: JSON.stringify({ contents: [] }),
    });
    assert.equal(res.status, 200);
    const text = await readText(res);
    assert.ok(text.startsWith(raw.join("")));
    const tail = text.slice(raw.join("").length);
    assert.doesNotMatch(tail, /^(event|data):/m);
    assert.equal(typeof JSON.parse(tail).error.message, "string");
  });

  test("Gemini non-stream generateContent passes the upstream JSON through", async () => {
    sy = await fresh();
    native.handle(() => ({ kind: "json", body: geminiChunk("whole", true) }));
    const res = await fetch(`${sy.url}/v1beta/models/gem-m:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": KEY },
      body: JSON.stringify({ contents: [] }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), geminiChunk("whole", true));
    assert.equal(native.requests.at(-1)!.path, "/v1beta/models/gem-m-upstream:generateContent");
  });
});
