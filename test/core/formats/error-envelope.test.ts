/**
 * Error bodies (behaviour.md §1.4) and the per-format edge profiles: status → type/code maps, verbatim upstream
 * JSON, the Claude override from upstream JSON (vector 7), each profile's in-stream error frame, and the stream
 * observers (usage taken from the usage events without parsing content deltas).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { claudeErrorBody, claudeErrorType, openAIErrorBody } from "../../../core/formats/error-envelope.ts";
import { type FormatProfile, newObservation } from "../../../core/formats/format-profile.ts";
import { FORMAT_PROFILES } from "../../../core/formats/profiles.ts";
import { openAIChatProfile } from "../../../core/formats/openai-chat/profile.ts";
import { claudeProfile } from "../../../core/formats/claude/profile.ts";
import { geminiProfile } from "../../../core/formats/gemini/profile.ts";
import { openAIResponsesProfile } from "../../../core/formats/openai-responses/profile.ts";
import { ProxyError } from "../../../core/http/proxy-error.ts";
import { upstreamError } from "../../../core/routing/failure.ts";
import { SseParser, type SseEvent } from "../../../core/stream/sse-parser.ts";
import type { WireFormat } from "../../../core/formats/wire-format.ts";

const err = (status: number, message = "boom", options = {}) => new ProxyError(status, "upstream_error", message, options);

/** Parses SSE text with the project's parser. */
function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const p = new SseParser();
  p.push(new TextEncoder().encode(text), (e) => events.push(e));
  p.end((e) => events.push(e));
  return events;
}

/** Counts JSON.parse calls made while `fn` runs. */
function countingJsonParse(fn: () => void): number {
  const original = JSON.parse;
  let calls = 0;
  JSON.parse = function (this: unknown, ...args: Parameters<typeof JSON.parse>) {
    calls++;
    return original.apply(this, args);
  } as typeof JSON.parse;
  try {
    fn();
  } finally {
    JSON.parse = original;
  }
  return calls;
}

describe("openAIErrorBody", () => {
  test("status → type and code (§1.4)", () => {
    const cases: [number, string, string | undefined][] = [
      [401, "authentication_error", "invalid_api_key"],
      [403, "permission_error", "insufficient_quota"],
      [429, "rate_limit_error", "rate_limit_exceeded"],
      [404, "invalid_request_error", "model_not_found"],
      [500, "server_error", "internal_server_error"],
      [502, "server_error", "internal_server_error"],
      [503, "server_error", "internal_server_error"],
      [504, "server_error", "internal_server_error"],
      [529, "server_error", "internal_server_error"],
      [400, "invalid_request_error", undefined],
      [402, "invalid_request_error", undefined],
      [409, "invalid_request_error", undefined],
      [413, "invalid_request_error", undefined],
      [422, "invalid_request_error", undefined],
    ];
    for (const [status, type, code] of cases) {
      const body = openAIErrorBody(err(status, "m"));
      const expected = code === undefined ? { error: { message: "m", type } } : { error: { message: "m", type, code } };
      assert.equal(body, JSON.stringify(expected), `status ${status}`);
    }
  });

  test("explicit type, code and param win over the status defaults, in message,type,code,param order", () => {
    const body = openAIErrorBody(
      new ProxyError(400, "model_not_found", "unknown provider for model nope", {
        type: "invalid_request_error",
        code: "model_not_found",
        param: "model",
      }),
    );
    assert.equal(
      body,
      '{"error":{"message":"unknown provider for model nope","type":"invalid_request_error","code":"model_not_found","param":"model"}}',
    );
    assert.equal(
      openAIErrorBody(err(500, "x", { type: "custom_type", code: "custom_code" })),
      '{"error":{"message":"x","type":"custom_type","code":"custom_code"}}',
    );
  });

  test("an upstream body that is JSON is returned verbatim, whitespace and key order included", () => {
    const bodies = [
      '{"error":{"message":"x","type":"y"}}',
      '{ "error" : { "type": "y",\n  "message": "x", "extra": [1, 2] } }',
      '{"detail":"not an OpenAI envelope"}',
      '[{"error":{"code":429}}]',
    ];
    for (const upstreamBody of bodies) {
      assert.equal(openAIErrorBody(err(400, "ignored", { upstreamBody })), upstreamBody);
      assert.equal(openAIErrorBody(err(503, "ignored", { upstreamBody })), upstreamBody);
    }
  });

  test("vector 7: upstreamError keeps a 400 JSON body byte-identical for OpenAI clients", () => {
    const text = '{"error":{"message":"x","type":"y"}}';
    const e = upstreamError(400, text, "p", null);
    assert.equal(e.status, 400);
    assert.equal(openAIErrorBody(e), text);
  });

  test("non-JSON upstream text becomes the envelope's message", () => {
    const e = upstreamError(502, "<html>Bad Gateway</html>", "p", null);
    assert.equal(e.upstreamBody, undefined);
    assert.equal(
      openAIErrorBody(e),
      JSON.stringify({ error: { message: "<html>Bad Gateway</html>", type: "server_error", code: "internal_server_error" } }),
    );
    const empty = upstreamError(503, "", "prov", "12");
    assert.equal(JSON.parse(openAIErrorBody(empty)).error.message, "Upstream prov answered 503");
    assert.deepEqual(empty.headers, { "Retry-After": "12" });
  });
});

