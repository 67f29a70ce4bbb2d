/**
 * The Claude stream parser beyond the conformance vectors: the vectors compared exactly (they match as subsets only
 * because `created` is the local time), robustness against junk events, and the `created` clock.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { claudeCodec } from "../../../../core/formats/claude/codec.ts";
import type { IrStreamEvent } from "../../../../core/formats/ir.ts";
import { SseParser } from "../../../../core/stream/sse-parser.ts";
import { mulberry32 } from "../../../helpers/prng.ts";

const ctx = { model: "m", stream: true };

function parse(text: string): IrStreamEvent[] {
  const out: IrStreamEvent[] = [];
  const p = claudeCodec.createStreamParser(ctx);
  const sse = new SseParser();
  const on = (ev: { event?: string; data: string }) => p.push(ev.event, ev.data, (e) => out.push(e));
  sse.pushText(text, on);
  sse.end(on);
  p.end((e) => out.push(e));
  return out;
}

const withoutCreated = (events: IrStreamEvent[]) =>
  events.map((e) => {
    if (e.type !== "start") return e;
    const { created: _created, ...rest } = e;
    return rest;
  });

describe("claude stream parser", () => {
  const vectors = JSON.parse(
    readFileSync(new URL("../../../conformance/claude/stream-parse.json", import.meta.url), "utf8"),
  ) as { name: string; input: string; expected: unknown }[];
  for (const v of vectors) {
    test(`exactly the vector's events: ${v.name}`, () => {
      assert.deepEqual(JSON.parse(JSON.stringify(withoutCreated(parse(v.input)))), v.expected);
    });
  }

  test("start.created is the current time in Unix seconds (to the minute)", () => {
    const [start] = parse('event: message_start\ndata: {"type":"message_start","message":{"id":"a","model":"b"}}\n\n');
    assert.equal(start?.type, "start");
    const created = (start as Extract<IrStreamEvent, { type: "start" }>).created;
    assert.ok(Number.isInteger(created));
    assert.ok(Math.abs(created - Date.now() / 1000) <= 61, `created ${created}`);
  });

  test("never throws on junk events and emits only well-typed IR events", () => {
    const rand = mulberry32(0xbad);
    const values: unknown[] = [null, 1, "x", [], {}, true, -1, 1.5, { type: "text" }, [{}], "\u0000"];
    const names = [
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
      "error",
      "ping",
      undefined,
      "weird",
    ];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    for (let i = 0; i < 2000; i++) {
      const p = claudeCodec.createStreamParser(ctx);
      const out: IrStreamEvent[] = [];
      for (let j = 0; j < 12; j++) {
        const event = pick(names);
        const data = rand() < 0.1 ? "{not json" : JSON.stringify({
          type: rand() < 0.8 ? event : pick(values),
          index: rand() < 0.7 ? Math.floor(rand() * 3) : pick(values),
          message: rand() < 0.5
            ? { id: pick(values), model: pick(values), usage: pick([...values, { input_tokens: "1" }]) }
            : pick(values),
          content_block: rand() < 0.6
            ? {
              type: pick(["text", "thinking", "tool_use", "redacted_thinking", 5]),
              id: pick(values),
              name: pick(values),
              input: pick(values),
              text: pick(values),
            }
            : pick(values),
          delta: rand() < 0.7
            ? {
              type: pick(["text_delta", "thinking_delta", "signature_delta", "input_json_delta", "citations_delta", 3]),
              text: pick(values),
              thinking: pick(values),
              signature: pick(values),
              partial_json: pick(values),
              stop_reason: pick([...values, "end_turn", "tool_use"]),
            }
            : pick(values),
          usage: pick([...values, { output_tokens: 3 }]),
          error: pick([...values, { type: "overloaded_error", message: "m" }]),
        });
        p.push(event, data, (e) => out.push(e));
      }
      p.end((e) => out.push(e));
      for (const e of out) {
        switch (e.type) {
          case "start":
            assert.equal(typeof e.id, "string");
            assert.equal(typeof e.model, "string");
            break;
          case "text_delta":
          case "thinking_delta":
            assert.ok(typeof e.text === "string" && e.text !== "");
            break;
          case "tool_args_delta":
            assert.ok(typeof e.partialJson === "string" && e.partialJson !== "");
            break;
          case "block_start":
          case "block_stop":
            assert.ok(Number.isFinite(e.index));
            break;
          case "finish":
            if (e.usage) assert.ok(Number.isFinite(e.usage.input) && Number.isFinite(e.usage.output));
            break;
          case "error":
            assert.ok(e.status >= 400);
            break;
        }
      }
      // One start at most, first; nothing after end or error.
      const starts = out.filter((e) => e.type === "start").length;
      assert.ok(starts <= 1 && (starts === 0 || out[0]!.type === "start"), `case ${i}`);
      const last = out.findIndex((e) => e.type === "end" || e.type === "error");
      assert.ok(last === -1 || last === out.length - 1, `case ${i}: events after the terminal one`);
    }
  });
});
