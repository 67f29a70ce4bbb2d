/**
 * The Gemini stream renderer on random IR event sequences (any source's shape: with or without blocks, parallel
 * calls, usage after the stop reason, errors, no finish) must always give a well-formed stream; and no parser throws
 * on junk.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { geminiCodec } from "../../../../core/formats/gemini/codec.ts";
import type { IrStopReason, IrStreamEvent } from "../../../../core/formats/ir.ts";
import type { JsonObject, JsonValue } from "../../../../core/formats/wire-format.ts";
import { ProxyError } from "../../../../core/http/proxy-error.ts";
import { mulberry32 } from "../../../helpers/prng.ts";

const STOPS: readonly IrStopReason[] = [
  "end_turn",
  "max_tokens",
  "tool_use",
  "stop_sequence",
  "content_filter",
  "refusal",
];
const TEXTS = ["a", "Grüß ", "👋🏽", '"q"', "line\nbreak", "\\", "</script>", "\u2028", "中文", " "];

interface Expected {
  text: string;
  thoughts: string;
  calls: { id: string; name: string; args: JsonObject }[];
  images: number;
  outcome: "end" | "error" | "open";
}

/** A random but valid IR event sequence, and what a client should find in its rendering. */
function randomSequence(rand: () => number): { events: IrStreamEvent[]; expected: Expected } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const events: IrStreamEvent[] = [];
  const expected: Expected = { text: "", thoughts: "", calls: [], images: 0, outcome: "open" };
  if (rand() < 0.8) events.push({ type: "start", id: `id-${Math.floor(rand() * 1e6)}`, model: "up-model", created: 0 });
  let index = 0;
  const blocks = Math.floor(rand() * 6);
  for (let b = 0; b < blocks; b++) {
    const kind = pick(["text", "thinking", "tool_call", "tool_call", "image"] as const);
    const i = index++;
    if (kind === "tool_call") {
      const args: JsonObject = { n: Math.floor(rand() * 100), s: pick(TEXTS), nested: { list: [1, pick(TEXTS)] } };
      const json = JSON.stringify(args);
      const id = `call_${i}`;
      const name = pick(["get_weather", "Bash", "mcp.fs:read"]);
      expected.calls.push({ id, name, args });
      events.push({ type: "block_start", index: i, block: { type: "tool_call", id, name } });
      if (rand() < 0.3) events.push({ type: "signature_delta", index: i, signature: "CiQBsig" });
      // Argument text in random fragments, sometimes interleaved with a text block.
      let at = 0;
      while (at < json.length) {
        const len = 1 + Math.floor(rand() * 8);
        events.push({ type: "tool_args_delta", index: i, partialJson: json.slice(at, at + len) });
        at += len;
      }
      if (rand() < 0.9) events.push({ type: "block_stop", index: i });
      continue;
    }
    if (kind === "image") {
      expected.images++;
      events.push({ type: "block_start", index: i, block: { type: "image", mediaType: "image/png", data: "AAAA" } });
      events.push({ type: "block_stop", index: i });
      continue;
    }
    const withBlocks = rand() < 0.7; // Gemini-style sources send deltas without block events
    if (withBlocks) events.push({ type: "block_start", index: i, block: { type: kind } });
    const deltas = Math.floor(rand() * 4);
    for (let d = 0; d < deltas; d++) {
      const t = rand() < 0.1 ? "" : pick(TEXTS);
      if (kind === "text") {
        expected.text += t;
        events.push({ type: "text_delta", index: i, text: t });
      } else {
        expected.thoughts += t;
        events.push({ type: "thinking_delta", index: i, text: t });
      }
    }
    if (kind === "thinking" && rand() < 0.5) {
      events.push({ type: "signature_delta", index: i, signature: "EqQBforeign" });
    }
    if (withBlocks) events.push({ type: "block_stop", index: i });
  }
  const finishes = Math.floor(rand() * 3);
  for (let f = 0; f < finishes; f++) {
    events.push(
      rand() < 0.5 ? { type: "finish", stopReason: pick(STOPS), nativeStopReason: "x" } : {
        type: "finish",
        usage: { input: Math.floor(rand() * 100), output: Math.floor(rand() * 100), reasoning: 1 },
      },
    );
  }
  const r = rand();
  if (r < 0.75) {
    events.push({ type: "end" });
    expected.outcome = "end";
  } else if (r < 0.95) {
    events.push({ type: "error", status: pick([0, 400, 429, 500, 529]), message: pick(TEXTS) });
    expected.outcome = "error";
    if (rand() < 0.5) events.push({ type: "end" });
  }
  // Events after the end must change nothing.
  if (expected.outcome !== "open" && rand() < 0.3) events.push({ type: "text_delta", index: 99, text: "late" });
  return { events, expected };
}

