/**
 * The Responses stream renderer: any IR event sequence renders a well-formed stream (checked frame by frame and by the
 * official SDK's strict accumulator), in-stream errors take the client's shape (behaviour.md §1.3, vector 25), and
 * nothing follows the terminal frame.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { IrBlock, IrStopReason, IrStreamEvent } from "../../../../core/formats/ir.ts";
import { openAIResponsesCodec as codec } from "../../../../core/formats/openai-responses/codec.ts";
import { isCodexClient, safeErrorMessage } from "../../../../core/formats/openai-responses/stream-error.ts";
import { mulberry32 } from "../../../helpers/prng.ts";
import { checkStream, frames, sdkFinalResponse } from "./stream-check.ts";

const render = (events: IrStreamEvent[], userAgent?: string) => {
  const r = codec.createStreamRenderer({ model: "client-model", stream: true, userAgent });
  return events.map((e) => r.push(e)).join("");
};

const STOPS: IrStopReason[] = [
  "end_turn",
  "max_tokens",
  "tool_use",
  "stop_sequence",
  "content_filter",
  "refusal",
  "pause_turn",
];
const TEXTS = ["Hello", " wörld", " 🚀", "", "日本語", '"quoted"\n', "a\r\nb"];

/**
 * A random IR sequence: optional start, blocks of every kind (some without block_start, some never stopped),
 * interleaved deltas, finish events before or after the blocks, and an end, an error, or nothing at the close.
 */
function randomEvents(
  rand: () => number,
): { events: IrStreamEvent[]; close: "end" | "error" | "none"; texts: Map<number, string> } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const events: IrStreamEvent[] = [];
  const texts = new Map<number, string>();
  if (rand() < 0.85) {
    events.push({ type: "start", id: `resp_${Math.floor(rand() * 1e6)}`, model: "up", created: 1754000000 });
  }
  const open: { index: number; kind: IrBlock["type"] }[] = [];
  let next = 0;
  const steps = 1 + Math.floor(rand() * 14);
  for (let s = 0; s < steps; s++) {
    const r = rand();
    if (r < 0.3 || open.length === 0) {
      const kind = pick<IrBlock["type"]>(["text", "text", "thinking", "tool_call", "image"]);
      const index = next++;
      const block: IrBlock = kind === "tool_call"
        ? { type: "tool_call", id: rand() < 0.9 ? `call_${index}` : "", name: "fn" }
        : kind === "image"
        ? { type: "image", mediaType: "image/png", data: "iVBOR" }
        : { type: kind };
      // Text and thinking blocks may arrive without block_start, as from a source without blocks.
      if (kind === "tool_call" || kind === "image" || rand() < 0.8) events.push({ type: "block_start", index, block });
      open.push({ index, kind });
      if (kind === "text") texts.set(index, "");
    } else if (r < 0.8) {
      const b = pick(open);
      if (b.kind === "text") {
        const t = pick(TEXTS);
        texts.set(b.index, texts.get(b.index)! + t);
        events.push({ type: "text_delta", index: b.index, text: t });
      } else if (b.kind === "thinking") {
        events.push(
          rand() < 0.7
            ? { type: "thinking_delta", index: b.index, text: pick(TEXTS) }
            : { type: "signature_delta", index: b.index, signature: "gAAAAsig" },
        );
      } else if (b.kind === "tool_call") {
        events.push({ type: "tool_args_delta", index: b.index, partialJson: pick(['{"a":', "1}", "", '"é"']) });
      }
    } else if (r < 0.93) {
      const i = Math.floor(rand() * open.length);
      events.push({ type: "block_stop", index: open[i]!.index });
      open.splice(i, 1);
    } else {
      events.push({ type: "finish", stopReason: pick(STOPS) });
    }
  }
  if (rand() < 0.5) { for (const b of open) events.push({ type: "block_stop", index: b.index }); }
  if (rand() < 0.7) {
    events.push({ type: "finish", stopReason: pick(STOPS), usage: { input: 10, output: 5, cacheRead: 2 } });
  }
  if (rand() < 0.3) events.push({ type: "finish", usage: { input: 11, output: 6, reasoning: 3 } });
  const c = rand();
  const close = c < 0.7 ? "end" : c < 0.9 ? "error" : "none";
  if (close === "end") events.push({ type: "end" });
  if (close === "error") events.push({ type: "error", status: 502, message: "upstream went away" });
  return { events, close, texts };
}

