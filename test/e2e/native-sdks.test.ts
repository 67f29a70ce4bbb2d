/**
 * The official Anthropic and Google SDKs against Switchyard, routed to an upstream of their own format (no
 * translation): the body passes through with the model rewritten, and the provider adapters authenticate as the real
 * APIs expect.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startTestSwitchyard, type TestSwitchyard } from "../helpers/switchyard.ts";

function claudeMessage(model: string, text: string) {
  return {
    id: "msg_fake",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 9, output_tokens: 4 },
  };
}

function claudeStream(model: string, pieces: string[]): string[] {
  const ev = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  return [
    ev("message_start", { type: "message_start", message: { ...claudeMessage(model, ""), content: [], stop_reason: null } }),
    ev("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    ...pieces.map((t) => ev("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: t } })),
    ev("content_block_stop", { type: "content_block_stop", index: 0 }),
    ev("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: pieces.length } }),
    ev("message_stop", { type: "message_stop" }),
  ];
}

function geminiChunk(text: string, final: boolean) {
  return {
    candidates: [{ content: { role: "model", parts: [{ text }] }, index: 0, ...(final ? { finishReason: "STOP" } : {}) }],
    ...(final ? { usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 } } : {}),
    modelVersion: "gemini-up",
  };
}

describe("official SDKs, same-format upstreams", () => {
  let claudeUp: FakeUpstream;
  let geminiUp: FakeUpstream;
  let sy: TestSwitchyard;

  before(async () => {
    claudeUp = await startFakeUpstream((req) => {
      if (req.path.endsWith("/count_tokens")) return { kind: "json", body: { input_tokens: 42 } };
      const model = String(req.json?.model);
      return req.json?.stream
        ? { kind: "sse", chunks: claudeStream(model, ["Bon", "jour", " ☀️"]) }
        : { kind: "json", body: claudeMessage(model, "Bonjour ☀️") };
    });
    geminiUp = await startFakeUpstream((req) => {
      if (req.path.endsWith(":countTokens")) return { kind: "json", body: { totalTokens: 7 } };
      if (req.path.endsWith(":streamGenerateContent")) {
        return {
          kind: "sse",
          chunks: [`data: ${JSON.stringify(geminiChunk("Hal", false))}\r\n\r\n`, `data: ${JSON.stringify(geminiChunk("lo", true))}\r\n\r\n`],
        };
      }
      return { kind: "json", body: geminiChunk("Hallo", true) };
    });
    sy = await startTestSwitchyard(`
api-keys: ["sk-client"]
claude-api-key:
  - api-key: "sk-ant-upstream"
    base-url: "${claudeUp.url}"
    models: [{name: claude-up, alias: sonnet}]
gemini-api-key:
  - api-key: "AIza-upstream"
    base-url: "${geminiUp.url}"
    models: [{name: gemini-up, alias: gem}]
`);
  });
  after(async () => {
    await sy.stop();
    await claudeUp.close();
    await geminiUp.close();
  });

  test("Anthropic SDK: non-stream message through a claude-api-key entry", async () => {
    const client = new Anthropic({ apiKey: "sk-client", baseURL: sy.url, maxRetries: 0 });
    const msg = await client.messages.create({
      model: "sonnet",
      max_tokens: 100,
      messages: [{ role: "user", content: "salut" }],
    }, { headers: { "anthropic-beta": "prompt-caching-2024-07-31" } });
    assert.equal(msg.content[0]?.type === "text" ? msg.content[0].text : "", "Bonjour ☀️");
    const sent = claudeUp.requests.at(-1)!;
    assert.equal(sent.path, "/v1/messages");
    assert.equal(sent.search, "?beta=true");
    assert.equal(sent.headers.get("authorization"), "Bearer sk-ant-upstream", "a non-Anthropic base URL gets Bearer");
    assert.equal(sent.headers.get("anthropic-version"), "2023-06-01");
    assert.equal(sent.headers.get("anthropic-beta"), "prompt-caching-2024-07-31");
    assert.equal(sent.json?.model, "claude-up");
  });

  test("Anthropic SDK: streamed message arrives as the upstream's events", async () => {
    const client = new Anthropic({ apiKey: "sk-client", baseURL: sy.url, maxRetries: 0 });
    const stream = client.messages.stream({ model: "sonnet", max_tokens: 100, messages: [{ role: "user", content: "x" }] });
    let text = "";
    stream.on("text", (t) => (text += t));
    const final = await stream.finalMessage();
    assert.equal(text, "Bonjour ☀️");
    assert.equal(final.stop_reason, "end_turn");
  });

  test("Anthropic SDK: count_tokens uses the upstream's counter", async () => {
    const client = new Anthropic({ apiKey: "sk-client", baseURL: sy.url, maxRetries: 0 });
    const count = await client.messages.countTokens({ model: "sonnet", messages: [{ role: "user", content: "x" }] });
    assert.equal(count.input_tokens, 42);
    assert.equal(claudeUp.requests.at(-1)!.path, "/v1/messages/count_tokens");
  });

  test("Google GenAI SDK: generateContent, stream and countTokens through a gemini-api-key entry", async () => {
    const ai = new GoogleGenAI({ apiKey: "sk-client", httpOptions: { baseUrl: sy.url } });
    const res = await ai.models.generateContent({ model: "gem", contents: "hallo?" });
    assert.equal(res.text, "Hallo");
    const sent = geminiUp.requests.at(-1)!;
    assert.equal(sent.path, "/v1beta/models/gemini-up:generateContent");
    assert.equal(sent.headers.get("x-goog-api-key"), "AIza-upstream");
    assert.equal(sent.json?.model, undefined, "the model travels in the URL only");

    let streamed = "";
    for await (const chunk of await ai.models.generateContentStream({ model: "gem", contents: "hallo?" })) {
      streamed += chunk.text ?? "";
    }
    assert.equal(streamed, "Hallo");
    assert.equal(geminiUp.requests.at(-1)!.search, "?alt=sse");

    const count = await ai.models.countTokens({ model: "gem", contents: "hallo?" });
    assert.equal(count.totalTokens, 7);
  });
});
