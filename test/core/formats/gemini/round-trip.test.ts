/**
 * Gemini codec round trips (parse → render → parse) and the input guards: what a conformance vector cannot say in
 * one direction.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { geminiCodec } from "../../../../core/formats/gemini/codec.ts";
import type { IrResponse, IrStreamEvent, RenderContext } from "../../../../core/formats/ir.ts";
import type { JsonObject } from "../../../../core/formats/wire-format.ts";
import { ProxyError } from "../../../../core/http/proxy-error.ts";
import { SseParser } from "../../../../core/stream/sse-parser.ts";

const ctx: RenderContext = { model: "", stream: true };

function plain<T>(v: T): unknown {
  return JSON.parse(JSON.stringify(v));
}

/** Feeds SSE text through the project's SSE parser into the Gemini stream parser. */
function parseStream(text: string): IrStreamEvent[] {
  const out: IrStreamEvent[] = [];
  const emit = (e: IrStreamEvent) => out.push(e);
  const parser = geminiCodec.createStreamParser(ctx);
  const sse = new SseParser();
  sse.pushText(text, (ev) => parser.push(ev.event, ev.data, emit));
  sse.end((ev) => parser.push(ev.event, ev.data, emit));
  parser.end(emit);
  return out;
}

function renderStream(events: readonly IrStreamEvent[], query?: string): string {
  const r = geminiCodec.createStreamRenderer({
    ...ctx,
    query: query === undefined ? undefined : new URLSearchParams(query),
  });
  return events.map((e) => r.push(e)).join("");
}

/** `created` is "now" when Gemini sends no createTime. */
function withoutCreated(events: readonly IrStreamEvent[]): unknown {
  return plain(events.map((e) => (e.type === "start" ? { ...e, created: 0 } : e)));
}

describe("gemini request round trip", () => {
  test("parseRequest() then renderRequest() gives back a request already in canonical Gemini form", () => {
    const body: JsonObject = {
      systemInstruction: { role: "user", parts: [{ text: "Be terse." }] },
      contents: [
        {
          role: "user",
          parts: [{ text: "Weather?" }, { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }],
        },
        {
          role: "model",
          parts: [
            { text: "Checking.", thought: true, thoughtSignature: "CiQBthought" },
            { functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: "CiQBcall" },
            { functionCall: { name: "get_time", args: {} } },
          ],
        },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "get_weather", response: { result: "sunny" } } },
            { functionResponse: { name: "get_time", response: { error: "no clock" } } },
          ],
        },
        { role: "model", parts: [{ text: "Sunny; the time is unknown." }] },
        {
          role: "user",
          parts: [{ text: "Thanks" }, { fileData: { mimeType: "application/pdf", fileUri: "files/abc" } }],
        },
      ],
      tools: [
        {
          functionDeclarations: [{
            name: "get_weather",
            description: "Weather for a city",
            parametersJsonSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
          }],
        },
        { googleSearch: {} },
      ],
      toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } },
      generationConfig: {
        temperature: 0.3,
        topP: 0.8,
        topK: 16,
        maxOutputTokens: 900,
        stopSequences: ["STOP!"],
        candidateCount: 2,
        seed: 11,
        presencePenalty: 0.2,
        frequencyPenalty: 0.1,
        responseMimeType: "application/json",
        responseJsonSchema: { type: "object" },
        responseModalities: ["TEXT"],
        thinkingConfig: { thinkingBudget: 2048, includeThoughts: true },
      },
      safetySettings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_ONLY_HIGH" }],
      cachedContent: "cachedContents/c1",
    };
    const ir = geminiCodec.parseRequest(structuredClone(body));
    assert.deepEqual(plain(geminiCodec.renderRequest(ir, { model: "gemini-2.5-pro", stream: false })), body);
  });

  test("parseRequest() refuses a body without contents with a 400", () => {
    for (const body of [{}, { contents: [] }, { contents: null }, { contents: "" }]) {
      assert.throws(
        () => geminiCodec.parseRequest(body as JsonObject),
        (e: unknown) =>
          e instanceof ProxyError && e.status === 400 && e.kind === "bad_request" && /contents/.test(e.message),
      );
    }
  });

  test("parseRequest() accepts a bare string or a single Content object as contents", () => {
    assert.deepEqual(plain(geminiCodec.parseRequest({ contents: "hi" }).messages), [
      { role: "user", content: [{ type: "text", text: "hi" }] },
    ]);
    assert.deepEqual(plain(geminiCodec.parseRequest({ contents: { parts: { text: "yo" } } }).messages), [
      { role: "user", content: [{ type: "text", text: "yo" }] },
    ]);
  });
});

describe("gemini response round trip", () => {
  test("renderResponse() then parseResponse() keeps content, ids, signatures, stop reason and usage", () => {
    const ir: IrResponse = {
      id: "resp-1",
      model: "gemini-2.5-pro",
      created: 1756720800,
      content: [
        { type: "thinking", text: "Plan.", signature: "CiQBsig", signatureFormat: "gemini" },
        { type: "text", text: "Ergebnis: 42 ✓" },
        {
          type: "tool_call",
          id: "call_7",
          name: "save",
          arguments: '{"value":42,"tags":["a"]}',
          signature: "CiQBcall",
        },
        { type: "image", source: { kind: "base64", mediaType: "image/png", data: "AAAA" } },
      ],
      stopReason: "tool_use",
      nativeStopReason: "stop",
      usage: { input: 40, output: 30, cacheRead: 8, reasoning: 12 },
    };
    const body = geminiCodec.renderResponse(ir, { model: "", stream: false });
    const back = geminiCodec.parseResponse({ ...body, createTime: "2025-09-01T10:00:00Z" });
    assert.deepEqual(plain(back), plain(ir));
  });
});

describe("gemini stream round trip", () => {
  const upstream = [
    {
      candidates: [{ content: { parts: [{ text: "Thinking about ", thought: true }], role: "model" }, index: 0 }],
      modelVersion: "gemini-3-pro-preview",
      responseId: "rt-1",
    },
    {
      candidates: [{
        content: { parts: [{ text: "it.", thought: true }, { text: "Let me call two tools — ✓" }], role: "model" },
        index: 0,
      }],
      modelVersion: "gemini-3-pro-preview",
      responseId: "rt-1",
    },
    {
      candidates: [{
        content: {
          parts: [
            { functionCall: { name: "a", args: { q: "x\ny" } }, thoughtSignature: "CiQBsig" },
            { functionCall: { name: "b", args: {} } },
          ],
          role: "model",
        },
        index: 0,
      }],
      modelVersion: "gemini-3-pro-preview",
      responseId: "rt-1",
    },
    {
      candidates: [{ content: { parts: [{ text: "" }], role: "model" }, finishReason: "STOP", index: 0 }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 7, totalTokenCount: 22, thoughtsTokenCount: 5 },
      modelVersion: "gemini-3-pro-preview",
      responseId: "rt-1",
    },
  ];
  const sse = upstream.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join("");

  test("parse → render (SSE) → parse gives the same IR events", () => {
    const first = parseStream(sse);
    const second = parseStream(renderStream(first));
    assert.deepEqual(withoutCreated(second), withoutCreated(first));
  });

  test("the JSON-array stream (alt=json) holds the same chunks as the SSE one", () => {
    const events = parseStream(sse);
    const sseFrames = renderStream(events).split("\n\n").filter((f) => f !== "").map((f) =>
      JSON.parse(f.slice("data: ".length))
    );
    const array = JSON.parse(renderStream(events, "alt=json"));
    assert.deepEqual(array, sseFrames);
  });
});
