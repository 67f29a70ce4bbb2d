/**
 * Responses requests and non-stream responses: round trips through the IR, no throw on junk, the one 400, and the
 * Codex-backend helpers (behaviour.md §4.1 last column, vector 15).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { IrPart, IrRequest, IrResponse } from "../../../../core/formats/ir.ts";
import type { JsonObject, JsonValue } from "../../../../core/formats/wire-format.ts";
import {
  CODEX_RENDER_OPTIONS,
  openAIResponsesCodec as codec,
  renderResponsesRequest,
} from "../../../../core/formats/openai-responses/codec.ts";
import { ProxyError } from "../../../../core/http/proxy-error.ts";
import { mulberry32 } from "../../../helpers/prng.ts";

const HERE = new URL(".", import.meta.url);
const vectors = <I, E>(kind: string) =>
  JSON.parse(readFileSync(new URL(`../../../conformance/openai-responses/${kind}.json`, HERE), "utf8")) as {
    name: string;
    input: I;
    expected: E;
  }[];
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/**
 * What survives a Responses render: system parts join into `instructions`, unsigned reasoning cannot be replayed, and
 * a tool without `strict` is sent as non-strict.
 */
function representable(ir: IrRequest): IrRequest {
  const system = ir.system.length > 0
    ? [{ type: "text" as const, text: ir.system.map((p) => p.text).join("\n\n") }]
    : [];
  const messages: { role: "user" | "assistant"; content: IrPart[] }[] = [];
  for (const m of ir.messages) {
    const content = m.content.filter((p: IrPart) => p.type !== "thinking" || p.signature !== undefined);
    const prev = messages.at(-1);
    // Dropping a message makes its neighbours adjacent: the parser merges same-role turns.
    if (prev?.role === m.role) prev.content.push(...content);
    else if (content.length > 0) messages.push({ role: m.role, content });
  }
  const tools = ir.tools.map((t) => ({ ...t, strict: t.strict ?? false }));
  return plain({ ...ir, system, messages, tools });
}

describe("Responses requests", () => {
  test("parse → render → parse keeps every recorded request (up to what the wire can carry)", () => {
    for (const v of vectors<JsonObject, IrRequest>("request-parse")) {
      const ir = codec.parseRequest(v.input);
      const body = codec.renderRequest(ir, { model: ir.model, stream: ir.stream });
      assert.deepEqual(plain(codec.parseRequest(body)), representable(ir), v.name);
    }
  });

  test("render → parse → render is stable for every recorded IR", () => {
    for (const v of vectors<IrRequest, JsonObject>("request-render")) {
      const ctx = { model: v.input.model, stream: v.input.stream };
      const body = codec.renderRequest(v.input, ctx);
      assert.deepEqual(plain(codec.renderRequest(codec.parseRequest(body), ctx)), plain(body), v.name);
    }
  });

  test("an input that is neither a string nor a list is a 400", () => {
    for (const input of [42, true, { role: "user" }]) {
      assert.throws(() => codec.parseRequest({ model: "m", input }), (err: unknown) => {
        assert.ok(err instanceof ProxyError);
        assert.equal(err.status, 400);
        assert.equal(err.kind, "bad_request");
        return true;
      });
    }
  });

  test("junk in any field never throws, and whatever parses renders", () => {
    const rand = mulberry32(0x5a5);
    const junk: JsonValue[] = [null, 0, 1.5, -3, "", "x", true, [], {}, [null], [1, "a"], { type: 3 }, { text: {} }];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const item = (): JsonValue =>
      rand() < 0.3 ? pick(junk) : {
        type: pick(["message", "function_call", "function_call_output", "reasoning", "custom_tool_call", "x", 5]),
        role: pick(["user", "assistant", "system", "developer", "tool", 1]),
        content: rand() < 0.5 ? pick(junk) : [pick(junk), {
          type: pick(["input_text", "input_image", "input_file", "refusal"]),
          text: pick(junk),
          image_url: pick(junk),
          file_data: pick(junk),
        }],
        call_id: pick(junk),
        name: pick(junk),
        arguments: pick(junk),
        output: pick(junk),
        summary: pick(junk),
        encrypted_content: pick(junk),
      };
    for (let i = 0; i < 400; i++) {
      const body: JsonObject = {
        model: pick(junk),
        input: rand() < 0.8 ? Array.from({ length: Math.floor(rand() * 6) }, item) : pick(["hi", null]),
        instructions: pick(junk),
        tools: rand() < 0.5 ? pick(junk) : [pick(junk), { type: "function", name: pick(junk), parameters: pick(junk) }],
        tool_choice: pick([...junk, "auto", { type: "function" }]),
        reasoning: pick([...junk, { effort: "high", summary: 3 }]),
        text: pick([...junk, { format: pick(junk) }]),
        max_output_tokens: pick(junk),
        temperature: pick(junk),
        user: pick(junk),
        stream: pick(junk),
      };
      const ir = codec.parseRequest(body);
      codec.renderRequest(ir, { model: "m", stream: true });
    }
  });
});

describe("Codex backend helpers", () => {
  const chatLike: IrRequest = {
    model: "gpt-5",
    stream: false,
    system: [{ type: "text", text: "S" }],
    messages: [{ role: "user", content: [{ type: "text", text: "U" }] }],
    tools: [],
    sampling: { maxTokens: 100, temperature: 0.3 },
    extra: null,
  };

  test("CODEX_RENDER_OPTIONS: system as a developer message, empty instructions, effort medium when absent (vector 15)", () => {
    const body = renderResponsesRequest(chatLike, { model: "gpt-5-codex", stream: true }, CODEX_RENDER_OPTIONS);
    assert.equal(body.instructions, "");
    assert.deepEqual(body.input, [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "S" }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "U" }] },
    ]);
    assert.deepEqual(body.reasoning, { effort: "medium" });
    const high = renderResponsesRequest({ ...chatLike, reasoning: { level: "high" } }, {
      model: "gpt-5-codex",
      stream: true,
    }, CODEX_RENDER_OPTIONS);
    assert.deepEqual(high.reasoning, { effort: "high" });
  });

  test("the standard render sends no effort the client did not ask for", () => {
    assert.equal(codec.renderRequest(chatLike, { model: "gpt-5", stream: false }).reasoning, undefined);
  });

});

describe("Responses responses", () => {
  test("parse → render → parse keeps every recorded response (refusal becomes the content filter)", () => {
    for (const v of vectors<JsonObject, IrResponse>("response-parse")) {
      const ir = codec.parseResponse(v.input);
      if (ir.stopReason === null) continue; // a failed response renders as a completed one: nothing to compare
      const again = codec.parseResponse(codec.renderResponse(ir, { model: ir.model, stream: false }));
      const want = ir.stopReason === "refusal" ? { ...ir, stopReason: "content_filter" } : ir;
      assert.deepEqual(plain(again), plain(want), v.name);
    }
  });

  test("a response without an id gets a resp_ id; junk output never throws", () => {
    const body = codec.renderResponse({ id: "", model: "m", created: 1, content: [], stopReason: null }, {
      model: "c",
      stream: false,
    });
    assert.match(String(body.id), /^resp_[0-9a-f]{32}$/);
    assert.equal(body.status, "completed");
    for (
      const output of [null, 3, "x", [null, 1, { type: "message", content: 5 }, { type: "function_call" }, {
        type: "reasoning",
        summary: [7],
      }]]
    ) {
      codec.parseResponse({ output, usage: "x", incomplete_details: 4, status: 9 } as unknown as JsonObject);
    }
  });
});