interface Collected {
  text: string;
  thoughts: string;
  calls: { id: string; name: string; args: JsonValue }[];
  images: number;
  finishes: number;
}

function collect(chunks: readonly JsonObject[]): Collected {
  const c: Collected = { text: "", thoughts: "", calls: [], images: 0, finishes: 0 };
  for (const chunk of chunks) {
    const cands = chunk.candidates as JsonObject[];
    assert.equal(cands.length, 1);
    const cand = cands[0]!;
    assert.equal(cand.index, 0);
    const content = cand.content as JsonObject;
    assert.equal(content.role, "model");
    if (cand.finishReason !== undefined) c.finishes++;
    for (const p of content.parts as JsonObject[]) {
      if (typeof p.text === "string") {
        assert.ok(p.text !== "", "no empty text parts");
        if (p.thought === true) c.thoughts += p.text;
        else c.text += p.text;
        assert.equal(p.thoughtSignature, undefined, "a thinking signature of unknown origin is never sent");
      } else if (p.functionCall) {
        const fc = p.functionCall as JsonObject;
        c.calls.push({ id: fc.id as string, name: fc.name as string, args: fc.args! });
      } else if (p.inlineData) c.images++;
      else assert.fail(`unexpected part ${JSON.stringify(p)}`);
    }
  }
  return c;
}

function checkContent(got: Collected, expected: Expected): void {
  assert.equal(got.text, expected.text);
  assert.equal(got.thoughts, expected.thoughts);
  assert.equal(got.images, expected.images);
  // Calls whose block never stopped are flushed at the end only.
  const calls = expected.outcome === "end"
    ? expected.calls
    : expected.calls.filter((c) => got.calls.some((g) => g.id === c.id));
  assert.deepEqual(
    [...got.calls].sort((a, b) => a.id.localeCompare(b.id)),
    [...calls].sort((a, b) => a.id.localeCompare(b.id)),
  );
}

describe("gemini stream renderer on random IR sequences", () => {
  test("SSE: data frames of valid chunks, one final chunk on end, the error frame last", () => {
    const rand = mulberry32(0x6e41);
    for (let run = 0; run < 400; run++) {
      const { events, expected } = randomSequence(rand);
      const r = geminiCodec.createStreamRenderer({ model: "client-model", stream: true });
      const text = events.map((e) => r.push(e)).join("");
      assert.ok(text === "" || text.endsWith("\n\n"), "frames are complete");
      const frames = text === "" ? [] : text.slice(0, -2).split("\n\n");
      const chunks: JsonObject[] = [];
      frames.forEach((f, i) => {
        if (f.startsWith('data: {"error":')) {
          assert.equal(i, frames.length - 1, "nothing after the error frame");
          const body = JSON.parse(f.slice("data: ".length));
          assert.equal(typeof body.error.message, "string");
          assert.equal(typeof body.error.code, "number");
          assert.equal(typeof body.error.status, "string");
          return;
        }
        assert.ok(f.startsWith("data: ") && !f.includes("\n"), `one data line: ${f}`);
        const chunk = JSON.parse(f.slice("data: ".length));
        assert.equal(chunk.modelVersion, "client-model");
        chunks.push(chunk);
      });
      const got = collect(chunks);
      checkContent(got, expected);
      assert.equal(got.finishes, expected.outcome === "end" ? 1 : 0);
      if (expected.outcome === "end") {
        const last = chunks.at(-1)!;
        assert.ok((last.candidates as JsonObject[])[0]!.finishReason, "the finish reason is on the last chunk");
      }
      assert.equal(frames.some((f) => f.startsWith('data: {"error":')), expected.outcome === "error");
      assert.ok(!text.includes("[DONE]"));
    }
  });

  test("JSON stream (alt=json): a complete run is one JSON array", () => {
    const rand = mulberry32(0xa1);
    for (let run = 0; run < 400; run++) {
      const { events, expected } = randomSequence(rand);
      const r = geminiCodec.createStreamRenderer({ model: "m", stream: true, query: new URLSearchParams("alt=json") });
      const text = events.map((e) => r.push(e)).join("");
      if (expected.outcome === "open") {
        assert.ok(text === "" || text.startsWith("["));
        continue;
      }
      const array = JSON.parse(text) as JsonObject[];
      assert.ok(Array.isArray(array));
      const errors = array.filter((c) => c.error !== undefined);
      assert.equal(errors.length, expected.outcome === "error" ? 1 : 0);
      if (errors.length) assert.ok(array.at(-1)!.error !== undefined, "the error is the last element");
      const got = collect(array.filter((c) => c.error === undefined));
      checkContent(got, expected);
    }
  });

  test("what the renderer writes parses back to the same text through the stream parser", () => {
    const rand = mulberry32(0x5eed);
    for (let run = 0; run < 200; run++) {
      const { events, expected } = randomSequence(rand);
      if (expected.outcome !== "end") continue;
      const r = geminiCodec.createStreamRenderer({ model: "m", stream: true });
      const sse = events.map((e) => r.push(e)).join("");
      const parser = geminiCodec.createStreamParser({ model: "m", stream: true });
      const out: IrStreamEvent[] = [];
      for (const frame of sse.split("\n\n")) {
        if (frame !== "") {
          parser.push(undefined, frame.slice(6), (e) => out.push(e));
        }
      }
      parser.end((e) => out.push(e));
      const text = out.map((e) => (e.type === "text_delta" ? e.text : "")).join("");
      assert.equal(text, expected.text);
      assert.equal(out.at(-1)?.type, "end");
      assert.equal(
        out.filter((e) => e.type === "block_start" && e.block.type === "tool_call").length,
        expected.calls.length,
      );
    }
  });
});

