/**
 * Chat stream renderer and parser beyond the vectors: random IR event sequences always render a well-formed stream
 * that carries exactly the IR's content; rendered streams parse back to the same answer; the official SDK accumulates
 * them; error frames end the stream; junk never throws.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { openAIChatCodec, openAICompletionsCodec } from "../../../../core/formats/openai-chat/codec.ts";
import type { IrStopReason, IrStreamEvent, IrUsage, StreamParser } from "../../../../core/formats/ir.ts";
import { SseParser } from "../../../../core/stream/sse-parser.ts";
import { mulberry32 } from "../../../helpers/prng.ts";

type Rand = () => number;
const ctx = { model: "client", stream: true };

// ---------------------------------------------------------------------------------------------------------------
// Random IR sequences

const TEXTS = ["Hello", " wörld", " 🚀", "", '"quoted"', "line\nbreak", "\u0000nul", "</script>", "Привет"];
const STOPS: IrStopReason[] = [
  "end_turn",
  "max_tokens",
  "tool_use",
  "stop_sequence",
  "content_filter",
  "refusal",
  "pause_turn",
];

function pick<T>(rand: Rand, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function randomUsage(rand: Rand): IrUsage {
  const u: { input: number; output: number; cacheRead?: number; cacheCreation?: number; reasoning?: number } = {
    input: Math.floor(rand() * 1000),
    output: Math.floor(rand() * 500),
  };
  if (rand() < 0.4) u.cacheRead = 1 + Math.floor(rand() * 100);
  if (rand() < 0.2) u.cacheCreation = 1 + Math.floor(rand() * 10);
  if (rand() < 0.3) u.reasoning = 1 + Math.floor(rand() * 50);
  return u;
}

/** Splits the JSON text of an object into 1–4 fragments. */
function fragments(rand: Rand, json: string): string[] {
  const out: string[] = [];
  let rest = json;
  while (rest.length > 0 && out.length < 3 && rand() < 0.7) {
    const cut = Math.floor(rand() * rest.length);
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out;
}

interface Generated {
  events: IrStreamEvent[];
  errored: boolean;
  ended: boolean;
}

/** A valid IR sequence: blocks with deltas (some never stopped), finish/usage in any order, maybe an error, maybe end. */
function randomSequence(rand: Rand, opts: { tools?: boolean; errors?: boolean } = {}): Generated {
  const events: IrStreamEvent[] = [];
  if (rand() < 0.9) {
    events.push({
      type: "start",
      id: "chatcmpl-rand",
      model: "up-model",
      created: 1761000000,
      ...(rand() < 0.3 ? { usage: randomUsage(rand) } : {}),
    });
  }
  const blocks = Math.floor(rand() * 6);
  let index = Math.floor(rand() * 2);
  for (let b = 0; b < blocks; b++) {
    const kind = pick(
      rand,
      opts.tools === false
        ? ["text", "thinking", "image"] as const
        : ["text", "thinking", "tool_call", "image"] as const,
    );
    const i = index++;
    if (kind === "text" || kind === "thinking") {
      events.push({ type: "block_start", index: i, block: { type: kind } });
      const n = Math.floor(rand() * 4);
      for (let d = 0; d < n; d++) {
        events.push(
          kind === "text"
            ? { type: "text_delta", index: i, text: pick(rand, TEXTS) }
            : { type: "thinking_delta", index: i, text: pick(rand, TEXTS) },
        );
      }
      if (kind === "thinking" && rand() < 0.5) events.push({ type: "signature_delta", index: i, signature: "sig" + i });
    } else if (kind === "tool_call") {
      events.push({ type: "block_start", index: i, block: { type: "tool_call", id: `call_${i}`, name: `fn_${i}` } });
      const args = rand() < 0.2 ? "" : JSON.stringify({ n: i, s: pick(rand, TEXTS) });
      for (const f of fragments(rand, args)) events.push({ type: "tool_args_delta", index: i, partialJson: f });
    } else {
      events.push({ type: "block_start", index: i, block: { type: "image", mediaType: "image/png", data: `AAA${i}` } });
    }
    if (rand() < 0.9) events.push({ type: "block_stop", index: i });
    if (rand() < 0.15) events.push({ type: "finish", usage: randomUsage(rand) }); // usage before the stop reason
  }
  const r = rand();
  const native = rand() < 0.3 ? { nativeStopReason: pick(rand, ["stop", "max_tokens", "safety"]) } : {};
  if (r < 0.3) events.push({ type: "finish", stopReason: pick(rand, STOPS), usage: randomUsage(rand), ...native });
  else if (r < 0.5) {
    events.push({ type: "finish", stopReason: pick(rand, STOPS), ...native });
    events.push({ type: "finish", usage: randomUsage(rand) });
  } else if (r < 0.7) events.push({ type: "finish", stopReason: pick(rand, STOPS), ...native });
  let errored = false;
  if (opts.errors !== false && rand() < 0.15) {
    events.splice(Math.floor(rand() * (events.length + 1)), 0, {
      type: "error",
      status: pick(rand, [400, 429, 500, 529]),
      message: 'boom "x"\nline',
    });
    errored = true;
  }
  const ended = rand() < 0.95;
  if (ended) events.push({ type: "end" });
  return { events, errored, ended };
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    index: number;
    delta: Record<string, unknown>;
    finish_reason: string | null;
    native_finish_reason?: string;
  }[];
  usage?: Record<string, unknown>;
}

