/**
 * Translation bugs found by the end-to-end matrix (translation-matrix.test.ts), each pinned by the smallest request
 * that shows it, through the official SDKs and the realistic fakes (which refuse what the real APIs refuse).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { THINKING_TEXT, TOOL_OUTPUT, toolAnswer } from "../helpers/fake-providers.ts";
import { chatDriver, claudeDriver, type ClientDriver } from "./translation-clients.ts";
import { startRig, type TranslationRig, via } from "./translation-setup.ts";

type Json = Record<string, unknown>;

describe("translation regressions", () => {
  let rig: TranslationRig;
  let chat: ClientDriver;
  let claude: ClientDriver;

  before(async () => {
    rig = await startRig();
    chat = chatDriver(rig.sy.url);
    claude = claudeDriver(rig.sy.url);
  });
  after(async () => {
    await rig.stop();
  });

  test("Chat client with reasoning_effort and tools → Claude: the tool-result turn drops thinking instead of a 400", async () => {
    // Claude with thinking on refuses a tool loop whose assistant turn does not open with a signed thinking block;
    // a Chat client has no signature to send back.
    for (const stream of [false, true]) {
      const first = await chat.send(via("claude"), stream, { text: "Weather?", tools: true, thinking: true });
      assert.equal(first.thinking, THINKING_TEXT);
      assert.equal(rig.up.claude.last().json?.thinking !== undefined, true, "the first turn thinks");
      const second = await chat.send(via("claude"), stream, {
        text: "Weather?",
        tools: true,
        thinking: true,
        after: { turn: first, toolOutput: TOOL_OUTPUT },
      });
      assert.equal(second.text, toolAnswer(TOOL_OUTPUT));
      const sent = rig.up.claude.last();
      assert.deepEqual(rig.up.claude.problems(sent), []);
      assert.equal(sent.json?.thinking, undefined, "thinking gives way for the tool-result turn");
    }
  });

  test("Chat history with whitespace-only assistant content beside tool calls → Claude: no whitespace text block", async () => {
    // OpenAI-compatible models often answer "\n\n" before their tool calls; clients replay it as the content.
    for (const stream of [false, true]) {
      const first = await chat.send(via("claude"), stream, { text: "Weather?", tools: true });
      const message = first.replay as Json;
      const second = await chat.send(via("claude"), stream, {
        text: "Weather?",
        tools: true,
        after: { turn: { ...first, replay: { ...message, content: "\n\n" } }, toolOutput: TOOL_OUTPUT },
      });
      assert.equal(second.text, toolAnswer(TOOL_OUTPUT));
      assert.deepEqual(rig.up.claude.problems(rig.up.claude.last()), []);
    }
  });

  test("Claude client with thinking → Codex: a reasoning summary is asked for, so the thinking text arrives", async () => {
    for (const stream of [false, true]) {
      const turn = await claude.send(via("codex"), stream, { text: "Bonjour", thinking: true });
      assert.equal(turn.thinking, THINKING_TEXT);
      assert.equal(turn.signatures.length, 1, "Codex's encrypted reasoning is the thinking block's signature");
      assert.equal((rig.up.codex.last().json?.reasoning as Json).summary, "auto");
    }
    const viaChat = await chat.send(via("codex"), false, { text: "Bonjour", thinking: true });
    assert.equal(viaChat.thinking, THINKING_TEXT, "reasoning_content for a Chat client");
  });
});