/** Random JSON, biased towards the shapes the parsers look at. */
function junk(rand: () => number, depth = 0): JsonValue {
  const keys = [
    "contents",
    "parts",
    "role",
    "text",
    "thought",
    "thoughtSignature",
    "functionCall",
    "functionResponse",
    "name",
    "args",
    "response",
    "inlineData",
    "fileData",
    "mimeType",
    "data",
    "fileUri",
    "candidates",
    "content",
    "finishReason",
    "usageMetadata",
    "promptTokenCount",
    "error",
    "code",
    "tools",
    "functionDeclarations",
    "parameters",
    "generationConfig",
    "thinkingConfig",
    "thinkingBudget",
    "thinkingLevel",
    "toolConfig",
    "functionCallingConfig",
    "mode",
    "allowedFunctionNames",
    "systemInstruction",
    "index",
    "model",
    "user",
  ];
  const r = rand();
  if (depth > 4 || r < 0.25) {
    return [null, true, 0, -1, 1.5, "", "x", "OBJECT", "ANY", "model", "user"][Math.floor(rand() * 11)]!;
  }
  if (r < 0.5) return Array.from({ length: Math.floor(rand() * 4) }, () => junk(rand, depth + 1));
  const o: JsonObject = {};
  for (let i = Math.floor(rand() * 5); i > 0; i--) o[keys[Math.floor(rand() * keys.length)]!] = junk(rand, depth + 1);
  return o;
}

describe("gemini parsers on junk", () => {
  test("parseRequest() returns an IR or a 400, never anything else", () => {
    const rand = mulberry32(0xbad);
    for (let i = 0; i < 2000; i++) {
      const body = junk(rand);
      const input: JsonObject = body !== null && typeof body === "object" && !Array.isArray(body)
        ? body
        : { contents: body };
      try {
        const ir = geminiCodec.parseRequest(input);
        geminiCodec.renderRequest(ir, { model: "m", stream: false });
      } catch (e) {
        assert.ok(e instanceof ProxyError && e.status === 400, `unexpected ${e}`);
      }
    }
  });

  test("parseResponse() and the stream parser never throw", () => {
    const rand = mulberry32(0xf00d);
    for (let i = 0; i < 2000; i++) {
      const body = junk(rand);
      const input: JsonObject = body !== null && typeof body === "object" && !Array.isArray(body)
        ? body
        : { candidates: body };
      const ir = geminiCodec.parseResponse(input);
      geminiCodec.renderResponse(ir, { model: "m", stream: false });
      const parser = geminiCodec.createStreamParser({ model: "m", stream: true });
      const sink = (_e: IrStreamEvent) => {};
      parser.push(undefined, JSON.stringify(body), sink);
      parser.push("message", "{not json", sink);
      parser.push(undefined, JSON.stringify({ candidates: [input] }), sink);
      parser.end(sink);
    }
  });
});