/** Frames of `data: <one line>\n\n`, nothing else. */
function splitFrames(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    assert.ok(
      text.startsWith("data: ", at),
      `frame at ${at} starts with "data: ": ${JSON.stringify(text.slice(at, at + 40))}`,
    );
    const end = text.indexOf("\n\n", at);
    assert.ok(end > 0, "frame ends with a blank line");
    const data = text.slice(at + 6, end);
    assert.ok(!data.includes("\n") && !data.includes("\r"), "one data line per frame");
    out.push(data);
    at = end + 2;
  }
  return out;
}

interface Rendered {
  chunks: Chunk[];
  error: Record<string, unknown> | null;
  done: boolean;
}

/** Asserts the stream's framing and chunk shapes; returns its parts. */
function checkWellFormed(text: string, gen: Generated): Rendered {
  const frames = splitFrames(text);
  const chunks: Chunk[] = [];
  let error: Record<string, unknown> | null = null;
  let done = false;
  frames.forEach((f, i) => {
    const last = i === frames.length - 1;
    if (f === "[DONE]") {
      assert.ok(last, "[DONE] is the last frame");
      done = true;
      return;
    }
    const v = JSON.parse(f) as Record<string, unknown>;
    if ("error" in v) {
      assert.ok(last, "the error frame is the last frame");
      error = v.error as Record<string, unknown>;
      return;
    }
    const c = v as unknown as Chunk;
    assert.equal(c.object, "chat.completion.chunk");
    assert.equal(typeof c.id, "string");
    assert.ok(c.id.length > 0);
    assert.equal(typeof c.created, "number");
    assert.equal(c.model, "client");
    assert.equal(c.choices.length, 1);
    assert.equal(c.choices[0]!.index, 0);
    assert.equal(typeof c.choices[0]!.delta, "object");
    assert.ok(c.choices[0]!.finish_reason === null || typeof c.choices[0]!.finish_reason === "string");
    chunks.push(c);
  });
  if (chunks.length > 0) assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant", "the first chunk names the role");
  const ids = new Set(chunks.map((c) => c.id));
  assert.ok(ids.size <= 1, "one id per stream");
  if (gen.errored) {
    assert.ok(error !== null, "an IR error gives an error frame");
    assert.equal(done, false, "no [DONE] after an error");
    const e = error as Record<string, unknown>;
    assert.equal(typeof e.message, "string");
    assert.equal(typeof e.type, "string");
  } else if (gen.ended) {
    assert.ok(done, "end gives [DONE]");
    assert.ok(chunks.some((c) => c.choices[0]!.finish_reason !== null), "a finished stream has a finish_reason");
    const firstFinish = chunks.findIndex((c) => c.choices[0]!.finish_reason !== null);
    for (const c of chunks.slice(firstFinish)) {
      const d = c.choices[0]!.delta;
      assert.deepEqual(d, {}, "nothing but usage after the finish_reason");
    }
  } else assert.equal(done, false, "no [DONE] without end");
  return { chunks, error, done };
}

