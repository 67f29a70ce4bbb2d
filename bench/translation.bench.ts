/**
 * Cross-format stream translation per chunk: an upstream stream in one format is parsed into IR events and rendered
 * in the client's format, exactly as the pipeline does it (SSE parser → upstream codec parser → client renderer).
 * The recorded streams are produced by the codecs' own renderers from one IR conversation, so every pair translates
 * the same content: 200 text deltas and a usage-bearing finish.
 *
 * @module
 */
import type { Bench } from "tinybench";
import { CODECS } from "../core/formats/codecs.ts";
import type { FormatCodec, IrStreamEvent } from "../core/formats/ir.ts";
import type { WireFormat } from "../core/formats/wire-format.ts";
import { SseParser } from "../core/stream/sse-parser.ts";

const DELTAS = 200;

function conversation(): IrStreamEvent[] {
  const events: IrStreamEvent[] = [{ type: "start", id: "msg_bench", model: "bench-model", created: 1_700_000_000 }];
  events.push({ type: "block_start", index: 0, block: { type: "text" } });
  for (let i = 0; i < DELTAS; i++) events.push({ type: "text_delta", index: 0, text: ` token${i % 37} is here,` });
  events.push({ type: "block_stop", index: 0 });
  events.push({ type: "finish", stopReason: "end_turn", usage: { input: 120, output: DELTAS } });
  events.push({ type: "end" });
  return events;
}

/** The upstream's bytes, in network-sized chunks of ~1 KiB. */
function recorded(format: WireFormat): Uint8Array[] {
  const codec = CODECS[format]!;
  const renderer = codec.createStreamRenderer({ model: "bench-model", stream: true });
  const text = conversation().map((e) => renderer.push(e)).join("");
  const bytes = new TextEncoder().encode(text);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 1024) chunks.push(bytes.subarray(i, i + 1024));
  return chunks;
}

/** One full translated stream; returns the client bytes' length so the work cannot be optimised away. */
function translate(chunks: readonly Uint8Array[], upstream: FormatCodec, client: FormatCodec): number {
  const ctx = { model: "client-model", stream: true };
  const parser = upstream.createStreamParser(ctx);
  const renderer = client.createStreamRenderer(ctx);
  let out = 0;
  const emit = (e: IrStreamEvent) => (out += renderer.push(e).length);
  const sse = new SseParser();
  const onSse = (ev: { event?: string; data: string }) => parser.push(ev.event, ev.data, emit);
  for (const c of chunks) sse.push(c, onSse);
  sse.end(onSse);
  parser.end(emit);
  return out;
}

const PAIRS: readonly [string, WireFormat, WireFormat][] = [
  ["Claude upstream → OpenAI chat client", "claude", "openai-chat"],
  ["OpenAI chat upstream → Claude client", "openai-chat", "claude"],
  ["Gemini upstream → Claude client", "gemini", "claude"],
  ["Responses upstream → OpenAI chat client", "openai-responses", "openai-chat"],
];

/** Events per stream, for converting a stream's mean time into a per-chunk cost. */
export const TRANSLATION_EVENTS_PER_STREAM = DELTAS + 5;

export function register(bench: Bench): void {
  let sink = 0;
  for (const [name, from, to] of PAIRS) {
    const chunks = recorded(from);
    const upstream = CODECS[from]!;
    const client = CODECS[to]!;
    bench.add(`translate stream (${DELTAS} deltas): ${name}`, () => {
      sink += translate(chunks, upstream, client);
    });
  }
  void sink;
}
