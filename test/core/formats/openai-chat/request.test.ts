/**
 * Chat request codec beyond the vectors: parse → render → parse round trips, tool-result placement both ways, the
 * deprecated functions API, render options, the one 400, and junk that must never throw.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { openAIChatCodec } from "../../../../core/formats/openai-chat/codec.ts";
import { parseChatRequest } from "../../../../core/formats/openai-chat/request.ts";
import { renderChatRequest } from "../../../../core/formats/openai-chat/request-render.ts";
import type { IrRequest } from "../../../../core/formats/ir.ts";
import type { JsonObject, JsonValue } from "../../../../core/formats/wire-format.ts";
import { ProxyError } from "../../../../core/http/proxy-error.ts";
import { mulberry32 } from "../../../helpers/prng.ts";

const ctx = { model: "up", stream: false };
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** A request written the way the renderer writes one, so render(parse(x)) should give x back. */
const canonical: JsonObject = {
  model: "up",
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: "What's in these?" },
    {
      role: "user",
      content: [
        { type: "text", text: "look" },
        { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0K", detail: "low" } },
        { type: "image_url", image_url: { url: "https://example.com/x.jpg" } },
        { type: "input_audio", input_audio: { data: "UklGR", format: "wav" } },
        { type: "file", file: { file_data: "data:application/pdf;base64,JVBER", filename: "a.pdf" } },
        { type: "file", file: { file_id: "file-1" } },
      ],
    },
    {
      role: "assistant",
      content: "Calling.",
      tool_calls: [
        { id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } },
        { id: "call_2", type: "function", function: { name: "g", arguments: "{}" } },
      ],
    },
    { role: "tool", tool_call_id: "call_1", content: "one" },
    { role: "tool", tool_call_id: "call_2", content: "two" },
    { role: "user", content: "thanks" },
    { role: "assistant", content: "You're welcome." },
  ],
  tools: [
    {
      type: "function",
      function: {
        name: "f",
        description: "does f",
        parameters: { type: "object", properties: { a: { type: "integer" } }, required: ["a"] },
        strict: true,
      },
    },
    { type: "function", function: { name: "g", parameters: { type: "object", properties: {} } } },
  ],
  tool_choice: { type: "function", function: { name: "f" } },
  parallel_tool_calls: false,
  max_tokens: 100,
  temperature: 0.3,
  top_p: 0.8,
  stop: ["END"],
  n: 1,
  seed: 42,
  presence_penalty: 0.1,
  frequency_penalty: 0.2,
  reasoning_effort: "low",
  response_format: {
    type: "json_schema",
    json_schema: { name: "out", schema: { type: "object", properties: {} }, strict: true },
  },
  user: "u-1",
  stream: true,
  stream_options: { include_usage: true },
  metadata: { trace: "abc" },
};