interface Answer {
  text: string;
  reasoning: string;
  calls: string[];
  images: string[];
  usage: IrUsage | undefined;
}

/** What the IR sequence says up to its first error (what the client can have received). */
function expectedAnswer(events: readonly IrStreamEvent[]): Answer {
  const a: Answer = { text: "", reasoning: "", calls: [], images: [], usage: undefined };
  const tools = new Map<number, { id: string; name: string; args: string }>();
  for (const e of events) {
    if (e.type === "error") break;
    if (e.type === "start" && e.usage) a.usage = e.usage;
    if (e.type === "text_delta") a.text += e.text;
    if (e.type === "thinking_delta") a.reasoning += e.text;
    if (e.type === "block_start" && e.block.type === "tool_call") {
      tools.set(e.index, { id: e.block.id, name: e.block.name, args: "" });
    }
    if (e.type === "block_start" && e.block.type === "image") {
      a.images.push(`data:${e.block.mediaType};base64,${e.block.data}`);
    }
    if (e.type === "tool_args_delta") tools.get(e.index)!.args += e.partialJson;
    if (e.type === "finish" && e.usage) a.usage = e.usage;
  }
  for (const t of tools.values()) a.calls.push(`${t.id} ${t.name} ${t.args || "{}"}`);
  a.calls.sort();
  return a;
}

function renderedAnswer(chunks: readonly Chunk[]): Answer {
  const a: Answer = { text: "", reasoning: "", calls: [], images: [], usage: undefined };
  let usage: Record<string, unknown> | undefined;
  for (const c of chunks) {
    const d = c.choices[0]!.delta as {
      content?: string;
      reasoning_content?: string;
      tool_calls?: { index: number; id: string; function: { name: string; arguments: string } }[];
      images?: { image_url: { url: string } }[];
    };
    a.text += d.content ?? "";
    a.reasoning += d.reasoning_content ?? "";
    for (const tc of d.tool_calls ?? []) a.calls.push(`${tc.id} ${tc.function.name} ${tc.function.arguments}`);
    for (const img of d.images ?? []) a.images.push(img.image_url.url);
    if (c.usage) usage = c.usage;
  }
  a.calls.sort();
  if (usage) {
    const pd = usage.prompt_tokens_details as { cached_tokens: number; cached_creation_tokens?: number } | undefined;
    const cd = usage.completion_tokens_details as { reasoning_tokens: number } | undefined;
    a.usage = {
      input: usage.prompt_tokens as number,
      output: usage.completion_tokens as number,
      // The generator never sends cacheRead 0; a 0 here is the filler beside cached_creation_tokens.
      ...(pd && pd.cached_tokens > 0 ? { cacheRead: pd.cached_tokens } : {}),
      ...(pd?.cached_creation_tokens !== undefined ? { cacheCreation: pd.cached_creation_tokens } : {}),
      ...(cd ? { reasoning: cd.reasoning_tokens } : {}),
    };
    assert.equal(usage.total_tokens, a.usage.input + a.usage.output);
  }
  return a;
}

function render(events: readonly IrStreamEvent[], codec = openAIChatCodec): string {
  const r = codec.createStreamRenderer(ctx);
  let out = "";
  for (const e of events) out += r.push(e);
  return out;
}

function parse(parser: StreamParser, text: string): IrStreamEvent[] {
  const events: IrStreamEvent[] = [];
  const emit = (e: IrStreamEvent) => events.push(e);
  const sse = new SseParser();
  const on = (ev: { event?: string; data: string }) => parser.push(ev.event, ev.data, emit);
  sse.pushText(text, on);
  sse.end(on);
  parser.end(emit);
  return events;
}

