/**
 * Chat / Completions response codecs beyond the vectors: round trips through the IR, what the official SDK makes of
 * a rendered body, and junk that must never throw.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { openAIChatCodec, openAICompletionsCodec } from "../../../../core/formats/openai-chat/codec.ts";
import type { IrResponse } from "../../../../core/formats/ir.ts";
import type { JsonObject, JsonValue } from "../../../../core/formats/wire-format.ts";
import { mulberry32 } from "../../../helpers/prng.ts";

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const ir: IrResponse = {
  id: "chatcmpl-rt",
  model: "gpt-x",
  created: 1761000000,
  content: [
    { type: "thinking", text: "weighing options" },
    { type: "text", text: "Here: ünïcödé 🚀" },
    { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBOR" } },
    { type: "tool_call", id: "call_a", name: "f", arguments: '{"a":[1,2]}' },
    { type: "tool_call", id: "call_b", name: "g", arguments: "{}" },
  ],
  stopReason: "tool_use",
  usage: { input: 120, output: 45, cacheRead: 100, cacheCreation: 3, reasoning: 30 },
};

describe("openai-chat response codec", () => {
  test("parse(render(ir)) gives the IR back", () => {
    const body = openAIChatCodec.renderResponse(ir, { model: "gpt-x", stream: false });
    assert.deepEqual(plain(openAIChatCodec.parseResponse(body)), plain(ir));
  });

  test("render(parse(body)) gives a canonical body back", () => {
    const body = openAIChatCodec.renderResponse(ir, { model: "gpt-x", stream: false });
    assert.deepEqual(
      openAIChatCodec.renderResponse(openAIChatCodec.parseResponse(body), { model: "gpt-x", stream: false }),
      body,
    );
  });

  test("every IR stop reason renders to a finish_reason that parses back to the same meaning", () => {
    const cases: [IrResponse["stopReason"], string, IrResponse["stopReason"]][] = [
      ["end_turn", "stop", "end_turn"],
      ["stop_sequence", "stop", "end_turn"],
      ["pause_turn", "stop", "end_turn"],
      ["max_tokens", "length", "max_tokens"],
      ["content_filter", "content_filter", "content_filter"],
      ["refusal", "content_filter", "content_filter"],
      ["tool_use", "tool_calls", "end_turn"], // no call in the content: nothing for a client to run
      [null, "stop", "end_turn"],
    ];
    for (const [stop, finish, back] of cases) {
      const body = openAIChatCodec.renderResponse({ ...ir, content: [{ type: "text", text: "x" }], stopReason: stop }, {
        model: "m",
        stream: false,
      });
      const choice = (body.choices as JsonObject[])[0]!;
      assert.equal(choice.finish_reason, finish, String(stop));
      assert.equal(openAIChatCodec.parseResponse(body).stopReason, back, String(stop));
    }
  });

  test("the official SDK reads a rendered body: content, reasoning, tool calls, usage", async () => {
    const body = openAIChatCodec.renderResponse(ir, { model: "client-name", stream: false });
    const client = new OpenAI({
      apiKey: "sk-test",
      baseURL: "http://sdk.invalid/v1",
      maxRetries: 0,
      fetch: () => Promise.resolve(Response.json(body)),
    });
    const res = await client.chat.completions.create({
      model: "client-name",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(res.object, "chat.completion");
    assert.equal(res.model, "client-name");
    const choice = res.choices[0]!;
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.content, "Here: ünïcödé 🚀");
    assert.deepEqual(
      choice.message.tool_calls?.map((c) => c.type === "function" && [c.id, c.function.name, c.function.arguments]),
      [
        ["call_a", "f", '{"a":[1,2]}'],
        ["call_b", "g", "{}"],
      ],
    );
    assert.equal((choice.message as unknown as { reasoning_content: string }).reasoning_content, "weighing options");
    assert.deepEqual(res.usage, {
      prompt_tokens: 120,
      completion_tokens: 45,
      total_tokens: 165,
      prompt_tokens_details: { cached_tokens: 100, cached_creation_tokens: 3 },
      completion_tokens_details: { reasoning_tokens: 30 },
    });
  });

  test("completions: parse(render(ir)) keeps the text, stop reason and usage", () => {
    const text: IrResponse = { ...ir, content: [{ type: "text", text: "once upon a time" }], stopReason: "max_tokens" };
    const body = openAICompletionsCodec.renderResponse(text, { model: "inst", stream: false });
    assert.equal(body.object, "text_completion");
    const back = openAICompletionsCodec.parseResponse(body);
    assert.deepEqual(plain(back), plain({ ...text, model: "inst" }));
  });

  test("junk bodies never throw", () => {
    const rand = mulberry32(11);
    const junk: JsonValue[] = [null, 0, "", "x", [], {}, [null], [{}], { message: null }, { message: { content: 5 } }];
    const pick = () => junk[Math.floor(rand() * junk.length)]!;
    for (let i = 0; i < 300; i++) {
      const body: JsonObject = {
        id: pick(),
        model: pick(),
        created: pick(),
        usage: pick(),
        choices: rand() < 0.3 ? pick() : [{
          index: pick(),
          finish_reason: pick(),
          text: pick(),
          message: {
            content: pick(),
            reasoning_content: pick(),
            tool_calls: [pick(), { function: pick() }],
            images: [pick(), { image_url: pick() }],
            function_call: pick(),
            refusal: pick(),
          },
        }],
      };
      const a = openAIChatCodec.parseResponse(body);
      const b = openAICompletionsCodec.parseResponse(body);
      openAIChatCodec.renderResponse(a, { model: "m", stream: false });
      openAICompletionsCodec.renderResponse(b, { model: "m", stream: false });
    }
  });
});
