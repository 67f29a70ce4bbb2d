/**
 * The request side, on IR parsed and rendered by the real codecs: thinking with a foreign or missing signature gets the
 * cached one when the entry came from an upstream of the target's format; otherwise the IR is left alone, so the
 * renderer drops what the upstream would reject.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CODECS } from "../../../core/formats/codecs.ts";
import type { IrRequest, IrThinkingPart } from "../../../core/formats/ir.ts";
import type { JsonObject } from "../../../core/formats/wire-format.ts";
import {
  GEMINI_SENTINEL,
  restoreSignatures,
  SignatureCache,
  signsThinking,
} from "../../../plugins/signature-cache/mod.ts";
import { sig } from "./helpers.ts";

const GEMINI_SIG = sig(80, "gemini-own");
const THOUGHT = "The user asks for the weather in Paris. I should call get_weather.";

/** A Claude client's turn 2: its copy of the signature is labelled claude by the Claude codec. */
function claudeTurn2(signature: string): IrRequest {
  return CODECS.claude!.parseRequest({
    model: "g",
    max_tokens: 1024,
    messages: [
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: THOUGHT, signature },
          { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "18°C" }] },
    ],
  });
}

function thinkingOf(ir: IrRequest): IrThinkingPart {
  const p = ir.messages[1]!.content[0]!;
  assert.equal(p.type, "thinking");
  return p as IrThinkingPart;
}

function renderGemini(ir: IrRequest): JsonObject[] {
  const body = CODECS.gemini!.renderRequest(ir, { model: "gemini-3-pro-preview", stream: false });
  return (body.contents as JsonObject[])[1]!.parts as JsonObject[];
}

function cacheWith(format: "gemini" | "claude" | undefined, model = "gemini-3-pro-preview"): SignatureCache {
  const cache = new SignatureCache({ timers: { setInterval: () => 0, clearInterval: () => {} } });
  cache.set(model, THOUGHT, GEMINI_SIG, format);
  return cache;
}

describe("restoreSignatures", () => {
  test("a claude-labelled copy of a Gemini signature is replaced by the cached one, labelled gemini", () => {
    const ir = claudeTurn2(GEMINI_SIG);
    assert.equal(thinkingOf(ir).signatureFormat, "claude");
    const out = restoreSignatures(ir, cacheWith("gemini"), "gemini-3-pro-preview", "gemini")!;
    assert.ok(out);
    assert.equal(thinkingOf(out).signature, GEMINI_SIG);
    assert.equal(thinkingOf(out).signatureFormat, "gemini");
    const parts = renderGemini(out);
    assert.deepEqual(parts[0], { text: THOUGHT, thought: true, thoughtSignature: GEMINI_SIG });
    assert.equal(thinkingOf(ir).signatureFormat, "claude", "the input IR is not mutated");
  });

  test("a mangled or missing client signature is restored too", () => {
    for (const clientSig of ["claude#something-the-client-made-up", ""]) {
      const out = restoreSignatures(claudeTurn2(clientSig), cacheWith("gemini"), "gemini-2.5-pro", "gemini");
      assert.equal(out && thinkingOf(out).signature, GEMINI_SIG, JSON.stringify(clientSig));
    }
  });

  test("a miss leaves the IR as it is: Gemini drops the foreign thinking and the call gets the sentinel", () => {
    const ir = claudeTurn2(GEMINI_SIG);
    const empty = new SignatureCache({ timers: { setInterval: () => 0, clearInterval: () => {} } });
    assert.equal(restoreSignatures(ir, empty, "gemini-3-pro-preview", "gemini"), undefined);
    const parts = renderGemini(ir);
    assert.equal(parts.some((p) => p.thought === true), false, "no foreign thinking sent");
    assert.equal(parts[0]!.thoughtSignature, GEMINI_SENTINEL);
  });

  test("another group's entry is a miss (the target model's group decides)", () => {
    const ir = claudeTurn2(GEMINI_SIG);
    assert.equal(
      restoreSignatures(ir, cacheWith("gemini", "gemini-3-pro-preview"), "claude-sonnet-4", "gemini"),
      undefined,
    );
  });

  test("an entry produced through another format is not sent: the signature is never foreign to the target", () => {
    const ir = claudeTurn2("x");
    assert.equal(restoreSignatures(ir, cacheWith("claude"), "gemini-3-pro-preview", "gemini"), undefined);
    assert.equal(restoreSignatures(ir, cacheWith(undefined), "gemini-3-pro-preview", "gemini"), undefined);
  });

  test("a signature of the target's own format is replayed as it is", () => {
    const ir = CODECS.gemini!.parseRequest({
      contents: [
        { role: "user", parts: [{ text: "hi" }] },
        {
          role: "model",
          parts: [{ text: THOUGHT, thought: true, thoughtSignature: sig(70, "fresh") }, { text: "Hello" }],
        },
        { role: "user", parts: [{ text: "more" }] },
      ],
    });
    assert.equal(restoreSignatures(ir, cacheWith("gemini"), "gemini-3-pro-preview", "gemini"), undefined);
  });

  test("targets without signatures (OpenAI chat) are left alone", () => {
    const ir = claudeTurn2(GEMINI_SIG);
    assert.equal(restoreSignatures(ir, cacheWith("gemini"), "gemini-3-pro-preview", "openai-chat"), undefined);
    assert.equal(signsThinking("openai-chat"), false);
    assert.equal(signsThinking("openai-completions"), false);
    for (const f of ["claude", "gemini", "openai-responses"] as const) assert.equal(signsThinking(f), true);
  });

  test("redacted thinking and user turns are never touched", () => {
    const ir: IrRequest = {
      model: "g",
      stream: false,
      system: [],
      messages: [
        {
          role: "assistant",
          content: [{
            type: "thinking",
            text: "",
            signature: "d".repeat(60),
            signatureFormat: "claude",
            redacted: true,
          }],
        },
        { role: "user", content: [{ type: "text", text: THOUGHT }] },
      ],
      tools: [],
      sampling: {},
      extra: null,
    };
    assert.equal(restoreSignatures(ir, cacheWith("gemini"), "gemini-3-pro-preview", "gemini"), undefined);
  });
});