describe("Responses stream renderer", () => {
  test("random IR sequences always render a well-formed stream that the official SDK accumulates", async () => {
    const rand = mulberry32(0x7e5);
    for (let i = 0; i < 300; i++) {
      const { events, close, texts } = randomEvents(rand);
      const ua = rand() < 0.5 ? "codex_cli_rs/0.50.0" : undefined;
      const text = render(events, ua);
      const label = `sequence ${i}: ${JSON.stringify(events)}`;
      let fs;
      try {
        fs = checkStream(text, close !== "none");
      } catch (err) {
        assert.fail(`${label}\n${text}\n${(err as Error).message}`);
      }
      if (close === "end") {
        const last = fs.at(-1)!.data;
        assert.match(String(last.type), /^response\.(completed|incomplete)$/, label);
        const final = await sdkFinalResponse(text);
        const expected = [...texts.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t).join("");
        assert.equal(final.output_text, expected, label);
      }
      if (close === "error") {
        assert.equal(fs.at(-1)!.event, ua ? "response.failed" : "error", label);
      }
    }
  });

  test("`end` without anything before it still renders created, in_progress and completed", () => {
    const fs = checkStream(render([{ type: "end" }]), true);
    assert.deepEqual(fs.map((f) => f.event), ["response.created", "response.in_progress", "response.completed"]);
    const response = fs[2]!.data.response as { id: string; created_at: number; model: string; output: unknown[] };
    assert.match(response.id, /^resp_[0-9a-f]{32}$/);
    assert.ok(response.created_at > 1_700_000_000);
    assert.equal(response.model, "client-model");
    assert.deepEqual(response.output, []);
  });

  test("an error before any content is a lone error frame with sequence number 0", () => {
    assert.equal(
      render([{ type: "error", status: 429, message: "Too many requests" }]),
      'event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"Too many requests","sequence_number":0}\n\n',
    );
  });

  test("the error frame's sequence number continues the stream's numbering", () => {
    const fs = frames(render([
      { type: "start", id: "resp_1", model: "m", created: 1 },
      { type: "text_delta", index: 0, text: "x" },
      { type: "error", status: 500, message: "boom" },
    ]));
    const last = fs.at(-1)!;
    assert.equal(last.event, "error");
    assert.equal(last.data.sequence_number, fs.length - 1);
    assert.deepEqual(last.data, { type: "error", code: "internal_server_error", message: "boom", sequence_number: 5 });
  });

  test("Codex clients get response.failed even before the first frame, with a generated id", () => {
    const fs = frames(render([{ type: "error", status: 401, message: "bad key" }], "codex-tui/0.46.0"));
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.event, "response.failed");
    const response = fs[0]!.data.response as Record<string, unknown>;
    assert.equal(response.status, "failed");
    assert.deepEqual(response.error, { type: "invalid_request_error", code: "invalid_api_key", message: "bad key" });
    assert.match(String(response.id), /^resp_/);
  });

  test("Codex clients are recognised by User-Agent or Originator, case-insensitively", () => {
    for (
      const ua of [
        "codex_cli_rs/0.50.0 (Linux)",
        "codex_cli_rs",
        "codex-tui/1.0",
        "Codex Desktop/1.2.3",
        " codex desktop",
      ]
    ) {
      assert.ok(isCodexClient(ua), ua);
    }
    for (const ua of [undefined, "", "curl/8.5.0", "OpenAI/JS 5.0", "my-codex_cli_rs"]) {
      assert.ok(!isCodexClient(ua), String(ua));
    }
  });

  test("error messages are redacted and cut to 2048 characters without splitting a surrogate pair", () => {
    assert.equal(
      safeErrorMessage("Authorization: Bearer sk-abc.def and token=xyz"),
      "Authorization: Bearer [REDACTED] and token=[REDACTED]",
    );
    const long = "🚀".repeat(3000);
    const cut = safeErrorMessage(long);
    assert.equal(Array.from(cut).length, 2048);
    assert.ok(cut.endsWith("🚀…"));
    const fs = frames(render([{ type: "error", status: 500, message: long }]));
    assert.equal(Array.from(String(fs[0]!.data.message)).length, 2048);
  });

  test("an upstream JSON error body given as the message yields its own code and message", () => {
    const fs = frames(render([{
      type: "error",
      status: 400,
      message: '{"error":{"type":"invalid_request_error","code":"context_length_exceeded","message":"Too long"}}',
    }]));
    assert.deepEqual(fs[0]!.data, {
      type: "error",
      code: "context_length_exceeded",
      message: "Too long",
      sequence_number: 0,
    });
  });

  test("nothing is rendered after the terminal frame", () => {
    const r = codec.createStreamRenderer({ model: "m", stream: true });
    r.push({ type: "start", id: "resp_x", model: "m", created: 1 });
    assert.notEqual(r.push({ type: "end" }), "");
    for (
      const e of [
        { type: "text_delta", index: 0, text: "late" },
        { type: "block_start", index: 5, block: { type: "text" } },
        { type: "error", status: 500, message: "late" },
        { type: "end" },
      ] satisfies IrStreamEvent[]
    ) assert.equal(r.push(e), "");
  });

  test("tool argument deltas for a block never started are dropped (no id or name to announce)", () => {
    const text = render([
      { type: "start", id: "resp_t", model: "m", created: 1 },
      { type: "tool_args_delta", index: 3, partialJson: "{}" },
      { type: "end" },
    ]);
    assert.ok(!text.includes("function_call"));
    checkStream(text, true);
  });

  test("each delta frame is one JSON.stringify of the event (text with newlines stays on one data line)", () => {
    const text = render([
      { type: "start", id: "resp_n", model: "m", created: 1 },
      { type: "text_delta", index: 0, text: "line1\nline2\r\n" },
    ]);
    const delta = frames(text).find((f) => f.event === "response.output_text.delta")!;
    assert.equal(delta.data.delta, "line1\nline2\r\n");
  });
});