/** Asserts an IR event sequence is valid: start first, blocks opened once, deltas only inside open blocks, one open at a time. */
function checkIrSequence(events: readonly IrStreamEvent[]): void {
  const open = new Set<number>();
  const seen = new Set<number>();
  let last = -1;
  events.forEach((e, i) => {
    if (i === 0 && e.type !== "error") assert.equal(e.type, "start");
    if (e.type === "block_start") {
      assert.ok(!seen.has(e.index), "block indexes are unique");
      assert.ok(e.index > last, "block indexes increase");
      assert.equal(open.size, 0, "one block open at a time");
      seen.add(e.index);
      open.add(e.index);
      last = e.index;
    } else if (e.type === "block_stop") {
      assert.ok(open.delete(e.index), "block_stop closes an open block");
    } else if ("index" in e) assert.ok(open.has(e.index), `${e.type} inside an open block`);
    if (e.type === "end") assert.equal(i, events.length - 1, "end is last");
    if (e.type === "end" || e.type === "finish") assert.equal(open.size, 0, `${e.type} after every block is closed`);
  });
}

/** The stop reason a Chat round trip keeps: what finish_reason can say, tool calls winning over a plain stop. */
function stopMeaning(events: readonly IrStreamEvent[], calls: boolean): IrStopReason {
  const first = events.find((e) => e.type === "finish" && e.stopReason !== undefined);
  const stop = first?.type === "finish" ? first.stopReason : undefined;
  if (stop === "max_tokens") return "max_tokens";
  if (stop === "content_filter" || stop === "refusal") return "content_filter";
  return calls ? "tool_use" : "end_turn";
}

async function sdkFinal(text: string): Promise<OpenAI.Chat.Completions.ChatCompletion> {
  const client = new OpenAI({
    apiKey: "sk-test",
    baseURL: "http://sdk.invalid/v1",
    maxRetries: 0,
    fetch: () => Promise.resolve(new Response(text, { headers: { "content-type": "text/event-stream" } })),
  });
  return await client.chat.completions.stream({ model: "client", messages: [{ role: "user", content: "hi" }] })
    .finalChatCompletion();
}

// ---------------------------------------------------------------------------------------------------------------

