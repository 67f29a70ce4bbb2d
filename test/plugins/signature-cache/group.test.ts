/** Model groups (modules.md §2, test vector 10). */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { modelGroup } from "../../../plugins/signature-cache/mod.ts";

describe("modelGroup", () => {
  test("vector 10: claude-gpt-x → gpt (gpt is checked first); kimi-k2 → its raw name", () => {
    assert.equal(modelGroup("claude-gpt-x"), "gpt");
    assert.equal(modelGroup("kimi-k2"), "kimi-k2");
  });

  test("gpt, then claude, then gemini, else the raw name", () => {
    assert.equal(modelGroup("gpt-5-codex"), "gpt");
    assert.equal(modelGroup("claude-sonnet-4-5-thinking"), "claude");
    assert.equal(modelGroup("gemini-3-pro-preview"), "gemini");
    assert.equal(modelGroup("gemini-claude-hybrid"), "claude", "claude before gemini");
    assert.equal(modelGroup("gemini-gpt"), "gpt");
    assert.equal(modelGroup("deepseek-r1"), "deepseek-r1");
    assert.equal(modelGroup(""), "");
  });

  test("matching is case-sensitive, as CLIProxyAPI's strings.Contains", () => {
    assert.equal(modelGroup("GPT-4o"), "GPT-4o");
  });
});
