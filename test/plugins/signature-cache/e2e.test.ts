/**
 * End to end through a real Switchyard: a Claude client (plain fetch) talks to a `gemini-api-key` entry whose fake
 * Gemini upstream thinks with a `thoughtSignature`. Turn 1 gives the client the thinking; turn 2 sends the assistant
 * turn back with whatever signature the client holds, plus a tool result or a new user message. With the plugin the
 * Gemini upstream receives its own signature on the thought (never the client's claude-labelled copy, never the
 * sentinel); without it, the thought is dropped and only the function call carries the sentinel. Reloads keep the
 * cache. Loopback only.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { type FakeUpstream, type RecordedRequest, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard, type TestSwitchyard } from "../../helpers/switchyard.ts";
import { GEMINI_SENTINEL, type SignatureCacheHooks } from "../../../plugins/signature-cache/mod.ts";

const UPSTREAM_MODEL = "gemini-3-pro-preview";
/** A Gemini-looking signature (base64 of a protobuf), well over the 50-character minimum. */
const SIG = "CpwBAdHtim9" + "QmFzZTY0U2lnbmF0dXJlT2ZUaGVUaG91Z2h0".repeat(3) + "Zg==";
const CALL_SIG = "EuQBAdHtim8" + "Q2FsbFNpZ25hdHVyZQ".repeat(4);

type Json = Record<string, unknown>;
type Block = Json & { type: string };

/** The fake Gemini upstream. Turn 1 (no model turn yet) thinks; the thought text names the case from the user text. */
function geminiHandler(req: RecordedRequest) {
  const contents = (req.json?.contents ?? []) as { role: string; parts: Json[] }[];
  const caseName = String(contents[0]?.parts?.[0]?.text ?? "");
  const wantsTool = caseName.includes("tool");
  const parts: Json[] = contents.some((c) => c.role === "model") ? [{ text: "Done." }] : [
    { text: thoughtFor(caseName), thought: true, thoughtSignature: SIG },
    wantsTool
      ? { functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: CALL_SIG }
      : { text: "Hello there." },
  ];
  const chunk = (p: Json[], finish?: string) => ({
    responseId: "resp-1",
    modelVersion: UPSTREAM_MODEL,
    candidates: [{ content: { role: "model", parts: p }, ...(finish ? { finishReason: finish } : {}) }],
    usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 7, totalTokenCount: 12 },
  });
  if (req.path.endsWith(":streamGenerateContent")) {
    // One part per chunk; the thought split in two deltas to exercise the accumulation.
    const [thought, answer] = parts as [Json, Json | undefined];
    const frames = answer === undefined ? [chunk([thought], "STOP")] : [
      chunk([{ text: String(thought.text).slice(0, 10), thought: true }]),
      chunk([{ ...thought, text: String(thought.text).slice(10) }]),
      chunk([answer], "STOP"),
    ];
    return { kind: "sse" as const, chunks: frames.map((f) => `data: ${JSON.stringify(f)}\r\n\r\n`) };
  }
  return { kind: "json" as const, body: chunk(parts, "STOP") };
}

function thoughtFor(caseName: string): string {
  return `Thinking about ${caseName}: the user wants the weather, so I should look it up first.`;
}

const TOOLS = [{
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
}];

