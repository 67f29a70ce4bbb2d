/**
 * Claude responses beyond the vectors: render → parse round trip, no throw on junk bodies, and the official
 * Anthropic SDK reading what the renderers produce (non-stream body and stream, through the SDK's own parsers).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import Anthropic from "@anthropic-ai/sdk";
import { claudeCodec } from "../../../../core/formats/claude/codec.ts";
import type { IrResponse, IrStreamEvent } from "../../../../core/formats/ir.ts";
import type { JsonObject } from "../../../../core/formats/wire-format.ts";
import { mulberry32 } from "../../../helpers/prng.ts";

const ctx = { model: "claude-sonnet-4-5", stream: false };

const IR: IrResponse = {
  id: "msg_round",
  model: "claude-sonnet-4-5",
  created: 1,
  content: [
    { type: "thinking", text: "Considering…", signature: "EqQBsig", signatureFormat: "claude" },
    { type: "thinking", text: "", signature: "EmwKdata", signatureFormat: "claude", redacted: true },
    { type: "text", text: "Here: ✓" },
    { type: "tool_call", id: "toolu_1", name: "search", arguments: '{"q":"zürich","n":3}' },
  ],
  stopReason: "tool_use",
  usage: { input: 120, output: 30, cacheRead: 100, cacheCreation: 5 },
};

describe("claude response", () => {
  // The parse vectors match as subsets only because `created` is the local time: here they are compared exactly.
  const vectors = JSON.parse(
    readFileSync(new URL("../../../conformance/claude/response-parse.json", import.meta.url), "utf8"),
  ) as { name: string; input: JsonObject; expected: Record<string, unknown> }[];
  for (const v of vectors) {
    test(`exactly the vector's IR: ${v.name}`, () => {
      const { created, ...rest } = claudeCodec.parseResponse(v.input);
      assert.ok(Math.abs(created - Date.now() / 1000) < 5);
      assert.deepEqual(JSON.parse(JSON.stringify(rest)), v.expected);
    });
  }

  test("render → parse gives the IR back (created aside)", () => {
    const back = claudeCodec.parseResponse(claudeCodec.renderResponse(IR, ctx));
    assert.deepEqual({ ...back, created: 1 }, IR);
  });

  test("never throws on junk bodies", () => {
    const rand = mulberry32(99);
    const junk: unknown[] = [null, 1, "x", [], {}, [{}], { type: "text" }, { type: "tool_use", input: "{" }];
    const pick = () => junk[Math.floor(rand() * junk.length)];
    for (let i = 0; i < 1000; i++) {
      const body = {
        id: pick(),
        model: pick(),
        content: [pick(), pick()],
        stop_reason: pick(),
        usage: pick(),
      } as JsonObject;
      claudeCodec.renderResponse(claudeCodec.parseResponse(body), ctx);
    }
  });
});

/** An Anthropic SDK client whose HTTP layer answers with `body`. */
function sdkAnswering(body: string, contentType: string): Anthropic {
  return new Anthropic({
    apiKey: "test",
    baseURL: "http://claude.invalid",
    maxRetries: 0,
    fetch: () => Promise.resolve(new Response(body, { status: 200, headers: { "content-type": contentType } })),
  });
}

describe("claude renderers read by the official Anthropic SDK", () => {
  test("a rendered message body is a Message to the SDK", async () => {
    const body = JSON.stringify(claudeCodec.renderResponse(IR, ctx));
    const msg = await sdkAnswering(body, "application/json").messages.create({
      model: "claude-sonnet-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(msg.stop_reason, "tool_use");
    assert.deepEqual(msg.content[3], { type: "tool_use", id: "toolu_1", name: "search", input: { q: "zürich", n: 3 } });
    assert.equal(msg.usage.input_tokens, 15);
  });

  test("a stream rendered from another format's IR accumulates into the expected message", async () => {
    const events: IrStreamEvent[] = [
      { type: "start", id: "chatcmpl-1", model: "gpt-4o", created: 1 },
      { type: "block_start", index: 0, block: { type: "thinking" } },
      { type: "thinking_delta", index: 0, text: "Plan: " },
      { type: "thinking_delta", index: 0, text: "call both." },
      { type: "block_start", index: 1, block: { type: "text" } },
      { type: "text_delta", index: 1, text: "Bon" },
      { type: "block_start", index: 3, block: { type: "tool_call", id: "call_a", name: "weather" } },
      { type: "tool_args_delta", index: 3, partialJson: '{"city":' },
      { type: "text_delta", index: 1, text: "jour 🌤" },
      { type: "block_start", index: 4, block: { type: "tool_call", id: "call_b", name: "time" } },
      { type: "tool_args_delta", index: 4, partialJson: "{}" },
      { type: "tool_args_delta", index: 3, partialJson: '"Lyon"}' },
      { type: "finish", stopReason: "tool_use" },
      { type: "finish", usage: { input: 100, output: 20, cacheRead: 60 } },
      { type: "end" },
    ];
    const r = claudeCodec.createStreamRenderer({ model: "claude-sonnet-4-5", stream: true });
    const sse = events.map((e) => r.push(e)).join("");
    const stream = sdkAnswering(sse, "text/event-stream").messages.stream({
      model: "claude-sonnet-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
    const msg = await stream.finalMessage();
    assert.equal(msg.id, "chatcmpl-1");
    assert.equal(msg.model, "claude-sonnet-4-5");
    assert.equal(msg.stop_reason, "tool_use");
    assert.deepEqual(
      msg.content.map((b) => {
        const { citations: _c, ...rest } = b as typeof b & { citations?: unknown };
        return rest;
      }),
      [
        { type: "thinking", thinking: "Plan: call both.", signature: "" },
        { type: "text", text: "Bonjour 🌤" },
        { type: "tool_use", id: "call_a", name: "weather", input: { city: "Lyon" } },
        { type: "tool_use", id: "call_b", name: "time", input: {} },
      ],
    );
    assert.equal(msg.usage.input_tokens, 40);
    assert.equal(msg.usage.cache_read_input_tokens, 60);
    assert.equal(msg.usage.output_tokens, 20);
  });

  test("an error mid-stream reaches the SDK as an error", async () => {
    const r = claudeCodec.createStreamRenderer({ model: "claude-sonnet-4-5", stream: true });
    const sse = [
      { type: "start", id: "m", model: "x", created: 1 },
      { type: "block_start", index: 0, block: { type: "text" } },
      { type: "text_delta", index: 0, text: "par" },
      { type: "error", status: 529, message: "Overloaded" },
    ].map((e) => r.push(e as IrStreamEvent)).join("");
    const stream = sdkAnswering(sse, "text/event-stream").messages.stream({
      model: "claude-sonnet-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
    await assert.rejects(stream.finalMessage(), /Overloaded|overloaded/);
  });
});
