/**
 * The official Google GenAI SDK against the Gemini codec: what the SDK sends parses into the expected IR, and what
 * the renderers write (a streamed and a whole answer) is read back by the SDK as the IR said.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { FunctionCallingConfigMode, GoogleGenAI, ThinkingLevel, Type } from "@google/genai";
import { geminiCodec } from "../../../../core/formats/gemini/codec.ts";
import type { IrResponse, IrStreamEvent } from "../../../../core/formats/ir.ts";
import type { JsonObject } from "../../../../core/formats/wire-format.ts";
import { type FakeUpstream, startFakeUpstream } from "../../../helpers/fake-upstream.ts";

const EVENTS: IrStreamEvent[] = [
  { type: "start", id: "msg_sdk", model: "claude-sonnet-4-5", created: 0, usage: { input: 21, output: 1 } },
  { type: "block_start", index: 0, block: { type: "thinking" } },
  { type: "thinking_delta", index: 0, text: "Need the weather." },
  { type: "block_stop", index: 0 },
  { type: "block_start", index: 1, block: { type: "text" } },
  { type: "text_delta", index: 1, text: "Checking Zürich " },
  { type: "text_delta", index: 1, text: "☀️…" },
  { type: "block_stop", index: 1 },
  { type: "block_start", index: 2, block: { type: "tool_call", id: "toolu_01", name: "get_weather" } },
  { type: "tool_args_delta", index: 2, partialJson: '{"city":' },
  { type: "tool_args_delta", index: 2, partialJson: '"Zürich"}' },
  { type: "block_stop", index: 2 },
  { type: "finish", stopReason: "tool_use", usage: { input: 21, output: 14, reasoning: 4 } },
  { type: "end" },
];

const ANSWER: IrResponse = {
  id: "msg_whole",
  model: "gpt-5",
  created: 0,
  content: [{ type: "text", text: "Hallo 👋" }, {
    type: "tool_call",
    id: "call_9",
    name: "ping",
    arguments: '{"n":1}',
  }],
  stopReason: "tool_use",
  usage: { input: 5, output: 3 },
};

describe("Google GenAI SDK and the Gemini codec", () => {
  let up: FakeUpstream;
  let ai: GoogleGenAI;

  before(async () => {
    up = await startFakeUpstream((req) => {
      if (req.path.endsWith(":streamGenerateContent")) {
        const r = geminiCodec.createStreamRenderer({
          model: "gemini-client",
          stream: true,
          query: new URLSearchParams(req.search),
        });
        return { kind: "sse", chunks: EVENTS.map((e) => r.push(e)).filter((t) => t !== "") };
      }
      return { kind: "json", body: geminiCodec.renderResponse(ANSWER, { model: "gemini-client", stream: false }) };
    });
    ai = new GoogleGenAI({ apiKey: "k", httpOptions: { baseUrl: up.url } });
  });

  after(() => up.close());

  test("a streamed answer: text, thoughts, the call with its args and id, finish reason and usage", async () => {
    let text = "";
    let thoughts = "";
    const calls: unknown[] = [];
    let finishReason: string | undefined;
    let usage: unknown;
    for await (const chunk of await ai.models.generateContentStream({ model: "gemini-client", contents: "weather?" })) {
      for (const p of chunk.candidates?.[0]?.content?.parts ?? []) {
        if (p.thought) thoughts += p.text ?? "";
        else if (p.text) text += p.text;
      }
      calls.push(...(chunk.functionCalls ?? []));
      finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
      usage = chunk.usageMetadata ?? usage;
    }
    assert.equal(up.requests.at(-1)!.search, "?alt=sse");
    assert.equal(text, "Checking Zürich ☀️…");
    assert.equal(thoughts, "Need the weather.");
    assert.deepEqual(calls, [{ name: "get_weather", args: { city: "Zürich" }, id: "toolu_01" }]);
    assert.equal(finishReason, "STOP");
    assert.deepEqual(usage, {
      promptTokenCount: 21,
      candidatesTokenCount: 10,
      totalTokenCount: 35,
      thoughtsTokenCount: 4,
    });
  });

  test("a whole answer: text, function call, usage", async () => {
    const res = await ai.models.generateContent({ model: "gemini-client", contents: "hi" });
    // Read the parts: `res.text` logs a warning when function calls sit beside the text.
    assert.equal(res.candidates?.[0]?.content?.parts?.[0]?.text, "Hallo 👋");
    assert.deepEqual(res.functionCalls, [{ name: "ping", args: { n: 1 }, id: "call_9" }]);
    assert.equal(res.responseId, "msg_whole");
    assert.equal(res.modelVersion, "gemini-client");
    assert.equal(res.usageMetadata?.totalTokenCount, 8);
  });

  test("the SDK's own request body parses into the IR", async () => {
    await ai.models.generateContent({
      model: "gemini-client",
      contents: [
        { role: "user", parts: [{ text: "Weather in Paris?" }] },
        {
          role: "model",
          parts: [{ functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: "CiQBsig" }],
        },
        { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { output: "sunny" } } }] },
      ],
      config: {
        systemInstruction: "Be brief.",
        temperature: 0.4,
        maxOutputTokens: 300,
        stopSequences: ["END"],
        thinkingConfig: { thinkingLevel: ThinkingLevel.LOW, includeThoughts: true },
        tools: [{
          functionDeclarations: [{
            name: "get_weather",
            description: "Weather",
            parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } }, required: ["city"] },
          }],
        }],
        toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } },
      },
    });
    const ir = geminiCodec.parseRequest(up.requests.at(-1)!.json as JsonObject);
    assert.equal(ir.model, "");
    assert.deepEqual(JSON.parse(JSON.stringify(ir.system)), [{ type: "text", text: "Be brief." }]);
    assert.deepEqual(JSON.parse(JSON.stringify(ir.messages)), [
      { role: "user", content: [{ type: "text", text: "Weather in Paris?" }] },
      {
        role: "assistant",
        content: [{
          type: "tool_call",
          id: "get_weather-1",
          name: "get_weather",
          arguments: '{"city":"Paris"}',
          signature: "CiQBsig",
        }],
      },
      {
        role: "user",
        content: [{ type: "tool_result", callId: "get_weather-1", name: "get_weather", content: "sunny" }],
      },
    ]);
    assert.deepEqual(JSON.parse(JSON.stringify(ir.tools)), [{
      name: "get_weather",
      description: "Weather",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    }]);
    assert.deepEqual(ir.toolChoice, { type: "auto" });
    assert.deepEqual(ir.sampling, { temperature: 0.4, maxTokens: 300, stop: ["END"] });
    assert.deepEqual(ir.reasoning, { level: "low", includeThoughts: true });
  });
});