async function messages(sy: TestSwitchyard, body: Json): Promise<Block[]> {
  const res = await fetch(`${sy.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({
      model: "g",
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 2048 },
      tools: TOOLS,
      ...body,
    }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  if (!body.stream) return (await res.json()).content as Block[];
  return assembleClaudeStream(await res.text());
}

/** The content blocks of a Claude SSE answer, as an SDK's finalMessage() builds them. */
function assembleClaudeStream(text: string): Block[] {
  const blocks: Block[] = [];
  const json: string[] = [];
  for (const frame of text.split("\n\n")) {
    const data = frame.split("\n").find((l) => l.startsWith("data: "));
    if (!data) continue;
    const e = JSON.parse(data.slice(6));
    if (e.type === "content_block_start") {
      blocks[e.index] = { ...e.content_block };
      json[e.index] = "";
    } else if (e.type === "content_block_delta") {
      const b = blocks[e.index]!;
      const d = e.delta;
      if (d.type === "thinking_delta") b.thinking = String(b.thinking) + d.thinking;
      else if (d.type === "signature_delta") b.signature = String(b.signature ?? "") + d.signature;
      else if (d.type === "text_delta") b.text = String(b.text) + d.text;
      else if (d.type === "input_json_delta") json[e.index] += d.partial_json;
    } else if (e.type === "content_block_stop" && blocks[e.index]!.type === "tool_use") {
      blocks[e.index]!.input = JSON.parse(json[e.index] || "{}");
    }
  }
  return blocks;
}

/** Turn 1 then turn 2; returns the client's turn-1 content and the model turn the upstream received on turn 2. */
async function conversation(
  sy: TestSwitchyard,
  up: FakeUpstream,
  caseName: string,
  opts: { stream: boolean; clientSignature?: (s: string) => string },
): Promise<{ turn1: Block[]; modelParts: Json[] }> {
  const user = { role: "user", content: caseName };
  const turn1 = await messages(sy, { stream: opts.stream, messages: [user] });
  const thinking = turn1.find((b) => b.type === "thinking");
  assert.ok(thinking, "turn 1 returns the thinking to the client");
  assert.equal(thinking.thinking, thoughtFor(caseName));
  const echoed = turn1.map((b) =>
    b.type === "thinking" && opts.clientSignature ? { ...b, signature: opts.clientSignature(String(b.signature)) } : b
  );
  const toolUse = turn1.find((b) => b.type === "tool_use");
  const next = toolUse
    ? { role: "user", content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "18°C and sunny" }] }
    : { role: "user", content: "Thanks! And tomorrow?" };
  await messages(sy, { stream: opts.stream, messages: [user, { role: "assistant", content: echoed }, next] });
  const sent = up.requests.at(-1)!.json as { contents: { role: string; parts: Json[] }[] };
  const model = sent.contents.find((c) => c.role === "model");
  assert.ok(model, "the assistant turn reaches the upstream");
  return { turn1, modelParts: model.parts };
}

function config(up: FakeUpstream, extra: string): string {
  return `${extra}
gemini-api-key:
  - api-key: "AIza-upstream"
    base-url: "${up.url}"
    models: [{name: ${UPSTREAM_MODEL}, alias: g}]
`;
}

function hooksOf(sy: TestSwitchyard): SignatureCacheHooks | undefined {
  return sy.runtime.snapshot.plugins.find((p) => p.name === "signature-cache")?.hooks as
    | SignatureCacheHooks
    | undefined;
}

describe("signature cache end to end: Claude client → Gemini upstream", () => {
  let up: FakeUpstream;
  let sy: TestSwitchyard;
  before(async () => {
    up = await startFakeUpstream(geminiHandler);
    sy = await startTestSwitchyard(config(up, "antigravity-signature-cache-enabled: true"));
  });
  after(async () => {
    await sy.stop();
    await up.close();
  });

  test("the key enables the built-in", () => {
    assert.ok(hooksOf(sy), "signature-cache is loaded");
    assert.equal(hooksOf(sy)!.signatureCache.enabled, true);
  });

  test("streaming tool loop: turn 2's thought carries the upstream's own signature", async () => {
    const { turn1, modelParts } = await conversation(sy, up, "stream tool", { stream: true });
    assert.equal(turn1.find((b) => b.type === "thinking")!.signature, SIG, "the client got the signature");
    assert.deepEqual(modelParts[0], { text: thoughtFor("stream tool"), thought: true, thoughtSignature: SIG });
    // The Claude client has no place for the call's own signature: Gemini's bypass sentinel stands in.
    assert.equal(modelParts[1]!.thoughtSignature, GEMINI_SENTINEL);
    assert.deepEqual(modelParts[1]!.functionCall, { name: "get_weather", args: { city: "Paris" } });
  });

  test("non-streaming, then a new user message: the signature is restored", async () => {
    const { modelParts } = await conversation(sy, up, "json text", { stream: false });
    assert.deepEqual(modelParts[0], { text: thoughtFor("json text"), thought: true, thoughtSignature: SIG });
    assert.deepEqual(modelParts[1], { text: "Hello there." });
  });

  test("a client that mangles or drops the signature still gets the upstream's own one sent", async () => {
    const mangled = await conversation(sy, up, "mangled tool", { stream: true, clientSignature: (s) => `claude#${s}` });
    assert.equal(mangled.modelParts[0]!.thoughtSignature, SIG);
    const dropped = await conversation(sy, up, "dropped text", { stream: false, clientSignature: () => "" });
    assert.equal(dropped.modelParts[0]!.thoughtSignature, SIG);
  });

  test("the cache holds what the upstream signed, under the gemini group", () => {
    const cache = hooksOf(sy)!.signatureCache.cache;
    assert.equal(cache.get(UPSTREAM_MODEL, thoughtFor("stream tool")), SIG);
    assert.equal(cache.lookup("gemini-2.5-pro", thoughtFor("json text"))?.format, "gemini");
    assert.deepEqual(cache.groups(), ["gemini"]);
  });

  test("a reload keeps the plugin instance and its entries", async () => {
    const before = hooksOf(sy)!.signatureCache.cache;
    const size = before.size;
    await writeFile(
      sy.configPath,
      config(up, "antigravity-signature-cache-enabled: true\nantigravity-signature-bypass-strict: true"),
    );
    assert.equal(await sy.runtime.reload(), "applied");
    const handle = hooksOf(sy)!.signatureCache;
    assert.equal(handle.cache, before, "same cache");
    assert.equal(handle.options["antigravity-signature-bypass-strict"], true, "new options in place");
    assert.equal(handle.cache.size, size);
    // A turn 2 after the reload for a turn 1 before it.
    const user = { role: "user", content: "before reload" };
    await writeFile(sy.configPath, config(up, "antigravity-signature-cache-enabled: true"));
    const turn1 = await messages(sy, { stream: false, messages: [user] });
    assert.equal(await sy.runtime.reload(), "applied");
    await messages(sy, {
      stream: false,
      messages: [user, { role: "assistant", content: turn1 }, { role: "user", content: "go on" }],
    });
    const sent = up.requests.at(-1)!.json as { contents: { role: string; parts: Json[] }[] };
    assert.equal(sent.contents.find((c) => c.role === "model")!.parts[0]!.thoughtSignature, SIG);
  });
});