describe("openai-chat stream renderer", () => {
  test("500 random IR sequences render well-formed streams that carry exactly the IR's content", () => {
    const rand = mulberry32(0xc4a7);
    for (let i = 0; i < 500; i++) {
      const gen = randomSequence(rand);
      const text = render(gen.events);
      const out = checkWellFormed(text, gen);
      if (gen.errored) continue;
      const want = expectedAnswer(gen.events);
      const got = renderedAnswer(out.chunks);
      assert.equal(got.text, want.text, `seq ${i} text`);
      assert.equal(got.reasoning, want.reasoning, `seq ${i} reasoning`);
      if (gen.ended) {
        assert.deepEqual(got.calls, want.calls, `seq ${i} tool calls`);
        assert.deepEqual(got.usage, want.usage, `seq ${i} usage`);
      }
      assert.deepEqual(got.images, want.images, `seq ${i} images`);
    }
  });

  test("rendered streams parse back (own parser) to a valid IR sequence with the same answer", () => {
    const rand = mulberry32(0xbeef);
    for (let i = 0; i < 300; i++) {
      const gen = randomSequence(rand, { errors: false });
      if (!gen.ended) continue;
      const events = parse(openAIChatCodec.createStreamParser(ctx), render(gen.events));
      checkIrSequence(events);
      assert.equal(events.at(-1)?.type, "end");
      const want = expectedAnswer(gen.events);
      const got = expectedAnswer(events);
      assert.equal(got.text, want.text);
      assert.equal(got.reasoning, want.reasoning);
      assert.deepEqual(got.calls, want.calls);
      assert.deepEqual(got.images, want.images);
      const finishes = events.filter((e) => e.type === "finish");
      assert.ok(finishes.length >= 1, "a finish comes back");
      const stop = finishes[0]!.type === "finish" ? finishes[0]!.stopReason : undefined;
      assert.equal(stop, stopMeaning(gen.events, want.calls.length > 0), `seq ${i} stop reason`);
    }
  });

  test("the official SDK accumulates random tool-free streams into the same answer", async () => {
    const rand = mulberry32(0x5d4);
    for (let i = 0; i < 60; i++) {
      const gen = randomSequence(rand, { tools: false, errors: false });
      if (!gen.ended) continue;
      const final = await sdkFinal(render(gen.events));
      const want = expectedAnswer(gen.events);
      // Only standard fields: the SDK keeps the last value of a non-standard one (reasoning_content, images).
      assert.equal(final.choices[0]!.message.content ?? "", want.text, `seq ${i}`);
      assert.ok(final.choices[0]!.finish_reason, "finish_reason set");
    }
  });

  test("the official SDK accumulates tool calls when they are the first blocks (their IR indexes are 0, 1, …)", async () => {
    const final = await sdkFinal(render([
      { type: "start", id: "msg_1", model: "m", created: 1 },
      { type: "block_start", index: 0, block: { type: "tool_call", id: "toolu_a", name: "read" } },
      { type: "tool_args_delta", index: 0, partialJson: '{"path":' },
      { type: "tool_args_delta", index: 0, partialJson: '"a"}' },
      { type: "block_stop", index: 0 },
      { type: "block_start", index: 1, block: { type: "tool_call", id: "toolu_b", name: "list" } },
      { type: "block_stop", index: 1 },
      { type: "finish", stopReason: "tool_use", usage: { input: 5, output: 9 } },
      { type: "end" },
    ]));
    assert.equal(final.choices[0]!.finish_reason, "tool_calls");
    assert.deepEqual(
      final.choices[0]!.message.tool_calls?.map((c) =>
        c.type === "function" && [c.id, c.function.name, c.function.arguments]
      ),
      [
        ["toolu_a", "read", '{"path":"a"}'],
        ["toolu_b", "list", "{}"],
      ],
    );
    assert.equal(final.usage?.total_tokens, 14);
  });

  test("nothing is written after an error, not even for end", () => {
    const r = openAIChatCodec.createStreamRenderer(ctx);
    r.push({ type: "start", id: "x", model: "m", created: 1 });
    const frame = r.push({ type: "error", status: 503, message: "unavailable" });
    assert.equal(
      frame,
      `data: {"error":{"message":"unavailable","type":"server_error","code":"internal_server_error"}}\n\n`,
    );
    for (
      const e of [{ type: "text_delta", index: 0, text: "x" }, { type: "finish", stopReason: "end_turn" }, {
        type: "end",
      }] as IrStreamEvent[]
    ) {
      assert.equal(r.push(e), "");
    }
  });

  test("content before any start gets a generated chatcmpl id and the role chunk first", () => {
    const frames = splitFrames(render([
      { type: "block_start", index: 0, block: { type: "text" } },
      { type: "text_delta", index: 0, text: "hi" },
      { type: "end" },
    ]));
    assert.equal(frames.length, 4);
    const first = JSON.parse(frames[0]!) as Chunk;
    assert.match(first.id, /^chatcmpl-/);
    assert.deepEqual(first.choices[0]!.delta, { role: "assistant", content: "" });
    assert.deepEqual((JSON.parse(frames[1]!) as Chunk).choices[0]!.delta, { content: "hi" });
    assert.equal(frames[3], "[DONE]");
  });

  test("a second start is ignored; the client-facing model wins over the upstream's", () => {
    const frames = splitFrames(render([
      { type: "start", id: "a", model: "upstream", created: 5 },
      { type: "start", id: "b", model: "other", created: 6 },
      { type: "end" },
    ]));
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f) as Chunk);
    assert.deepEqual(chunks.map((c) => [c.id, c.model, c.created]), [["a", "client", 5], ["a", "client", 5]]);
  });

  test("completions renderer: random sequences give well-formed text_completion streams with the text", () => {
    const rand = mulberry32(0x70c);
    for (let i = 0; i < 200; i++) {
      const gen = randomSequence(rand);
      const frames = splitFrames(render(gen.events, openAICompletionsCodec));
      let text = "";
      frames.forEach((f, j) => {
        if (f === "[DONE]") return assert.equal(j, frames.length - 1);
        const v = JSON.parse(f) as Record<string, unknown>;
        if ("error" in v) return assert.equal(j, frames.length - 1);
        assert.equal(v.object, "text_completion");
        const c = (v.choices as { text: string; finish_reason: string | null }[])[0]!;
        assert.equal(typeof c.text, "string");
        assert.ok(
          c.finish_reason === null || ["stop", "length", "content_filter", "max_tokens"].includes(c.finish_reason),
        );
        text += c.text;
      });
      if (!gen.errored) assert.equal(text, expectedAnswer(gen.events).text);
      assert.equal(frames.at(-1) === "[DONE]", gen.ended && !gen.errored);
    }
  });
  test("the official SDK iterates a rendered Completions stream", async () => {
    const text = render([
      { type: "start", id: "cmpl-1", model: "m", created: 1 },
      { type: "block_start", index: 0, block: { type: "text" } },
      { type: "text_delta", index: 0, text: "Once " },
      { type: "text_delta", index: 0, text: "upon" },
      { type: "block_stop", index: 0 },
      { type: "finish", stopReason: "max_tokens", usage: { input: 2, output: 2 } },
      { type: "end" },
    ], openAICompletionsCodec);
    const client = new OpenAI({
      apiKey: "sk-test",
      baseURL: "http://sdk.invalid/v1",
      maxRetries: 0,
      fetch: () => Promise.resolve(new Response(text, { headers: { "content-type": "text/event-stream" } })),
    });
    let out = "";
    let finish: string | null = null;
    for await (const c of await client.completions.create({ model: "m", prompt: "x", stream: true })) {
      out += c.choices[0]?.text ?? "";
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(out, "Once upon");
    assert.equal(finish, "length");
  });
});

