/**
 * Test helpers for Responses streams: a strict well-formedness check of rendered SSE text, a run through the official
 * SDK's stream accumulator, and a replay of SSE text through the codec's parser.
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import type { IrStreamEvent, StreamParser } from "../../../../core/formats/ir.ts";
import { SseParser } from "../../../../core/stream/sse-parser.ts";

export interface Frame {
  event: string | undefined;
  data: Record<string, unknown>;
}

export function frames(text: string): Frame[] {
  const out: Frame[] = [];
  const p = new SseParser();
  const on = (ev: { event?: string; data: string }) => out.push({ event: ev.event, data: JSON.parse(ev.data) });
  p.pushText(text, on);
  p.end(on);
  return out;
}

interface ItemTrack {
  type: string;
  id: string;
  done: boolean;
  text: string;
  args: string;
  summary: string;
}

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed", "error"]);

/**
 * Asserts that `text` is a well-formed Responses stream prefix (or a whole stream when `complete`): frames named after
 * their `type`, sequence numbers 0, 1, 2…, lifecycle first, item events only between their item's added/done, deltas
 * adding up to their `.done` values, one terminal frame last whose output lists exactly the finished items.
 */
export function checkStream(text: string, complete: boolean): Frame[] {
  const fs = frames(text);
  const items = new Map<number, ItemTrack>();
  const order: number[] = [];
  let terminal: Frame | null = null;
  fs.forEach((f, i) => {
    const d = f.data;
    assert.equal(f.event, d.type, `frame ${i} event name matches its type`);
    assert.equal(d.sequence_number, i, `frame ${i} sequence number`);
    assert.equal(terminal, null, `frame ${i} (${d.type}) after the terminal frame`);
    if (i === 0 && !TERMINAL.has(String(d.type))) assert.equal(d.type, "response.created");
    if (i === 1 && fs[0]!.data.type === "response.created") assert.equal(d.type, "response.in_progress");
    const idx = d.output_index as number;
    const item = items.get(idx);
    const live = (kind: string) => {
      assert.ok(item, `frame ${i} (${d.type}) for unknown output_index ${idx}`);
      assert.equal(item.type, kind, `frame ${i} (${d.type}) on a ${item.type} item`);
      assert.equal(item.done, false, `frame ${i} (${d.type}) after its item was done`);
      if ("item_id" in d) assert.equal(d.item_id, item.id, `frame ${i} item_id`);
      return item;
    };
    switch (d.type) {
      case "response.output_item.added": {
        assert.ok(!items.has(idx), `output_index ${idx} added twice`);
        assert.equal(idx, items.size, "output indexes are allocated in order");
        const it = d.item as Record<string, unknown>;
        items.set(idx, { type: String(it.type), id: String(it.id), done: false, text: "", args: "", summary: "" });
        break;
      }
      case "response.content_part.added":
      case "response.content_part.done":
        live("message");
        break;
      case "response.output_text.delta":
        live("message").text += d.delta as string;
        break;
      case "response.output_text.done":
        assert.equal(d.text, live("message").text, "output_text.done carries the joined deltas");
        break;
      case "response.reasoning_summary_part.added":
      case "response.reasoning_summary_part.done":
        live("reasoning");
        break;
      case "response.reasoning_summary_text.delta":
        live("reasoning").summary += d.delta as string;
        break;
      case "response.reasoning_summary_text.done":
        assert.equal(d.text, live("reasoning").summary);
        break;
      case "response.function_call_arguments.delta":
        live("function_call").args += d.delta as string;
        break;
      case "response.function_call_arguments.done": {
        const it = live("function_call");
        assert.equal(d.arguments, it.args || "{}", "arguments.done carries the joined deltas");
        break;
      }
      case "response.output_item.done": {
        const done = d.item as Record<string, unknown>;
        const it = live(String(done.type));
        assert.equal(done.id, it.id);
        it.done = true;
        order.push(idx);
        break;
      }
      case "response.created":
      case "response.in_progress":
        assert.ok(i <= 1);
        break;
      case "response.completed":
      case "response.incomplete": {
        terminal = f;
        for (const [k, it] of items) assert.ok(it.done, `item ${k} (${it.type}) never done`);
        const output = (d.response as { output: { id: string }[] }).output;
        assert.deepEqual(output.map((o) => o.id), [...items.keys()].sort((a, b) => a - b).map((k) => items.get(k)!.id));
        break;
      }
      case "response.failed":
        terminal = f;
        assert.equal((d.response as { status: string }).status, "failed");
        break;
      case "error":
        terminal = f;
        assert.equal(typeof d.code, "string");
        assert.equal(typeof d.message, "string");
        break;
      default:
        assert.fail(`unexpected frame type ${String(d.type)}`);
    }
  });
  if (complete) assert.ok(terminal, "the stream has a terminal frame");
  return fs;
}

/** Feeds SSE text to the official SDK's `responses.stream()` accumulator and returns its final response. */
export async function sdkFinalResponse(text: string): Promise<OpenAI.Responses.Response> {
  const client = new OpenAI({
    apiKey: "sk-test",
    baseURL: "http://sdk.invalid/v1",
    maxRetries: 0,
    fetch: () => Promise.resolve(new Response(text, { headers: { "content-type": "text/event-stream" } })),
  });
  const stream = client.responses.stream({ model: "m", input: "hi" });
  return await stream.finalResponse();
}

/** Replays SSE text through a stream parser (whole, in one chunk). */
export function parseStream(parser: StreamParser, text: string): IrStreamEvent[] {
  const events: IrStreamEvent[] = [];
  const emit = (e: IrStreamEvent) => events.push(e);
  const sse = new SseParser();
  const on = (ev: { event?: string; data: string }) => parser.push(ev.event, ev.data, emit);
  sse.pushText(text, on);
  sse.end(on);
  parser.end(emit);
  return events;
}
