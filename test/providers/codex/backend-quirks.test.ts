import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { applyCodexBackendQuirks } from "../../../providers/codex/backend-quirks.ts";
import { codexBody } from "../../../providers/codex/adapter.ts";

describe("Codex backend quirks", () => {
  test("applyCodexBackendQuirks: streamed, unstored, encrypted reasoning included, rejected fields dropped, system → developer", () => {
    const body = applyCodexBackendQuirks({
      model: "gpt-5-codex",
      input: [{ type: "message", role: "system", content: "S" }, { type: "message", role: "user", content: "U" }],
      max_output_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      truncation: "auto",
      user: "u",
      service_tier: "flex",
      context_management: {},
      stream: false,
      store: true,
      include: ["file_search_call.results"],
      reasoning: { effort: "low" },
    });
    assert.deepEqual(body, {
      model: "gpt-5-codex",
      input: [{ type: "message", role: "developer", content: "S" }, { type: "message", role: "user", content: "U" }],
      instructions: "",
      stream: true,
      store: false,
      parallel_tool_calls: true,
      include: ["reasoning.encrypted_content"],
      reasoning: { effort: "low" },
    });
    const str = applyCodexBackendQuirks({ model: "m", input: "hi", instructions: "keep", service_tier: "priority" });
    assert.deepEqual(str.input, [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }]);
    assert.equal(str.instructions, "keep");
    assert.equal(str.service_tier, "priority");
  });

  test("codexBody() defaults reasoning.effort to medium (behaviour.md vector 15) and keeps a client's effort", () => {
    assert.deepEqual(codexBody({ model: "gpt-5", input: "x" }).reasoning, { effort: "medium" });
    assert.deepEqual(codexBody({ model: "gpt-5", input: "x", reasoning: { effort: "high" } }).reasoning, { effort: "high" });
  });
});