describe("claudeErrorBody", () => {
  test("status → Claude error type (§1.4)", () => {
    const cases: [number, string][] = [
      [401, "authentication_error"],
      [402, "billing_error"],
      [403, "permission_error"],
      [404, "not_found_error"],
      [413, "request_too_large"],
      [429, "rate_limit_error"],
      [504, "timeout_error"],
      [529, "overloaded_error"],
      [500, "api_error"],
      [501, "api_error"],
      [502, "api_error"],
      [503, "api_error"],
      [400, "invalid_request_error"],
      [409, "invalid_request_error"],
      [422, "invalid_request_error"],
    ];
    for (const [status, type] of cases) {
      assert.equal(claudeErrorType(status), type, `status ${status}`);
      assert.equal(claudeErrorBody(err(status, "m")), JSON.stringify({ type: "error", error: { type, message: "m" } }));
    }
  });

  test("vector 7: the upstream JSON's error.type and error.message override", () => {
    const e = upstreamError(400, '{"error":{"message":"x","type":"y"}}', "p", null);
    assert.equal(claudeErrorBody(e), '{"type":"error","error":{"type":"y","message":"x"}}');
    // A Claude upstream's own envelope survives as it was.
    const claudeUpstream = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
    assert.equal(claudeErrorBody(upstreamError(529, claudeUpstream, "p", null)), claudeUpstream);
  });

  test("a partial upstream error object overrides only what it has", () => {
    assert.equal(
      claudeErrorBody(upstreamError(429, '{"error":{"message":"slow down"}}', "p", null)),
      '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}',
    );
    assert.equal(
      claudeErrorBody(upstreamError(500, '{"error":{"type":"weird"}}', "p", null)),
      JSON.stringify({ type: "error", error: { type: "weird", message: '{"error":{"type":"weird"}}' } }),
    );
    // JSON without an error object: type by status, message is the upstream text.
    assert.equal(
      claudeErrorBody(upstreamError(403, '{"detail":"no"}', "p", null)),
      JSON.stringify({ type: "error", error: { type: "permission_error", message: '{"detail":"no"}' } }),
    );
  });

  test("non-JSON upstream text is the message", () => {
    assert.equal(
      claudeErrorBody(upstreamError(502, "bad gateway", "p", null)),
      '{"type":"error","error":{"type":"api_error","message":"bad gateway"}}',
    );
  });
});

