/**
 * The Claude stream renderer on IR sequences the vectors cannot enumerate: random sequences (well-formed output
 * whatever the source did), conservation of text and tool arguments, the lazy start, frame granularity, and
 * parse → render → parse round trips.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { claudeCodec } from "../../../../core/formats/claude/codec.ts";
import type { IrBlock, IrStopReason, IrStreamEvent } from "../../../../core/formats/ir.ts";
import { SseParser } from "../../../../core/stream/sse-parser.ts";
import { mulberry32 } from "../../../helpers/prng.ts";
import { checkClaudeStream, claudeFrames } from "./stream-check.ts";

const ctx = { model: "claude-sonnet-4-5", stream: true };

function render(events: readonly IrStreamEvent[]): { text: string; pieces: string[] } {
  const r = claudeCodec.createStreamRenderer(ctx);
  const pieces = events.map((e) => r.push(e));
  return { text: pieces.join(""), pieces };
}

const STOPS: readonly IrStopReason[] = [
  "end_turn",
  "max_tokens",
  "tool_use",
  "stop_sequence",
  "content_filter",
  "refusal",
  "pause_turn",
];
const TEXTS = ["a", "héllo ", "世界", "🙂", "\n", '"quoted"', "</script>", "\u2028"];
const ARGS = ['{"a":', "1}", '{"b":"x"}', "", "oops", '"str"', "[1]", "{}", '{"nested":{"k":[1,2]}}'];

/**
 * A random IR sequence. `clean`: only what a well-behaved source sends (deltas to open blocks of their kind, stops
 * once, one terminal event); otherwise anything goes (unknown indexes, repeats, deltas after stops, events after end).
 */
function randomEvents(rand: () => number, clean: boolean): IrStreamEvent[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const events: IrStreamEvent[] = [];
  if (!clean || rand() < 0.9) events.push({ type: "start", id: "msg_r", model: "up", created: 1 });
  const open = new Map<number, IrBlock["type"]>();
  let next = 0;
  const steps = Math.floor(rand() * 30);
  for (let s = 0; s < steps; s++) {
    const r = rand();
    if (r < 0.2) {
      next += rand() < 0.3 ? 2 : 1; // gaps, as OpenAI-style sources leave
      const index = clean ? next : Math.floor(rand() * (next + 2));
      const block: IrBlock = pick<IrBlock>([
        { type: "text" },
        { type: "thinking" },
        { type: "tool_call", id: pick(["call_1", "toolu_x", "f.1", ""]), name: "fn" },
        { type: "image", mediaType: "image/png", data: "AAAA" },
      ]);
      events.push({ type: "block_start", index, block });
      open.set(index, block.type);
    } else if (r < 0.75) {
      const candidates = [...open.entries()];
      const [index, kind] = clean
        ? (candidates.length > 0 ? pick(candidates) : [-1, "none"])
        : [Math.floor(rand() * (next + 3)), pick(["text", "thinking", "tool_call"])];
      if (index < 0) continue;
      if (kind === "text") events.push({ type: "text_delta", index, text: pick(TEXTS) });
      else if (kind === "thinking") {
        events.push(
          rand() < 0.8
            ? { type: "thinking_delta", index, text: pick(TEXTS) }
            : { type: "signature_delta", index, signature: "sig" + s },
        );
      } else if (kind === "tool_call") events.push({ type: "tool_args_delta", index, partialJson: pick(ARGS) });
    } else if (r < 0.9) {
      const candidates = [...open.keys()];
      if (candidates.length === 0) continue;
      const index = pick(candidates);
      events.push({ type: "block_stop", index });
      if (clean) open.delete(index);
    } else {
      events.push({
        type: "finish",
        ...(rand() < 0.7 ? { stopReason: pick(STOPS) } : {}),
        ...(rand() < 0.7 ? { usage: { input: 10, output: s, cacheRead: rand() < 0.5 ? 4 : undefined } } : {}),
      });
    }
    if (!clean && rand() < 0.03) events.push({ type: "error", status: pick([400, 429, 500, 529]), message: "boom" });
  }
  const t = rand();
  if (t < 0.7) events.push({ type: "end" });
  else if (t < 0.85) events.push({ type: "error", status: 529, message: "Overloaded", errorType: "overloaded_error" });
  if (!clean && rand() < 0.3) events.push({ type: "text_delta", index: 0, text: "after the end" }, { type: "end" });
  return events;
}

