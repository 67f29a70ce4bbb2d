/**
 * Same-format stream pass-through, per upstream chunk: the core's `streamPassthrough` (bytes forwarded unchanged, the
 * SSE framer beside them observing usage and the terminal event) over an in-memory ByteSource replaying a recorded
 * OpenAI chat stream, one event per chunk as a token-by-token upstream flushes it, read to the end through the
 * Response body as the HTTP layer reads it.
 *
 * Reference cases over the same chunks and the same ReadableStream plumbing, so the differences are the inspection:
 *  - raw pipe: chunks forwarded with no inspection at all (the floor of a byte-forwarding proxy);
 *  - JSON.parse per chunk: frame the SSE and `JSON.parse` every event (what a proxy that reads each delta pays);
 *  - parse + re-serialise per chunk: parse, `JSON.stringify` and re-encode every event (what peers that rebuild each
 *    SSE line pay).
 * And the core path once more with `streaming.keepalive-seconds` set, which races a timer against every read.
 *
 * All figures are per chunk (one stream per sample, divided by its chunk count).
 *
 * @module
 */
import type { Bench } from "tinybench";
import { FORMAT_PROFILES } from "../core/formats/profiles.ts";
import type { ByteSource, UpstreamResponse } from "../core/http/upstream-fetch.ts";
import { streamPassthrough } from "../core/stream/passthrough.ts";
import { RequestOutcome } from "../core/stream/request-outcome.ts";
import { encodeSseEvent } from "../core/stream/sse-encoder.ts";
import { type SseEvent, SseParser } from "../core/stream/sse-parser.ts";
import { benchContext, benchSnapshot, perUnitAsync } from "./support.ts";
import { mulberry32 } from "../test/helpers/prng.ts";

const utf8 = new TextEncoder();

/** Seeded PRNG (mulberry32): the recorded stream is identical on every run and runtime. */

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
  " Seine",
  ",",
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

/**
 * An OpenAI chat stream with `stream_options.include_usage` (as Switchyard asks for it): role chunk, 196 content
 * deltas, finish chunk, usage chunk, `[DONE]`: 200 SSE events, one per chunk.
 */
function recordedOpenAiStream(): Uint8Array[] {
  const head = {
    id: "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
    object: "chat.completion.chunk",
    created: 1741570283,
    model: "gpt-4o-2024-08-06",
    service_tier: "default",
    system_fingerprint: "fp_eb9dce56a8",
  };
  const frame = (o: unknown) => utf8.encode(`data: ${JSON.stringify(o)}\n\n`);
  const chunk = (delta: object, finish: string | null) =>
    frame({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null });
  const rng = mulberry32(7);
  const out = [chunk({ role: "assistant", content: "", refusal: null }, null)];
  for (let i = 0; i < 196; i++) out.push(chunk({ content: WORDS[Math.floor(rng() * WORDS.length)] }, null));
  out.push(chunk({}, "stop"));
  out.push(frame({ ...head, choices: [], usage: { prompt_tokens: 19, completion_tokens: 196, total_tokens: 215 } }));
  out.push(utf8.encode("data: [DONE]\n\n"));
  return out;
}

const CHUNKS = recordedOpenAiStream();
const BYTES = CHUNKS.reduce((n, c) => n + c.byteLength, 0);

/** The recorded stream as the upstream leg hands it over: a pull-based source that is always ready. */
function replay(chunks: readonly Uint8Array[]): ByteSource {
  let i = 0;
  return {
    read: () => Promise.resolve(i < chunks.length ? chunks[i++]! : null),
    cancel() {
      i = chunks.length;
    },
  };
}

let sink = 0;

/** Reads a client body to the end, as the HTTP layer does. */
async function drain(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    sink += value.byteLength;
  }
}

/** The shape every reference case shares: a pull stream over the source, `work` applied to each chunk. */
function referenceStream(
  source: ByteSource,
  work: (chunk: Uint8Array, out: ReadableStreamDefaultController<Uint8Array>) => void,
) {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await source.read();
      if (chunk === null) controller.close();
      else work(chunk, controller);
    },
  });
}