describe("openai-chat request codec", () => {
  test("render(parse(x)) gives a canonical request back unchanged", () => {
    const ir = parseChatRequest(canonical);
    assert.deepEqual(plain(renderChatRequest(ir, { model: "up", stream: true })), canonical);
  });

  test("parse(render(ir)) is a fixed point after one pass", () => {
    const ir1 = parseChatRequest(canonical);
    const ir2 = parseChatRequest(renderChatRequest(ir1, { model: "up", stream: true }));
    assert.deepEqual(plain(ir2), plain(ir1));
  });

  test("a tool result sent before its call's turn ends stays after the call; consecutive results share one user message", () => {
    const ir = parseChatRequest({
      model: "m",
      messages: [
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "a", type: "function", function: { name: "x", arguments: "{}" } },
            { id: "b", type: "function", function: { name: "y", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "b", content: "B" },
        { role: "tool", tool_call_id: "orphan", content: "O" },
        { role: "tool", tool_call_id: "a", content: "A" },
      ],
    });
    assert.equal(ir.messages.length, 2);
    const results = ir.messages[1]!.content;
    assert.deepEqual(results.map((p) => p.type === "tool_result" && p.callId), ["a", "b", "orphan"]);
  });

  test("render puts each tool message right after its call even when the IR has a message in between", () => {
    const ir: IrRequest = {
      model: "m",
      stream: false,
      system: [],
      tools: [],
      sampling: {},
      extra: null,
      messages: [
        { role: "assistant", content: [{ type: "tool_call", id: "c1", name: "f", arguments: "{}" }] },
        { role: "user", content: [{ type: "text", text: "between" }] },
        { role: "user", content: [{ type: "tool_result", callId: "c1", content: "done" }] },
      ],
    };
    const msgs = renderChatRequest(ir, ctx).messages as JsonObject[];
    assert.deepEqual(msgs.map((m) => m.role), ["assistant", "tool", "user"]);
  });

  test("deprecated functions / function_call / role function map to tools, tool choice and matched results", () => {
    const ir = parseChatRequest({
      model: "m",
      functions: [{ name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } }],
      function_call: { name: "lookup" },
      messages: [
        { role: "user", content: "find x" },
        { role: "assistant", content: null, function_call: { name: "lookup", arguments: '{"q":"x"}' } },
        { role: "function", name: "lookup", content: "found" },
      ],
    });
    assert.deepEqual(ir.tools.map((t) => t.name), ["lookup"]);
    assert.deepEqual(ir.toolChoice, { type: "tool", name: "lookup" });
    const call = ir.messages[1]!.content[0]!;
    const result = ir.messages[2]!.content[0]!;
    assert.equal(call.type, "tool_call");
    assert.equal(result.type, "tool_result");
    if (call.type === "tool_call" && result.type === "tool_result") {
      assert.equal(result.callId, call.id, "the result answers the call");
      assert.equal(result.name, "lookup");
      assert.equal(call.arguments, '{"q":"x"}');
    }
  });

  test("tool calls without ids get unique generated ones; argument objects are serialised", () => {
    const ir = parseChatRequest({
      model: "m",
      messages: [{
        role: "assistant",
        tool_calls: [
          { type: "function", function: { name: "a", arguments: { x: 1 } } },
          { type: "function", function: { name: "b" } },
        ],
      }],
    });
    const [a, b] = ir.messages[0]!.content;
    assert.ok(a?.type === "tool_call" && b?.type === "tool_call");
    assert.match(a.id, /^call_/);
    assert.notEqual(a.id, b.id);
    assert.equal(a.arguments, '{"x":1}');
    assert.equal(b.arguments, "{}");
  });

  test("Gemini thought signatures on tool calls (extra_content) are kept on the IR call", () => {
    const ir = parseChatRequest({
      model: "m",
      messages: [{
        role: "assistant",
        tool_calls: [{
          id: "c",
          type: "function",
          function: { name: "f", arguments: "{}" },
          extra_content: { google: { thought_signature: "CiQB" } },
        }],
      }],
    });
    const call = ir.messages[0]!.content[0]!;
    assert.ok(call.type === "tool_call");
    assert.equal(call.signature, "CiQB");
  });

  test("thinking is dropped from upstream requests unless reasoningContent is on; signed or redacted thinking never goes", () => {
    const ir: IrRequest = {
      model: "m",
      stream: false,
      system: [],
      tools: [],
      sampling: {},
      extra: null,
      messages: [
        { role: "user", content: [{ type: "text", text: "q" }] },
        {
          role: "assistant",
          content: [
            { type: "thinking", text: "plain one" },
            { type: "thinking", text: "signed", signature: "sig", signatureFormat: "claude" },
            { type: "thinking", text: "", signature: "x", redacted: true },
            { type: "thinking", text: "plain two" },
            { type: "text", text: "a" },
          ],
        },
      ],
    };
    const off = (renderChatRequest(ir, ctx).messages as JsonObject[])[1]!;
    assert.deepEqual(off, { role: "assistant", content: "a" });
    const on = (renderChatRequest(ir, ctx, { reasoningContent: true }).messages as JsonObject[])[1]!;
    assert.deepEqual(on, { role: "assistant", content: "a", reasoning_content: "plain one\n\nplain two" });
  });

  test("reasoning levels and budgets → reasoning_effort", () => {
    const base: IrRequest = {
      model: "m",
      stream: false,
      system: [],
      messages: [],
      tools: [],
      sampling: {},
      extra: null,
    };
    const effort = (reasoning: IrRequest["reasoning"]) =>
      renderChatRequest({ ...base, reasoning }, ctx).reasoning_effort;
    assert.equal(effort({ level: "xhigh" }), "xhigh");
    assert.equal(effort({ budget: -1 }), "auto");
    assert.equal(effort({ budget: 0 }), "none");
    assert.equal(effort({ budget: 1024 }), "low");
    assert.equal(effort({ budget: 24576 }), "high");
    assert.equal(effort({ budget: 50000 }), "xhigh");
    assert.equal(effort({ includeThoughts: true }), undefined);
    assert.equal(effort(undefined), undefined);
  });

  test("OpenRouter-style reasoning objects are read when reasoning_effort is absent", () => {
    assert.deepEqual(parseChatRequest({ model: "m", messages: [], reasoning: { effort: "medium" } }).reasoning, {
      level: "medium",
    });
    assert.deepEqual(parseChatRequest({ model: "m", messages: [], reasoning: { max_tokens: 2000 } }).reasoning, {
      budget: 2000,
    });
    assert.equal(parseChatRequest({ model: "m", messages: [], reasoning_effort: "turbo" }).reasoning, undefined);
  });

  test("a body without a messages array is a 400 in the client's format", () => {
    for (const body of [{ model: "m" }, { model: "m", messages: "hi" }, { model: "m", messages: { role: "user" } }]) {
      assert.throws(
        () => openAIChatCodec.parseRequest(body as JsonObject),
        (e: unknown) =>
          e instanceof ProxyError && e.status === 400 && e.kind === "bad_request" && /messages/.test(e.message),
      );
    }
  });

  test("junk inside a request never throws and yields only well-typed IR", () => {
    const rand = mulberry32(7);
    const junk: JsonValue[] = [null, 0, 1.5, true, "", "x", [], {}, [null], { type: 1 }, { role: 5 }, { content: {} }];
    const pick = () => junk[Math.floor(rand() * junk.length)]!;
    const roles = ["system", "developer", "user", "assistant", "tool", "function", "model", "", 3];
    for (let i = 0; i < 300; i++) {
      const messages: JsonValue[] = [];
      for (let j = 0; j < 6; j++) {
        messages.push(
          rand() < 0.2 ? pick() : {
            role: roles[Math.floor(rand() * roles.length)]!,
            content: rand() < 0.5
              ? pick()
              : [pick(), { type: "image_url", image_url: pick() }, { type: "file", file: pick() }, {
                type: "input_audio",
                input_audio: pick(),
              }, { type: "text", text: pick() }],
            tool_calls: rand() < 0.5
              ? pick()
              : [pick(), { function: pick() }, { type: "function", function: { name: pick(), arguments: pick() } }],
            tool_call_id: pick(),
            reasoning_content: pick(),
            function_call: pick(),
            name: pick(),
          },
        );
      }
      const body: JsonObject = {
        model: pick(),
        messages,
        tools: pick(),
        tool_choice: pick(),
        response_format: pick(),
        stop: pick(),
        max_tokens: pick(),
        reasoning_effort: pick(),
        reasoning: pick(),
        functions: [pick()],
        user: pick(),
      };
      const ir = parseChatRequest(body);
      assert.equal(typeof ir.model, "string");
      for (const m of ir.messages) {
        assert.ok(m.content.length > 0, "no empty messages");
        for (const p of m.content) {
          if (p.type === "text") assert.equal(typeof p.text, "string");
          if (p.type === "tool_call") {
            assert.ok(typeof p.name === "string" && p.name !== "" && typeof p.arguments === "string");
          }
        }
      }
      // And whatever was parsed renders.
      renderChatRequest(ir, { model: "up", stream: rand() < 0.5 });
    }
  });
});