describe("claude stream renderer: random IR sequences", () => {
  test("always a well-formed Claude stream, complete once end or error was pushed", () => {
    const rand = mulberry32(0xc1a0de);
    for (let i = 0; i < 3000; i++) {
      const events = randomEvents(rand, i % 2 === 0);
      const { text, pieces } = render(events);
      const terminal = events.some((e) => e.type === "end" || e.type === "error");
      try {
        checkClaudeStream(text, terminal);
        // Every push returns whole frames: the client may be flushed after any of them.
        for (const p of pieces) if (p !== "") checkFramesComplete(p);
      } catch (err) {
        throw new Error(`sequence ${i}: ${JSON.stringify(events)}\n${text}\n${(err as Error).message}`);
      }
    }
  });

  test("clean sequences: text and thinking arrive complete and in order; tool arguments arrive as sent when they are a JSON object", () => {
    const rand = mulberry32(0x5eed);
    for (let i = 0; i < 1000; i++) {
      const events = randomEvents(rand, true).filter((e) => e.type !== "error");
      if (events.at(-1)?.type !== "end") events.push({ type: "end" });
      const frames = checkClaudeStream(render(events).text, true);
      const sent = { text: "", thinking: "" };
      const toolArgs = new Map<number, string>();
      const toolOrder: number[] = [];
      const kinds = new Map<number, IrBlock["type"]>();
      for (const e of events) {
        if (e.type === "block_start" && !kinds.has(e.index)) {
          kinds.set(e.index, e.block.type);
          if (e.block.type === "tool_call") toolOrder.push(e.index);
        }
        if (e.type === "text_delta" && kinds.get(e.index) === "text") sent.text += e.text;
        if (e.type === "thinking_delta" && kinds.get(e.index) === "thinking") sent.thinking += e.text;
        if (e.type === "tool_args_delta") toolArgs.set(e.index, (toolArgs.get(e.index) ?? "") + e.partialJson);
      }
      const got = { text: "", thinking: "" };
      const inputs: string[] = [];
      for (const f of frames) {
        const d = f.data.delta as
          | { type?: string; text?: string; thinking?: string; partial_json?: string }
          | undefined;
        if (f.event === "content_block_start" && (f.data.content_block as { type: string }).type === "tool_use") {
          inputs.push("");
        }
        if (d?.type === "text_delta") got.text += d.text;
        if (d?.type === "thinking_delta") got.thinking += d.thinking;
        if (d?.type === "input_json_delta") inputs.push(inputs.pop() + (d.partial_json ?? ""));
      }
      assert.deepEqual(got, sent, `sequence ${i}`);
      assert.equal(inputs.length, toolOrder.length, `sequence ${i}: one tool_use per call`);
      const expected = toolOrder.map((idx) => validObjectText(toolArgs.get(idx) ?? ""));
      assert.deepEqual(inputs.slice().sort(), expected.slice().sort(), `sequence ${i}: tool inputs`);
    }
  });
});

function validObjectText(args: string): string {
  try {
    const v = JSON.parse(args.trim());
    return v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0 ? args.trim() : "";
  } catch {
    return "";
  }
}

function checkFramesComplete(piece: string): void {
  assert.ok(piece.endsWith("\n\n"), `piece ends a frame: ${JSON.stringify(piece)}`);
  const sse = new SseParser();
  let n = 0;
  sse.pushText(piece, () => n++);
  let tail = 0;
  sse.end(() => tail++);
  assert.ok(n > 0 && tail === 0, "piece holds whole frames only");
}