describe("signature cache end to end: disabled", () => {
  let up: FakeUpstream;
  before(async () => {
    up = await startFakeUpstream(geminiHandler);
  });
  after(async () => {
    await up.close();
  });

  test("antigravity-signature-cache-enabled: false → the thought is dropped, the call gets the sentinel", async () => {
    const sy = await startTestSwitchyard(config(up, "antigravity-signature-cache-enabled: false"));
    try {
      // On by default as a plugin, but switched off by its key: a no-op.
      assert.equal(hooksOf(sy)?.signatureCache.enabled, false, "loaded but switched off");
      for (const stream of [true, false]) {
        const { modelParts } = await conversation(sy, up, `off tool ${stream}`, { stream });
        assert.equal(modelParts.some((p) => p.thought === true), false, "no foreign or restored thinking");
        assert.equal(modelParts[0]!.thoughtSignature, GEMINI_SENTINEL);
        assert.ok(modelParts.every((p) => p.thoughtSignature !== SIG));
      }
    } finally {
      await sy.stop();
    }
  });

  test("listed in plugins: but switched off it is a no-op; switched back on, the entries survived", async () => {
    const on = "plugins: [gemini, signature-cache]\nantigravity-signature-cache-enabled: true";
    const off = "plugins: [gemini, signature-cache]\nantigravity-signature-cache-enabled: false";
    const sy = await startTestSwitchyard(config(up, on));
    try {
      const cache = hooksOf(sy)!.signatureCache.cache;
      const user = { role: "user", content: "toggle text" };
      const turn1 = await messages(sy, { stream: true, messages: [user] });
      const turn2 = {
        stream: true,
        messages: [user, { role: "assistant", content: turn1 }, { role: "user", content: "more" }],
      };
      const modelParts = () =>
        (up.requests.at(-1)!.json as { contents: { role: string; parts: Json[] }[] }).contents.find((c) =>
          c.role === "model"
        )!.parts;

      await writeFile(sy.configPath, config(up, off));
      assert.equal(await sy.runtime.reload(), "applied");
      assert.equal(hooksOf(sy)!.signatureCache.enabled, false);
      await messages(sy, turn2);
      assert.equal(modelParts().some((p) => p.thought === true), false, "off: nothing restored");
      assert.equal(cache.size, 1, "off: nothing stored, nothing lost");

      await writeFile(sy.configPath, config(up, on));
      assert.equal(await sy.runtime.reload(), "applied");
      assert.equal(hooksOf(sy)!.signatureCache.cache, cache);
      await messages(sy, turn2);
      assert.equal(modelParts()[0]!.thoughtSignature, SIG, "on again: restored from the entry stored before");
    } finally {
      await sy.stop();
    }
  });
});