describe("openai-chat stream parser", () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${
      JSON.stringify({
        id: "c",
        object: "chat.completion.chunk",
        created: 1,
        model: "m",
        choices: [{ index: 0, delta, finish_reason: finish }],
      })
    }\n\n`;

  test("junk lines, wrong shapes and stray values never throw and keep the sequence valid", () => {
    const rand = mulberry32(0x1ee7);
    const junk = [
      "",
      "{",
      "null",
      "[]",
      "42",
      '"x"',
      "{}",
      '{"choices":null}',
      '{"choices":[null]}',
      '{"choices":[{"delta":null}]}',
      '{"choices":[{"delta":{"tool_calls":[null,{"index":"a"},{"function":null}]}}]}',
      '{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":{"a":1}}}]}}]}',
      '{"choices":[{"delta":{"content":[{"text":"a"},5]}}]}',
      '{"usage":"x"}',
      '{"usage":{"prompt_tokens":"9"}}',
      '{"choices":[{"delta":{"images":[{"image_url":"https://x"},{"image_url":{"url":"data:image/png;base64,AA"}}]}}]}',
      '{"choices":[{"finish_reason":5}]}',
      '{"choices":[{"index":1,"delta":{"content":"other choice"}}]}',
    ];
    for (let i = 0; i < 300; i++) {
      let text = "";
      const n = 1 + Math.floor(rand() * 8);
      for (let j = 0; j < n; j++) {
        text += rand() < 0.5 ? `data: ${pick(rand, junk)}\n\n` : chunk(
          pick(rand, [
            { content: "x" },
            { reasoning_content: "r" },
            {
              tool_calls: [{
                index: Math.floor(rand() * 3),
                id: rand() < 0.5 ? `id${j}` : undefined,
                function: { name: rand() < 0.5 ? "f" : undefined, arguments: "{" },
              }],
            },
            { function_call: { name: "legacy", arguments: "{}" } },
          ]),
          rand() < 0.2 ? pick(rand, ["stop", "length", "tool_calls", "weird"]) : null,
        );
      }
      if (rand() < 0.5) text += "data: [DONE]\n\n";
      const events = parse(openAIChatCodec.createStreamParser(ctx), text);
      checkIrSequence(events);
    }
  });

  test("a fragment for a call whose block already closed (interleaved upstream) is dropped, not misplaced", () => {
    const events = parse(
      openAIChatCodec.createStreamParser(ctx),
      chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "f", arguments: '{"x":' } }] }) +
        chunk({ tool_calls: [{ index: 1, id: "b", function: { name: "g", arguments: "{}" } }] }) +
        chunk({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }) +
        chunk({}, "tool_calls") + "data: [DONE]\n\n",
    );
    checkIrSequence(events);
    const args = events.filter((e) => e.type === "tool_args_delta").map((e) =>
      e.type === "tool_args_delta" && [e.index, e.partialJson]
    );
    assert.deepEqual(args, [[0, '{"x":'], [1, "{}"]]);
  });

  test("a new id under a reused index starts a new call (servers that number every call 0)", () => {
    const events = parse(
      openAIChatCodec.createStreamParser(ctx),
      chunk({ tool_calls: [{ index: 0, id: "a", function: { name: "f", arguments: "{}" } }] }) +
        chunk({ tool_calls: [{ index: 0, id: "b", function: { name: "g", arguments: '{"y":2}' } }] }) +
        chunk({}, "tool_calls") + "data: [DONE]\n\n",
    );
    checkIrSequence(events);
    const starts = events.filter((e) => e.type === "block_start").map((e) => e.type === "block_start" && e.block);
    assert.deepEqual(starts, [{ type: "tool_call", id: "a", name: "f" }, { type: "tool_call", id: "b", name: "g" }]);
  });

  test("a call that never gets an id or name is still reported, with made-up ones", () => {
    const events = parse(
      openAIChatCodec.createStreamParser(ctx),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":1}' } }] }) + chunk({}, "tool_calls") +
        "data: [DONE]\n\n",
    );
    checkIrSequence(events);
    const start = events.find((e) => e.type === "block_start");
    assert.ok(start?.type === "block_start" && start.block.type === "tool_call");
    assert.match(start.block.id, /^call_/);
    assert.equal(start.block.name, "tool_0");
    assert.deepEqual(events.find((e) => e.type === "finish"), { type: "finish", stopReason: "tool_use" });
  });

  test("the deprecated function_call delta becomes a tool call", () => {
    const events = parse(
      openAIChatCodec.createStreamParser(ctx),
      chunk({ role: "assistant", content: null, function_call: { name: "lookup", arguments: "" } }) +
        chunk({ function_call: { arguments: '{"q":"x"}' } }) + chunk({}, "function_call") + "data: [DONE]\n\n",
    );
    checkIrSequence(events);
    assert.deepEqual(expectedAnswer(events).calls.map((c) => c.split(" ").slice(1).join(" ")), ['lookup {"q":"x"}']);
    assert.deepEqual(events.find((e) => e.type === "finish"), { type: "finish", stopReason: "tool_use" });
  });

  test("usage after the finish is reported again if it changes after the first usage (later values win)", () => {
    const usage = (n: number) =>
      `data: {"id":"c","choices":[],"usage":{"prompt_tokens":${n},"completion_tokens":1}}\n\n`;
    const events = parse(
      openAIChatCodec.createStreamParser(ctx),
      chunk({ content: "a" }, "stop") + usage(5) + usage(6) + "data: [DONE]\n\n",
    );
    assert.deepEqual(events.filter((e) => e.type === "finish"), [
      { type: "finish", stopReason: "end_turn", usage: { input: 5, output: 1 } },
      { type: "finish", stopReason: "end_turn", usage: { input: 6, output: 1 } },
    ]);
  });

  test("nothing is emitted after an error or after [DONE]", () => {
    const p = openAIChatCodec.createStreamParser(ctx);
    const events: IrStreamEvent[] = [];
    const emit = (e: IrStreamEvent) => events.push(e);
    p.push(undefined, `{"error":{"message":"bad","type":"invalid_request_error"}}`, emit);
    p.push(undefined, JSON.stringify({ choices: [{ delta: { content: "x" } }] }), emit);
    p.push(undefined, "[DONE]", emit);
    p.end(emit);
    assert.deepEqual(events, [{ type: "error", status: 400, message: "bad", errorType: "invalid_request_error" }]);
  });

  test("an empty reasoning_content does not hide an OpenRouter-style reasoning field", () => {
    const events = parse(
      openAIChatCodec.createStreamParser(ctx),
      chunk({ reasoning_content: "", reasoning: "thinking…" }) + chunk({ content: "done" }, "stop") +
        "data: [DONE]\n\n",
    );
    checkIrSequence(events);
    assert.deepEqual(
      events.filter((e) => e.type === "thinking_delta" || e.type === "text_delta").map((e) =>
        e.type === "thinking_delta" || e.type === "text_delta" ? e.text : ""
      ),
      ["thinking…", "done"],
    );
  });

  test("an error given as a bare string still becomes an IR error", () => {
    const events = parse(openAIChatCodec.createStreamParser(ctx), `data: {"error":"upstream timed out"}\n\n`);
    assert.deepEqual(events, [{ type: "error", status: 500, message: "upstream timed out" }]);
  });
});
