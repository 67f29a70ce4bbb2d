/**
 * The Responses stream parser: never throws on junk, emits a consistent IR sequence (start first, blocks opened before
 * their deltas and closed once), stops at the terminal event, and round-trips with the renderer.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { IrStreamEvent } from "../../../../core/formats/ir.ts";
import { openAIResponsesCodec as codec } from "../../../../core/formats/openai-responses/codec.ts";
import { mulberry32 } from "../../../helpers/prng.ts";
import { parseStream } from "./stream-check.ts";

const HERE = new URL(".", import.meta.url);
const vectors = (kind: string) =>
  JSON.parse(readFileSync(new URL(`../../../conformance/openai-responses/${kind}.json`, HERE), "utf8")) as {
    name: string;
    input: unknown;
    expected: unknown;
  }[];

const parser = () => codec.createStreamParser({ model: "m", stream: true });

/** Asserts the IR invariants a renderer relies on. */
function checkIr(events: IrStreamEvent[]): void {
  const open = new Set<number>();
  const seen = new Set<number>();
  let last = -1;
  let started = false;
  let ended = false;
  for (const e of events) {
    assert.ok(!ended, `event after the end: ${JSON.stringify(e)}`);
    switch (e.type) {
      case "start":
        assert.ok(!started, "one start");
        started = true;
        break;
      case "block_start":
        assert.ok(started, "start precedes blocks");
        assert.ok(!seen.has(e.index) && e.index > last, "block indexes are unique and increasing");
        seen.add(e.index);
        open.add(e.index);
        last = e.index;
        break;
      case "block_stop":
        assert.ok(open.delete(e.index), `block ${e.index} stopped while not open`);
        break;
      case "text_delta":
      case "thinking_delta":
      case "signature_delta":
      case "tool_args_delta":
        assert.ok(open.has(e.index), `${e.type} for block ${e.index} that is not open`);
        break;
      case "finish":
        assert.equal(open.size, 0, "blocks closed before finish");
        break;
      case "end":
      case "error":
        ended = true;
        break;
    }
  }
}

const TYPES = [
  "response.created",
  "response.output_item.added",
  "response.output_item.done",
  "response.content_part.added",
  "response.content_part.done",
  "response.output_text.delta",
  "response.output_text.done",
  "response.refusal.delta",
  "response.function_call_arguments.delta",
  "response.function_call_arguments.done",
  "response.reasoning_summary_part.added",
  "response.reasoning_summary_text.delta",
  "response.reasoning_summary_text.done",
  "response.reasoning_text.delta",
  "response.completed",
  "response.incomplete",
  "response.failed",
  "error",
];
const JUNK: unknown[] = [null, 0, -1, 1.5, "", "x", true, [], {}, [1, 2], { text: 5 }, { type: 7 }, "{"];

describe("Responses stream parser", () => {
  test("junk never throws and what it emits is a consistent IR sequence", () => {
    const rand = mulberry32(0xbad);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const field = () => (rand() < 0.5 ? pick(JUNK) : undefined);
    for (let i = 0; i < 500; i++) {
      const p = parser();
      const events: IrStreamEvent[] = [];
      const emit = (e: IrStreamEvent) => events.push(e);
      const n = 1 + Math.floor(rand() * 20);
      for (let k = 0; k < n; k++) {
        const r = rand();
        let data: string;
        if (r < 0.1) data = pick(["", "[DONE]", "not json", "{", "null", "[]", "42", '"str"']);
        else {
          const type = pick(TYPES);
          const item = rand() < 0.7
            ? {
              type: pick(["message", "function_call", "reasoning", "custom_tool_call", "web_search_call", 3]),
              id: field(),
              call_id: field(),
              name: field(),
              arguments: field(),
              encrypted_content: field(),
              summary: field(),
              content: field(),
            }
            : field();
          data = JSON.stringify({
            type: rand() < 0.9 ? type : field(),
            output_index: rand() < 0.8 ? Math.floor(rand() * 3) : field(),
            item_id: field(),
            item,
            part: rand() < 0.5 ? { type: pick(["output_text", "refusal", "x"]), text: field() } : field(),
            delta: rand() < 0.8 ? pick(["a", "", "é"]) : field(),
            text: field(),
            arguments: field(),
            response: rand() < 0.7
              ? {
                id: field(),
                status: pick(["completed", "incomplete", "failed", 5]),
                output: field(),
                usage: field(),
                error: field(),
              }
              : field(),
            error: field(),
            code: field(),
            message: field(),
          });
        }
        p.push(rand() < 0.5 ? undefined : pick(TYPES), data, emit);
      }
      p.end(emit);
      checkIr(events);
    }
  });

  test("recorded streams give consistent IR sequences", () => {
    for (const v of vectors("stream-parse")) checkIr(parseStream(parser(), v.input as string));
  });

  test("nothing is emitted after the terminal event", () => {
    const p = parser();
    const events: IrStreamEvent[] = [];
    const emit = (e: IrStreamEvent) => events.push(e);
    p.push("response.completed", '{"type":"response.completed","response":{"id":"r","status":"completed"}}', emit);
    const n = events.length;
    p.push("response.output_text.delta", '{"type":"response.output_text.delta","output_index":0,"delta":"late"}', emit);
    p.push("error", '{"type":"error","message":"late"}', emit);
    p.end(emit);
    assert.equal(events.length, n);
    assert.deepEqual(events.map((e) => e.type), ["start", "finish", "end"]);
  });

  test("a stream cut short emits no end (the pipeline reports the missing terminal event)", () => {
    const events = parseStream(
      parser(),
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","output_index":0,"delta":"Hi"}\n\n',
    );
    assert.deepEqual(events, [
      { type: "start", id: "", model: "", created: 0 },
      { type: "block_start", index: 0, block: { type: "text" } },
      { type: "text_delta", index: 0, text: "Hi" },
    ]);
  });

  test("the event name is used when the payload has no type", () => {
    const events = parseStream(
      parser(),
      'event: response.created\ndata: {"response":{"id":"resp_1","model":"m","created_at":5}}\n\n',
    );
    assert.deepEqual(events, [{ type: "start", id: "resp_1", model: "m", created: 5 }]);
  });

  test("render → parse round trip keeps every recorded stream that ends cleanly", () => {
    for (const v of vectors("stream-parse")) {
      const ir = v.expected as IrStreamEvent[];
      const last = ir.at(-1)!;
      if (last.type !== "end") continue;
      const r = codec.createStreamRenderer({ model: "m", stream: true });
      const text = ir.map((e) => r.push(e)).join("");
      const again = parseStream(parser(), text).map((e) => (e.type === "start" ? { ...e, model: "up" } : e));
      const want = ir.map((e) => (e.type === "start" ? { ...e, model: "up" } : e))
        // The Responses wire has no refusal stop: Claude-style refusal becomes the content filter.
        .map((
          e,
        ) => (e.type === "finish" && e.stopReason === "refusal" ? { ...e, stopReason: "content_filter" as const } : e));
      assert.deepEqual(again, want, v.name);
    }
  });
});