describe("streamErrorFrame", () => {
  const midStream = new ProxyError(502, "upstream_stream_error", "Upstream stream failed: socket hang up");

  test("openai-chat and openai-completions: one `data: <envelope>` frame, nothing else", () => {
    for (const profile of [FORMAT_PROFILES["openai-chat"], FORMAT_PROFILES["openai-completions"]]) {
      const frame = profile.streamErrorFrame(midStream);
      assert.equal(frame, `data: ${openAIErrorBody(midStream)}\n\n`, profile.id);
      assert.match(frame, /^data: \{"error":/);
    }
  });

  test("claude: `event: error` with {type:error, error:{type,message}}", () => {
    const frame = FORMAT_PROFILES.claude.streamErrorFrame(midStream);
    assert.equal(
      frame,
      'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"Upstream stream failed: socket hang up"}}\n\n',
    );
    const overloaded = FORMAT_PROFILES.claude.streamErrorFrame(
      upstreamError(529, '{"error":{"type":"overloaded_error","message":"Overloaded"}}', "p", null),
    );
    assert.equal(overloaded, 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
  });

  test("gemini: a `data:` chunk {error:{code,message,status}}, as the Gemini API sends it (@google/genai reads only that)", () => {
    const frame = FORMAT_PROFILES.gemini.streamErrorFrame(midStream);
    assert.equal(
      frame,
      `data: ${JSON.stringify({ error: { code: midStream.status, message: midStream.message, status: "UNAVAILABLE" } })}\n\n`,
    );
  });

  test("openai-responses: `event: error` {type,code,message,sequence_number:0}", () => {
    const frame = FORMAT_PROFILES["openai-responses"].streamErrorFrame(midStream);
    const events = parseSse(frame);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.event, "error");
    const data = JSON.parse(events[0]!.data);
    assert.deepEqual(Object.keys(data).sort(), ["code", "message", "sequence_number", "type"]);
    assert.equal(data.type, "error");
    assert.equal(data.message, midStream.message);
    assert.equal(data.sequence_number, 0);
    assert.equal(typeof data.code, "string");
  });

  test("every frame is exactly one SSE event whose data is JSON, even with line breaks in the error", () => {
    const nasty = [
      new ProxyError(502, "upstream_stream_error", "line one\nline two\r\n\n\ndata: [DONE]\n\n"),
      // Pretty-printed upstream JSON is kept verbatim in HTTP bodies; in a frame it must not break the framing.
      upstreamError(500, '{\n  "error": {\n    "message": "multi\\nline",\n    "type": "server_error"\n  }\n}', "p", null),
    ];
    for (const id of Object.keys(FORMAT_PROFILES) as WireFormat[]) {
      const profile: FormatProfile = FORMAT_PROFILES[id];
      for (const e of nasty) {
        const frame = profile.streamErrorFrame(e);
        assert.ok(frame.endsWith("\n\n"), `${id}: ends the event`);
        const events = parseSse(frame);
        assert.equal(events.length, 1, `${id}: one event for ${JSON.stringify(frame)}`);
        assert.doesNotThrow(() => JSON.parse(events[0]!.data), `${id}: data is JSON: ${events[0]!.data}`);
        assert.ok(!frame.includes("[DONE]\n"), `${id}: no [DONE] line smuggled in`);
      }
    }
    // The pretty-printed upstream error still says the same thing.
    const data = JSON.parse(parseSse(openAIChatProfile.streamErrorFrame(nasty[1]!))[0]!.data);
    assert.deepEqual(data, { error: { message: "multi\nline", type: "server_error" } });
  });
});

describe("stream observers", () => {
  const ev = (data: string, event?: string): SseEvent => (event === undefined ? { data } : { event, data });

  test("openai-chat: usage comes from the usage chunk; [DONE] is terminal", () => {
    const obs = newObservation();
    const chunks = [
      '{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}',
      '{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":20,' +
      '"total_tokens":120,"prompt_tokens_details":{"cached_tokens":60},"completion_tokens_details":{"reasoning_tokens":4}}}',
    ];
    for (const c of chunks) openAIChatProfile.observe(ev(c), obs);
    assert.deepEqual(obs.usage, {
      inputTokens: 100,
      outputTokens: 20,
      totalTokens: 120,
      cachedTokens: 60,
      reasoningTokens: 4,
    });
    assert.equal(obs.terminal, false);
    openAIChatProfile.observe(ev("[DONE]"), obs);
    assert.equal(obs.terminal, true);
    assert.equal(obs.error, null);
  });

  test("openai-chat: content deltas are not parsed — invalid JSON in one neither throws nor records", () => {
    const obs = newObservation();
    const deltas = [
      '{"id":"c","choices":[{"delta":{"content":"unterminated',
      '{"id":"c","choices":[{"delta":{"content":"the \\"usage\\": {\\"prompt_tokens\\": 9} is text"}}]',
      '{"id":"c","choices":[{"delta":{"content":"x"}}],"usage":null',
      "not json at all",
    ];
    const calls = countingJsonParse(() => {
      for (const d of deltas) assert.doesNotThrow(() => openAIChatProfile.observe(ev(d), obs));
    });
    assert.equal(calls, 0, "JSON.parse was called on a content delta");
    assert.deepEqual(obs, newObservation());
    // The spy itself works: a usage chunk is parsed exactly once.
    const usageCalls = countingJsonParse(() =>
      openAIChatProfile.observe(ev('{"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}'), obs)
    );
    assert.equal(usageCalls, 1);
    assert.deepEqual(obs.usage, { inputTokens: 1, outputTokens: 2, totalTokens: 3 });
  });

  test("openai-chat: a malformed usage chunk is skipped without throwing", () => {
    const obs = newObservation();
    assert.doesNotThrow(() => openAIChatProfile.observe(ev('{"id":"c","usage":{"prompt_tokens":'), obs));
    assert.equal(obs.usage, null);
  });

  test("openai-chat: an in-band error event is recorded", () => {
    const obs = newObservation();
    openAIChatProfile.observe(ev('{"error":{"message":"overloaded"}}'), obs);
    assert.equal(obs.error, '{"error":{"message":"overloaded"}}');
    assert.equal(obs.terminal, false);
  });

  test("claude: usage merges message_start and message_delta; deltas are not parsed; message_stop is terminal", () => {
    const obs = newObservation();
    const calls = countingJsonParse(() => {
      claudeProfile.observe(ev("{broken", "content_block_delta"), obs);
      claudeProfile.observe(ev("{broken", "content_block_start"), obs);
      claudeProfile.observe(ev("{broken", "ping"), obs);
    });
    assert.equal(calls, 0);
    claudeProfile.observe(
      ev('{"type":"message_start","message":{"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":1}}}', "message_start"),
      obs,
    );
    claudeProfile.observe(ev('{"type":"message_delta","usage":{"output_tokens":7}}', "message_delta"), obs);
    assert.deepEqual(obs.usage, { inputTokens: 10, outputTokens: 7, totalTokens: 17, cachedTokens: 5 });
    assert.equal(obs.terminal, false);
    claudeProfile.observe(ev('{"type":"message_stop"}', "message_stop"), obs);
    assert.equal(obs.terminal, true);
    const errObs = newObservation();
    claudeProfile.observe(ev('{"type":"error","error":{"type":"overloaded_error","message":"o"}}', "error"), errObs);
    assert.match(errObs.error ?? "", /overloaded_error/);
  });

  test("gemini: usageMetadata is read; chunks without it are not parsed; no terminal event", () => {
    assert.equal(geminiProfile.hasTerminalEvent, false);
    const obs = newObservation();
    const calls = countingJsonParse(() => geminiProfile.observe(ev('{"candidates":[{"content":{"parts":[{"text":"{'), obs));
    assert.equal(calls, 0);
    geminiProfile.observe(
      ev('{"candidates":[],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"thoughtsTokenCount":4,"totalTokenCount":9}}'),
      obs,
    );
    assert.deepEqual(obs.usage, { inputTokens: 3, outputTokens: 6, totalTokens: 9, reasoningTokens: 4 });
  });

  test("openai-responses: deltas skipped, response.completed is terminal with usage, error/failed recorded", () => {
    const obs = newObservation();
    const calls = countingJsonParse(() => openAIResponsesProfile.observe(ev("{broken", "response.output_text.delta"), obs));
    assert.equal(calls, 0);
    assert.equal(obs.terminal, false);
    openAIResponsesProfile.observe(
      ev('{"type":"response.completed","response":{"usage":{"input_tokens":5,"output_tokens":3,"total_tokens":8}}}', "response.completed"),
      obs,
    );
    assert.equal(obs.terminal, true);
    assert.deepEqual(obs.usage, { inputTokens: 5, outputTokens: 3, totalTokens: 8 });
    const failed = newObservation();
    openAIResponsesProfile.observe(ev('{"type":"response.failed"}', "response.failed"), failed);
    assert.equal(failed.terminal, true);
    assert.equal(failed.error, '{"type":"response.failed"}');
  });

  test("bodyUsage reads each format's non-stream usage", () => {
    assert.deepEqual(openAIChatProfile.bodyUsage({ usage: { prompt_tokens: 2, completion_tokens: 3 } }), {
      inputTokens: 2,
      outputTokens: 3,
      totalTokens: 5,
    });
    assert.equal(openAIChatProfile.bodyUsage({ usage: null }), null);
    assert.deepEqual(claudeProfile.bodyUsage({ usage: { input_tokens: 4, output_tokens: 1 } }), {
      inputTokens: 4,
      outputTokens: 1,
      totalTokens: 5,
    });
    assert.equal(geminiProfile.bodyUsage({}), null);
  });
});