export async function register(bench: Bench): Promise<void> {
  const profile = FORMAT_PROFILES["openai-chat"];
  const plain = await benchSnapshot();
  const withKeepalive = await benchSnapshot("debug: false\nstreaming:\n  keepalive-seconds: 15\n");
  if (plain.settings.keepaliveMs !== 0 || withKeepalive.settings.keepaliveMs !== 15_000) {
    throw new Error("passthrough bench: unexpected keep-alive settings in the bench snapshots");
  }
  const rcPlain = benchContext(plain);
  const rcKeepalive = benchContext(withKeepalive);
  const n = CHUNKS.length;
  const done = () => {};

  const passthrough = (rc: typeof rcPlain) => async () => {
    const upstream: UpstreamResponse = {
      status: 200,
      headers: new Headers({ "content-type": "text/event-stream" }),
      body: replay(CHUNKS),
    };
    const outcome = new RequestOutcome(rc, done, null);
    const res = await streamPassthrough(rc, upstream, profile, outcome, 1);
    if (!(res instanceof Response)) throw new Error(`passthrough failed: ${res.error.message}`);
    await drain(res.body!);
    if (!outcome.finished) throw new Error("passthrough did not finish");
  };

  // Check once that the core path forwards the bytes unchanged (a bench of a broken path is worthless).
  {
    const before = sink;
    await passthrough(rcPlain)();
    if (sink - before !== BYTES) throw new Error(`passthrough forwarded ${sink - before} of ${BYTES} bytes`);
  }

  const label = `OpenAI stream, ${n} chunks of 1 event, per chunk`;
  bench
    .add(`passthrough: streamPassthrough, ${label}`, perUnitAsync(n, passthrough(rcPlain)))
    .add(
      `passthrough: streamPassthrough with keepalive-seconds 15, ${label}`,
      perUnitAsync(n, passthrough(rcKeepalive)),
    )
    .add(
      `passthrough ref: raw pipe, no inspection, ${label}`,
      perUnitAsync(n, () => drain(referenceStream(replay(CHUNKS), (chunk, out) => out.enqueue(chunk)))),
    )
    .add(
      `passthrough ref: SSE framing + JSON.parse per event, ${label}`,
      perUnitAsync(n, () => {
        const parser = new SseParser();
        const onEvent = (ev: SseEvent) => {
          if (ev.data !== "[DONE]") sink += (JSON.parse(ev.data) as { created: number }).created & 1;
        };
        return drain(referenceStream(replay(CHUNKS), (chunk, out) => {
          parser.push(chunk, onEvent);
          out.enqueue(chunk);
        }));
      }),
    )
    .add(
      `passthrough ref: JSON.parse + re-serialise per event, ${label}`,
      perUnitAsync(n, () => {
        const parser = new SseParser();
        let pending: Uint8Array[] = [];
        const onEvent = (ev: SseEvent) => {
          const data = ev.data === "[DONE]" ? ev.data : JSON.stringify(JSON.parse(ev.data));
          pending.push(utf8.encode(encodeSseEvent({ data })));
        };
        return drain(referenceStream(replay(CHUNKS), (chunk, out) => {
          parser.push(chunk, onEvent);
          for (const bytes of pending) out.enqueue(bytes);
          pending = [];
        }));
      }),
    );
}

/** Bytes of the recorded stream, for MB/s. */
export const PASSTHROUGH_STREAM_BYTES = BYTES;

if ((import.meta as ImportMeta & { main?: boolean }).main) {
  const { Bench } = await import("tinybench");
  const bench = new Bench({ name: "passthrough", time: 1000 });
  await register(bench);
  await bench.run();
  console.table(bench.table());
  for (const task of bench.tasks) {
    const r = task.result as { latency?: { p50: number } };
    if (r.latency) {
      const perChunkMs = r.latency.p50;
      console.log(
        `${task.name}: ${(perChunkMs * 1e6).toFixed(0)} ns/chunk, ${
          (BYTES / CHUNKS.length / 1e6 / (perChunkMs / 1000)).toFixed(0)
        } MB/s`,
      );
    }
  }
  if (sink === -1) console.log("unreachable");
}
