/**
 * The answer side, on IR events and responses made by the real parsers: each signed thinking block is stored under the
 * upstream model's group and its full text, labelled with the upstream's format; the events pass through untouched.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CODECS } from "../../../core/formats/codecs.ts";
import type { IrStreamEvent } from "../../../core/formats/ir.ts";
import type { JsonObject } from "../../../core/formats/wire-format.ts";
import { recordResponse, SignatureCache, StreamSignatureRecorder } from "../../../plugins/signature-cache/mod.ts";
import { sig } from "./helpers.ts";

const SIG = sig(90, "gsig");
const CALL_SIG = sig(70, "callsig");

function newCache(): SignatureCache {
  return new SignatureCache({ timers: { setInterval: () => 0, clearInterval: () => {} } });
}

/** Runs Gemini SSE chunks through the Gemini stream parser and the recorder; returns what the mapper returned. */
function geminiStream(cache: SignatureCache, chunks: JsonObject[]): unknown[] {
  const parser = CODECS.gemini!.createStreamParser({ model: "m", stream: true });
  const recorder = new StreamSignatureRecorder(cache, "gemini-3-pro-preview", "gemini");
  const returned: unknown[] = [];
  const emit = (e: IrStreamEvent) => returned.push(recorder.observe(e));
  for (const c of chunks) parser.push(undefined, JSON.stringify(c), emit);
  parser.end(emit);
  return returned;
}

const chunk = (parts: JsonObject[], finishReason?: string): JsonObject => ({
  responseId: "r1",
  modelVersion: "gemini-3-pro-preview",
  candidates: [{ content: { role: "model", parts }, ...(finishReason ? { finishReason } : {}) }],
});

describe("StreamSignatureRecorder", () => {
  test("thought deltas accumulate; the signature is stored under the whole text when the block stops", () => {
    const cache = newCache();
    const returned = geminiStream(cache, [
      chunk([{ text: "Let me think ", thought: true }]),
      chunk([{ text: "about Paris.", thought: true, thoughtSignature: SIG }]),
      chunk([{ text: "It is sunny." }], "STOP"),
    ]);
    assert.ok(returned.every((r) => r === undefined), "observes only: every event kept as it is");
    const hit = cache.lookup("gemini-2.5-flash", "Let me think about Paris.");
    assert.equal(hit?.signature, SIG);
    assert.equal(hit?.format, "gemini");
    assert.equal(cache.size, 1);
  });

  test("Gemini's signature on the first answer part after the thoughts belongs to them", () => {
    const cache = newCache();
    geminiStream(cache, [
      chunk([{ text: "Thinking.", thought: true }]),
      chunk([{ text: "Answer", thoughtSignature: SIG }], "STOP"),
    ]);
    assert.equal(cache.get("gemini-x", "Thinking."), SIG);
  });

  test("a function call's own signature is not stored (no thinking text to key it)", () => {
    const cache = newCache();
    geminiStream(cache, [
      chunk([{ text: "Call the tool.", thought: true }]),
      chunk([{ functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: CALL_SIG }], "STOP"),
    ]);
    assert.equal(cache.size, 0);
  });

  test("several thinking blocks are stored separately; short signatures are not", () => {
    const cache = newCache();
    geminiStream(cache, [
      chunk([{ text: "First.", thought: true, thoughtSignature: SIG }]),
      chunk([{ text: "Second.", thought: true, thoughtSignature: sig(60, "second") }]),
      chunk([{ text: "Third.", thought: true, thoughtSignature: "short" }]),
      chunk([{ text: "done" }], "STOP"),
    ]);
    assert.equal(cache.get("gemini-x", "First."), SIG);
    assert.equal(cache.get("gemini-x", "Second."), sig(60, "second"));
    assert.equal(cache.lookup("gemini-x", "Third."), undefined);
  });

  test("Claude-style events: signature deltas after the text; a block left open is stored at end", () => {
    const cache = newCache();
    const r = new StreamSignatureRecorder(cache, "claude-sonnet-4-5", "claude");
    const events: IrStreamEvent[] = [
      { type: "start", id: "m", model: "claude-sonnet-4-5", created: 0 },
      { type: "block_start", index: 0, block: { type: "thinking" } },
      { type: "thinking_delta", index: 0, text: "Step one. " },
      { type: "thinking_delta", index: 0, text: "Step two." },
      { type: "signature_delta", index: 0, signature: SIG.slice(0, 40) },
      { type: "signature_delta", index: 0, signature: SIG.slice(40) },
      { type: "block_stop", index: 0 },
      // A lenient source: no block_start, no block_stop.
      { type: "thinking_delta", index: 1, text: "Implicit." },
      { type: "signature_delta", index: 1, signature: sig(55, "implicit") },
      { type: "block_start", index: 2, block: { type: "text" } },
      { type: "text_delta", index: 2, text: "hello" },
      { type: "signature_delta", index: 2, signature: sig(55, "not-thinking") },
      { type: "block_stop", index: 2 },
      { type: "end" },
    ];
    for (const e of events) assert.equal(r.observe(e), undefined);
    assert.equal(cache.get("claude-opus-4", "Step one. Step two."), SIG);
    assert.equal(cache.lookup("claude-opus-4", "Step one. Step two.")?.format, "claude");
    assert.equal(cache.get("claude-opus-4", "Implicit."), sig(55, "implicit"));
    assert.equal(cache.size, 2, "nothing stored for the text block");
  });

  test("thinking without a signature is not stored", () => {
    const cache = newCache();
    geminiStream(cache, [chunk([{ text: "Unsigned.", thought: true }]), chunk([{ text: "x" }], "STOP")]);
    assert.equal(cache.size, 0);
  });
});

describe("recordResponse", () => {
  test("stores the signed thinking of a single JSON answer, labelled with its format", () => {
    const cache = newCache();
    const ir = CODECS.gemini!.parseResponse(
      chunk([{ text: "Thought A.", thought: true, thoughtSignature: SIG }, { text: "Answer." }], "STOP"),
    );
    recordResponse(ir, cache, "gemini-3-pro-preview", "gemini");
    assert.equal(cache.get("gemini-2.5-pro", "Thought A."), SIG);
    assert.equal(cache.lookup("gemini-2.5-pro", "Thought A.")?.format, "gemini");
  });

  test("an unlabelled signature takes the upstream's format; redacted and unsigned thinking are skipped", () => {
    const cache = newCache();
    recordResponse(
      {
        id: "r",
        model: "gpt-5",
        created: 0,
        content: [
          { type: "thinking", text: "Reasoned.", signature: SIG },
          { type: "thinking", text: "", signature: sig(60), redacted: true },
          { type: "thinking", text: "No signature." },
        ],
        stopReason: "end_turn",
      },
      cache,
      "gpt-5-codex",
      "openai-responses",
    );
    assert.equal(cache.lookup("gpt-5", "Reasoned.")?.format, "openai-responses");
    assert.equal(cache.size, 1);
  });
});