describe("claude stream renderer: edges", () => {
  test("content before start opens the message lazily with a generated msg_ id and the ctx model", () => {
    const { text } = render([
      { type: "text_delta", index: 4, text: "hi" },
      { type: "finish", stopReason: "end_turn", usage: { input: 2, output: 1 } },
      { type: "end" },
    ]);
    const frames = checkClaudeStream(text, true);
    const m = frames[0]!.data.message as { id: string; model: string };
    assert.match(m.id, /^msg_[0-9A-Za-z]{24}$/);
    assert.equal(m.model, "claude-sonnet-4-5");
    assert.deepEqual(frames.map((f) => f.event), [
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
  });

  test("end alone is a complete empty message; error alone is one error frame; nothing after either", () => {
    const a = render([{ type: "end" }, { type: "text_delta", index: 0, text: "x" }, { type: "end" }]);
    assert.deepEqual(checkClaudeStream(a.text, true).map((f) => f.event), [
      "message_start",
      "message_delta",
      "message_stop",
    ]);
    assert.deepEqual(a.pieces.slice(1), ["", ""]);
    const b = render([{ type: "error", status: 413, message: "too big" }, { type: "end" }]);
    assert.equal(
      b.text,
      'event: error\ndata: {"type":"error","error":{"type":"request_too_large","message":"too big"}}\n\n',
    );
    assert.equal(b.pieces[1], "");
  });

  test("an error message with newlines and quotes stays one SSE data line", () => {
    const { text } = render([{ type: "start", id: "m", model: "x", created: 1 }, {
      type: "error",
      status: 500,
      message: 'line1\nline2 "q"',
    }]);
    const frames = checkClaudeStream(text, true);
    assert.deepEqual(frames[1]!.data, { type: "error", error: { type: "api_error", message: 'line1\nline2 "q"' } });
  });

  test("the usage of the last finish wins; start usage is the fallback", () => {
    const { text } = render([
      { type: "start", id: "m", model: "x", created: 1, usage: { input: 5, output: 1 } },
      { type: "finish", stopReason: "end_turn" },
      { type: "end" },
    ]);
    const frames = claudeFrames(text);
    assert.deepEqual(frames.at(-2)!.data.usage, { input_tokens: 5, output_tokens: 1 });
  });
});

describe("claude stream: parse ↔ render round trip", () => {
  test("a canonical IR sequence survives render → parse (ids, text, thinking + signature, tool call, stop, usage)", () => {
    const events: IrStreamEvent[] = [
      { type: "start", id: "msg_rt", model: "up", created: 1, usage: { input: 30, output: 1, cacheRead: 20 } },
      { type: "block_start", index: 0, block: { type: "thinking" } },
      { type: "thinking_delta", index: 0, text: "Let me think… 🤔" },
      { type: "signature_delta", index: 0, signature: "EqQBsig==" },
      { type: "block_stop", index: 0 },
      { type: "block_start", index: 1, block: { type: "text" } },
      { type: "text_delta", index: 1, text: "Answer: 42" },
      { type: "block_stop", index: 1 },
      { type: "block_start", index: 2, block: { type: "tool_call", id: "toolu_1", name: "calc" } },
      { type: "tool_args_delta", index: 2, partialJson: '{"expr":"6*7"}' },
      { type: "block_stop", index: 2 },
      { type: "finish", stopReason: "tool_use", usage: { input: 30, output: 12, cacheRead: 20, cacheCreation: 3 } },
      { type: "end" },
    ];
    const sse = render(events).text;
    const parsed: IrStreamEvent[] = [];
    const p = claudeCodec.createStreamParser(ctx);
    const sp = new SseParser();
    const on = (ev: { event?: string; data: string }) => p.push(ev.event, ev.data, (e) => parsed.push(e));
    sp.pushText(sse, on);
    sp.end(on);
    p.end((e) => parsed.push(e));
    const start = parsed[0] as Extract<IrStreamEvent, { type: "start" }>;
    assert.equal(typeof start.created, "number");
    assert.deepEqual(
      parsed.map((e) => (e.type === "start" ? { ...e, created: 1 } : e)),
      events.map((e) => (e.type === "start" ? { ...e, model: "claude-sonnet-4-5" } : e)),
    );
  });
});
