/**
 * Claude requests beyond the vectors: the 400 for an unusable body, no throw on junk, parse → render → parse of a
 * Claude Code body, and render invariants Claude enforces (alternating roles, no empty blocks, tool_use last and
 * tool_result first, budget_tokens within [1024, max_tokens)) over random IR conversations.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { claudeCodec } from "../../../../core/formats/claude/codec.ts";
import type { IrMessage, IrPart, IrRequest, ReasoningLevel } from "../../../../core/formats/ir.ts";
import type { JsonObject } from "../../../../core/formats/wire-format.ts";
import { ProxyError } from "../../../../core/http/proxy-error.ts";
import { mulberry32 } from "../../../helpers/prng.ts";

const vectors = JSON.parse(
  readFileSync(new URL("../../../conformance/claude/request-parse.json", import.meta.url), "utf8"),
) as { name: string; input: JsonObject }[];
const claudeCode = vectors.find((v) => v.name.startsWith("claude code request"))!.input;

describe("claude request parse", () => {
  test("a body without a messages array is a 400 bad_request", () => {
    for (
      const body of [{ model: "m" }, { model: "m", messages: "hi" }, { messages: { role: "user" } }] as JsonObject[]
    ) {
      assert.throws(() => claudeCodec.parseRequest(body), (e: unknown) => {
        assert.ok(e instanceof ProxyError);
        assert.equal(e.status, 400);
        assert.equal(e.kind, "bad_request");
        assert.match(e.message, /messages/);
        return true;
      });
    }
  });

  test("never throws on junk inside a messages array", () => {
    const rand = mulberry32(7);
    const junk: unknown[] = [null, 0, "s", [], {}, true, [null], { type: "text" }, { type: 1 }, -5, { source: null }];
    const pick = () => junk[Math.floor(rand() * junk.length)];
    const blockTypes = ["text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking", "x"];
    for (let i = 0; i < 2000; i++) {
      const block = () => ({
        type: blockTypes[Math.floor(rand() * blockTypes.length)],
        text: pick(),
        source: rand() < 0.5
          ? {
            type: ["base64", "url", "file", "text", "content"][Math.floor(rand() * 5)],
            data: pick(),
            url: pick(),
            file_id: pick(),
            content: pick(),
          }
          : pick(),
        input: pick(),
        content: rand() < 0.5 ? [{ type: "text", text: pick() }, pick()] : pick(),
        id: pick(),
        name: pick(),
        signature: pick(),
        data: pick(),
        cache_control: pick(),
      });
      const body = {
        model: pick(),
        system: rand() < 0.5 ? [block(), pick()] : pick(),
        messages: [pick(), {
          role: ["user", "assistant", "system", "x"][i % 4],
          content: rand() < 0.7 ? [block(), block(), pick()] : pick(),
        }],
        tools: [pick(), { name: pick(), type: pick(), input_schema: pick() }],
        tool_choice: rand() < 0.5 ? { type: ["auto", "any", "tool", "none", 3][i % 5], name: pick() } : pick(),
        thinking: rand() < 0.5 ? { type: ["enabled", "disabled", "adaptive"][i % 3], budget_tokens: pick() } : pick(),
        output_config: rand() < 0.5 ? { effort: pick(), format: pick() } : pick(),
        metadata: rand() < 0.5 ? { user_id: pick() } : pick(),
        max_tokens: pick(),
        stop_sequences: pick(),
      } as JsonObject;
      const ir = claudeCodec.parseRequest(body);
      // What was parsed renders without throwing too.
      claudeCodec.renderRequest(ir, { model: "m", stream: false });
    }
  });

  test("a Claude Code body survives parse → render → parse", () => {
    const ir = claudeCodec.parseRequest(claudeCode);
    const body = claudeCodec.renderRequest(ir, { model: ir.model, stream: ir.stream });
    assert.deepEqual(claudeCodec.parseRequest(body), ir);
    // The billing header is not replayed; cache breakpoints on system and text are.
    assert.deepEqual((body.system as JsonObject[]).map((b) => b.cache_control), [
      { type: "ephemeral" },
      { type: "ephemeral", ttl: "1h" },
    ]);
    assert.deepEqual(body.thinking, { type: "enabled", budget_tokens: 31999 });
    assert.equal(body.temperature, 1);
    assert.deepEqual(body.context_management, claudeCode.context_management);
    assert.deepEqual((body.tools as JsonObject[]).map((t) => t.name), ["Read", "Bash", "web_search"]);
  });
});

describe("claude request render: invariants over random conversations", () => {
  const LEVELS: ReasoningLevel[] = ["none", "auto", "minimal", "low", "medium", "high", "xhigh", "max"];

  function randomIr(rand: () => number): IrRequest {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const parts: IrPart[] = [
      { type: "text", text: "hello" },
      { type: "text", text: "" },
      {
        type: "tool_call",
        id: "call_" + Math.floor(rand() * 5),
        name: "f",
        arguments: pick(['{"a":1}', "", "oops", "[]"]),
      },
      { type: "tool_result", callId: "call_1", content: pick(["ok", "", [{ type: "text", text: "r" }]]) },
      {
        type: "thinking",
        text: "t",
        signature: "sig",
        signatureFormat: pick(["claude", "gemini", "openai-responses"] as const),
      },
      { type: "thinking", text: "unsigned" },
      { type: "image", source: { kind: "base64", mediaType: "image/png", data: "AAAA" } },
    ];
    const messages: IrMessage[] = [];
    const n = Math.floor(rand() * 8);
    for (let i = 0; i < n; i++) {
      const content: IrPart[] = [];
      const k = Math.floor(rand() * 4);
      for (let j = 0; j < k; j++) content.push(pick(parts));
      messages.push({ role: rand() < 0.5 ? "user" : "assistant", content });
    }
    const maxTokens = rand() < 0.3 ? undefined : pick([1, 500, 1024, 1025, 4096, 200000]);
    return {
      model: "m",
      stream: false,
      system: rand() < 0.5 ? [{ type: "text", text: "S" }] : [],
      messages,
      tools: [],
      sampling: maxTokens === undefined ? {} : { maxTokens },
      reasoning: rand() < 0.5 ? { level: pick(LEVELS) } : { budget: pick([-1, 0, 1, 512, 5000, 50000, 200000]) },
      extra: null,
    };
  }

  test("roles alternate, no empty turn or text block, tool_use last / tool_result first, budget in [1024, max_tokens)", () => {
    const rand = mulberry32(42);
    for (let i = 0; i < 3000; i++) {
      const ir = randomIr(rand);
      const body = claudeCodec.renderRequest(ir, { model: "m", stream: false });
      const messages = body.messages as { role: string; content: JsonObject[] }[];
      for (const [k, m] of messages.entries()) {
        if (k > 0) assert.notEqual(m.role, messages[k - 1]!.role, `case ${i}: alternating roles`);
        assert.ok(m.content.length > 0, `case ${i}: empty turn`);
        const types = m.content.map((b) => b.type);
        const isPlaceholder = messages.length === 1 && m.content.length === 1 && m.content[0]!.text === "";
        if (!isPlaceholder) {
          for (const b of m.content) if (b.type === "text") assert.notEqual(b.text, "", `case ${i}: empty text block`);
        }
        const special = m.role === "assistant" ? "tool_use" : "tool_result";
        const first = types.indexOf(special);
        if (first >= 0) {
          const run = m.role === "assistant" ? types.slice(first) : types.slice(0, types.lastIndexOf(special) + 1);
          assert.ok(run.every((t) => t === special), `case ${i}: ${special} placement ${types}`);
        }
        for (const b of m.content) {
          if (b.type === "thinking") assert.equal(b.signature, "sig");
          if (b.type === "tool_use") {
            assert.ok(b.input !== null && typeof b.input === "object" && !Array.isArray(b.input));
          }
        }
      }
      const t = body.thinking as { type: string; budget_tokens?: number } | undefined;
      if (t?.type === "enabled") {
        assert.ok(
          t.budget_tokens! >= 1024 && t.budget_tokens! < (body.max_tokens as number),
          `case ${i}: ${JSON.stringify(t)}`,
        );
      }
    }
  });
});
