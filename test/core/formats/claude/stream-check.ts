/**
 * A strict checker for Claude Messages SSE as a Claude client receives it: the §4.5 event order, dense block indexes,
 * one open block at a time, deltas that match their block, tool input that is a JSON object, exactly one
 * message_delta, and nothing after message_stop or error.
 */
import assert from "node:assert/strict";
import { SseParser } from "../../../../core/stream/sse-parser.ts";

export interface ClaudeFrame {
  event: string | undefined;
  data: Record<string, unknown>;
}

export function claudeFrames(text: string): ClaudeFrame[] {
  const frames: ClaudeFrame[] = [];
  const sse = new SseParser();
  const on = (ev: { event?: string; data: string }) => frames.push({ event: ev.event, data: JSON.parse(ev.data) });
  sse.pushText(text, on);
  sse.end(on);
  return frames;
}

const STOP_REASONS = new Set(["end_turn", "max_tokens", "tool_use", "stop_sequence", "refusal", "pause_turn"]);
const DELTA_FOR: Record<string, readonly string[]> = {
  text: ["text_delta"],
  thinking: ["thinking_delta", "signature_delta"],
  tool_use: ["input_json_delta"],
};

/**
 * Asserts `text` is a well-formed Claude stream. `complete`: the stream must have ended (message_stop or error);
 * otherwise a valid prefix is enough. Returns the frames.
 */
export function checkClaudeStream(text: string, complete: boolean): ClaudeFrame[] {
  assert.ok(text === "" || text.endsWith("\n\n"), "stream text ends with a blank line");
  const frames = claudeFrames(text);
  let started = false;
  let open: { index: number; type: string; json: string } | null = null;
  let blocks = 0;
  let delta = false;
  let ended = false;
  for (const [i, f] of frames.entries()) {
    const where = `frame ${i} (${f.event})`;
    assert.ok(!ended, `${where}: nothing may follow message_stop or error`);
    assert.equal(f.event, f.data.type, `${where}: event name = data.type`);
    if (f.event === "error") {
      const err = f.data.error as { type?: unknown; message?: unknown };
      assert.equal(typeof err.type, "string", `${where}: error.type`);
      assert.equal(typeof err.message, "string", `${where}: error.message`);
      ended = true;
      continue;
    }
    if (f.event !== "message_start") assert.ok(started, `${where}: message_start comes first`);
    switch (f.event) {
      case "message_start": {
        assert.ok(!started, `${where}: one message_start`);
        started = true;
        const m = f.data.message as Record<string, unknown>;
        assert.equal(m.type, "message");
        assert.equal(m.role, "assistant");
        assert.equal(typeof m.id, "string");
        assert.ok((m.id as string).length > 0, `${where}: id`);
        assert.equal(typeof m.model, "string");
        assert.deepEqual(m.content, []);
        assert.equal(m.stop_reason, null);
        assert.equal(m.stop_sequence, null);
        const u = m.usage as Record<string, unknown>;
        assert.equal(typeof u.input_tokens, "number");
        assert.equal(typeof u.output_tokens, "number");
        break;
      }
      case "content_block_start": {
        assert.ok(!delta, `${where}: no block after message_delta`);
        assert.equal(open, null, `${where}: one block open at a time`);
        assert.equal(f.data.index, blocks, `${where}: dense indexes`);
        const cb = f.data.content_block as Record<string, unknown>;
        assert.ok(cb.type === "text" || cb.type === "thinking" || cb.type === "tool_use", `${where}: block type`);
        if (cb.type === "text") assert.equal(cb.text, "");
        if (cb.type === "thinking") assert.equal(cb.thinking, "");
        if (cb.type === "tool_use") {
          assert.match(cb.id as string, /^[a-zA-Z0-9_-]+$/, `${where}: tool_use id alphabet`);
          assert.equal(typeof cb.name, "string");
          assert.deepEqual(cb.input, {});
        }
        open = { index: blocks, type: cb.type as string, json: "" };
        blocks++;
        break;
      }
      case "content_block_delta": {
        assert.ok(open, `${where}: delta inside an open block`);
        assert.equal(f.data.index, open.index, `${where}: delta for the open block`);
        const d = f.data.delta as Record<string, unknown>;
        assert.ok(DELTA_FOR[open.type]!.includes(d.type as string), `${where}: ${d.type} in a ${open.type} block`);
        if (d.type === "input_json_delta") open.json += d.partial_json as string;
        break;
      }
      case "content_block_stop": {
        assert.ok(open, `${where}: stop of an open block`);
        assert.equal(f.data.index, open.index, `${where}: stop for the open block`);
        if (open.type === "tool_use" && open.json !== "") {
          const input = JSON.parse(open.json);
          assert.ok(
            input !== null && typeof input === "object" && !Array.isArray(input),
            `${where}: tool input object`,
          );
        }
        open = null;
        break;
      }
      case "message_delta": {
        assert.equal(open, null, `${where}: blocks closed before message_delta`);
        assert.ok(!delta, `${where}: one message_delta`);
        delta = true;
        const d = f.data.delta as Record<string, unknown>;
        assert.ok(STOP_REASONS.has(d.stop_reason as string), `${where}: stop_reason ${d.stop_reason}`);
        assert.equal(d.stop_sequence, null);
        const u = f.data.usage as Record<string, unknown>;
        assert.equal(typeof u.input_tokens, "number");
        assert.equal(typeof u.output_tokens, "number");
        break;
      }
      case "message_stop":
        assert.ok(delta, `${where}: message_delta before message_stop`);
        ended = true;
        break;
      default:
        assert.fail(`${where}: unexpected event`);
    }
  }
  if (complete) assert.ok(ended, "the stream ends with message_stop or error");
  return frames;
}
