/**
 * SSE hot paths: parsing upstream bytes into events and encoding events for the client.
 *
 * `register(bench)` adds the cases to a shared runner; run this file directly (Deno, Bun) to print its own table:
 * `deno run -A bench/sse.bench.ts` or `bun bench/sse.bench.ts`.
 *
 * @module
 */

import { Bench } from "tinybench";
import { type SseEvent, SseParser } from "../core/stream/sse-parser.ts";
import { SseDecoderStream } from "../core/stream/sse-decoder.ts";
import { encodeSseEvent } from "../core/stream/sse-encoder.ts";
import { mulberry32 } from "../test/helpers/prng.ts";

const utf8 = new TextEncoder();

/** Seeded PRNG (mulberry32): the fixtures are identical on every run and runtime. */

const WORDS = [
  " the",
  " capital",
  " of",
  " France",
  " is",
  " Paris",
  ".",
  "\n\n",
  " It",
  " sits",
  " on",
  " the",
  " Seine",
  ",",
  " and",
  " café",
  " culture",
  " —",
  " 日本語",
  " résumé",
  ' "quoted"',
  " 👋",
  " tokens",
  " stream",
];

function tokens(rng: () => number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(rng() * WORDS.length)]!);
  return out;
}

/** ~200 events as OpenAI sends them: role chunk, content deltas, finish chunk, usage chunk, `[DONE]`. */
function openAiEvents(): SseEvent[] {
  const head = {
    id: "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
    object: "chat.completion.chunk",
    created: 1741570283,
    model: "gpt-4o-2024-08-06",
    service_tier: "default",
    system_fingerprint: "fp_eb9dce56a8",
  };
  const chunk = (delta: object, finish: string | null) =>
    JSON.stringify({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null });
  const events: SseEvent[] = [{ data: chunk({ role: "assistant", content: "", refusal: null }, null) }];
  for (const t of tokens(mulberry32(1), 196)) events.push({ data: chunk({ content: t }, null) });
  events.push({ data: chunk({}, "stop") });
  events.push({
    data: JSON.stringify({
      ...head,
      choices: [],
      usage: { prompt_tokens: 19, completion_tokens: 196, total_tokens: 215 },
    }),
  });
  events.push({ data: "[DONE]" });
  return events;
}

/** ~200 events as Claude sends them, each with its `event:` line. */
function claudeEvents(): SseEvent[] {
  const ev = (data: { type: string; [key: string]: unknown }): SseEvent => ({
    event: data.type,
    data: JSON.stringify(data),
  });
  const events: SseEvent[] = [
    ev({
      type: "message_start",
      message: {
        id: "msg_01XFDUDYJgAACzvnptvVoYEL",
        type: "message",
        role: "assistant",
        content: [],
        model: "claude-sonnet-4-5-20250929",
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 472, output_tokens: 2 },
      },
    }),
    ev({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    ev({ type: "ping" }),
  ];
  for (const t of tokens(mulberry32(2), 194)) {
    events.push(ev({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: t } }));
  }
  events.push(ev({ type: "content_block_stop", index: 0 }));
  events.push(
    ev({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 194 },
    }),
  );
  events.push(ev({ type: "message_stop" }));
  return events;
}

/** Splits bytes into network-sized chunks of 1–4 KiB, as a socket read delivers them (cutting anywhere). */
function networkChunks(bytes: Uint8Array, seed: number): Uint8Array[] {
  const rng = mulberry32(seed);
  const chunks: Uint8Array[] = [];
  for (let from = 0; from < bytes.length;) {
    const to = Math.min(bytes.length, from + 1024 + Math.floor(rng() * 3073));
    chunks.push(bytes.subarray(from, to));
    from = to;
  }
  return chunks;
}

interface StreamFixture {
  events: SseEvent[];
  bytes: Uint8Array;
  chunks: Uint8Array[];
}

function fixture(events: SseEvent[], seed: number): StreamFixture {
  const bytes = utf8.encode(events.map(encodeSseEvent).join(""));
  return { events, bytes, chunks: networkChunks(bytes, seed) };
}

const OPENAI = fixture(openAiEvents(), 11);
const CLAUDE = fixture(claudeEvents(), 12);

// Results go to a sink the engine cannot prove unused.
let sink = 0;
function count(ev: SseEvent): void {
  sink += ev.data.length;
}

function parseAll(chunks: readonly Uint8Array[]): void {
  const parser = new SseParser();
  for (const chunk of chunks) parser.push(chunk, count);
  parser.end(count);
}

async function decodeAll(chunks: readonly Uint8Array[]): Promise<void> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  const reader = source.pipeThrough(new SseDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    count(value);
  }
}

function encodeAll(events: readonly SseEvent[]): void {
  for (const ev of events) sink += utf8.encode(encodeSseEvent(ev)).length;
}

const PARSE_OPENAI = `sse parse: OpenAI ${OPENAI.events.length} events, ${OPENAI.chunks.length} chunks`;
const PARSE_CLAUDE = `sse parse: Claude ${CLAUDE.events.length} events, ${CLAUDE.chunks.length} chunks`;
const DECODE_OPENAI = `sse decode stream: OpenAI ${OPENAI.events.length} events`;

/** Bytes one run of each parse case consumes, for MB/s. */
export const SSE_BENCH_BYTES: Readonly<Record<string, number>> = {
  [PARSE_OPENAI]: OPENAI.bytes.length,
  [PARSE_CLAUDE]: CLAUDE.bytes.length,
  [DECODE_OPENAI]: OPENAI.bytes.length,
};

/** Adds the SSE cases to `bench`. Async because the shared runner awaits every suite's `register`. */
// deno-lint-ignore require-await
export async function register(bench: Bench): Promise<void> {
  bench
    .add(PARSE_OPENAI, function parseOpenAiStream() {
      parseAll(OPENAI.chunks);
    })
    .add(PARSE_CLAUDE, function parseClaudeStream() {
      parseAll(CLAUDE.chunks);
    })
    .add(DECODE_OPENAI, async function decodeOpenAiStream() {
      await decodeAll(OPENAI.chunks);
    })
    .add(`sse encode: OpenAI ${OPENAI.events.length} events to bytes`, function encodeOpenAiEvents() {
      encodeAll(OPENAI.events);
    })
    .add(`sse encode: Claude ${CLAUDE.events.length} events to bytes`, function encodeClaudeEvents() {
      encodeAll(CLAUDE.events);
    });
}

if ((import.meta as ImportMeta & { main?: boolean }).main) {
  const bench = new Bench({ name: "sse" });
  await register(bench);
  await bench.run();
  console.table(bench.table());
  for (const task of bench.tasks) {
    const bytes = SSE_BENCH_BYTES[task.name];
    const result = task.result;
    if (bytes === undefined || !("period" in result)) continue;
    console.log(`${task.name}: ${(bytes / 1e6 / (result.period / 1000)).toFixed(1)} MB/s (${bytes} bytes per run)`);
  }
  if (sink === 0) console.log("unreachable");
}
