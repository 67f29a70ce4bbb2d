/**
 * Stream pipeline flow control over real HTTP: SSE keep-alives (vector 27) only between events, the non-stream
 * keep-alive, a client that leaves mid-stream (the upstream connection is closed and afterResponse sees
 * `cancelled: true`), and backpressure (a slow client pauses the upstream instead of Switchyard buffering it).
 *
 * The upstream here is a scripted loopback server (test/core/http/edge-helpers.ts) so a test can time each chunk
 * and see the upstream side of the connection: how many chunks were pulled, and whether it was cancelled.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chatCompletion, chatStreamChunks } from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard, type TestSwitchyard } from "../../helpers/switchyard.ts";
import {
  eventually,
  NATIVE_PROVIDER_PLUGIN,
  readText,
  RECORDER_PLUGIN,
  type ScriptedUpstream,
  sleep,
  startScriptedUpstream,
  summariesFor,
  testId,
} from "../http/edge-helpers.ts";

const KEY = "sk-flow";
/** These tests wait for real timers; Bun's default 5 s per-test limit is too tight for some. */
const SLOW = { timeout: 20_000 };
const KEEPALIVE = ": keep-alive\n\n";
const utf8 = new TextEncoder();

type Step = { chunk: string } | { wait: number };

/** What one scripted upstream response did. */
interface Track {
  pulled: number;
  cancelled: boolean;
  aborted: boolean;
}

/** A streamed upstream response that plays `steps` (text chunks and pauses), recording pulls and cancellation. */
function scriptedStream(request: Request, steps: readonly Step[], track: Track): Response {
  request.signal.addEventListener("abort", () => (track.aborted = true));
  let i = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (i < steps.length) {
        const step = steps[i++]!;
        if ("wait" in step) {
          await new Promise((resolve) => (timer = setTimeout(resolve, step.wait)));
          continue;
        }
        track.pulled++;
        controller.enqueue(utf8.encode(step.chunk));
        return;
      }
      controller.close();
    },
    cancel() {
      clearTimeout(timer);
      track.cancelled = true;
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
}

function newTrack(): Track {
  return { pulled: 0, cancelled: false, aborted: false };
}

function count(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

type Script = (request: Request, body: string) => Response | Promise<Response>;

describe("keep-alives", () => {
  let upstream: ScriptedUpstream;
  let script: Script = () => new Response("no script", { status: 500 });
  let sy: TestSwitchyard;

  before(async () => {
    upstream = await startScriptedUpstream((req, body) => script(req, body));
    sy = await startTestSwitchyard(
      `
api-keys: ["${KEY}"]
# These tests script failures on shared upstreams; credential cooldowns are covered in test/core/routing/.
disable-cooling: true
streaming:
  keepalive-seconds: 1
nonstream-keepalive-interval: 1
plugins:
  - openai-compatible
  - ./recorder.mjs
  - use: ./native.mjs
    options:
      base: "${upstream.url}"
      models: ["gem-m"]
openai-compatibility:
  - name: scripted
    base-url: "${upstream.url}/v1"
    models:
      - name: up-flow
        alias: flow
`,
      { files: { "recorder.mjs": RECORDER_PLUGIN, "native.mjs": NATIVE_PROVIDER_PLUGIN } },
    );
  });
  after(async () => {
    await sy.stop();
    await upstream.close();
  });

  const chat = (stream: boolean, id = testId("ka"), model = "flow") =>
    fetch(`${sy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}`, "x-test-id": id },
      body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "hi" }] }),
    });

  test("vector 27: a stall after the first chunk gets ≥2 `: keep-alive` frames, between events only", SLOW, async () => {
    const frames = chatStreamChunks(["slow", " answer"], "up-flow");
    const [first, ...rest] = frames;
    script = (req) =>
      scriptedStream(req, [{ chunk: first! }, { wait: 2800 }, { chunk: rest.join("") }, { wait: 1500 }], newTrack());
    const res = await chat(true);
    assert.equal(res.status, 200);
    const text = await readText(res);
    assert.ok(count(text, KEEPALIVE) >= 2, `expected ≥2 keep-alives in ${JSON.stringify(text)}`);
    assert.equal(text.split(KEEPALIVE).join(""), frames.join(""), "without the keep-alives: the upstream's bytes");
    for (let i = text.indexOf(KEEPALIVE); i !== -1; i = text.indexOf(KEEPALIVE, i + 1)) {
      assert.equal(text.slice(i - 2, i), "\n\n", `keep-alive at ${i} follows a complete event`);
    }
    // The upstream kept the connection open after [DONE]; nothing may follow it.
    assert.ok(text.endsWith("\n\ndata: [DONE]\n\n"), `ends with exactly data: [DONE]: ${JSON.stringify(text.slice(-60))}`);
  });

  test("a stall in the middle of an event gets no keep-alive (it would corrupt the event)", SLOW, async () => {
    const frames = chatStreamChunks(["mid"], "up-flow");
    const whole = frames.join("");
    const cut = frames[0]!.length + 20; // inside the second event; the pause spans two ticks
    script = (req) =>
      scriptedStream(req, [{ chunk: whole.slice(0, cut) }, { wait: 2400 }, { chunk: whole.slice(cut) }], newTrack());
    const res = await chat(true);
    assert.equal(res.status, 200);
    const text = await readText(res);
    assert.equal(count(text, KEEPALIVE), 0);
    assert.equal(text, whole);
  });

  test("a raw Gemini stream (alt=json) gets no keep-alive", SLOW, async () => {
    const parts = ['[{"candidates":[{"content":{"parts":[{"text":"a"}]}}]}', ',{"candidates":[]}]'];
    script = (req) => scriptedStream(req, [{ chunk: parts[0]! }, { wait: 1600 }, { chunk: parts[1]! }], newTrack());
    const res = await fetch(`${sy.url}/v1beta/models/gem-m:streamGenerateContent?alt=json`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": KEY },
      body: JSON.stringify({ contents: [] }),
    });
    assert.equal(res.status, 200);
    assert.equal(await readText(res), parts.join(""));
  });

  test("nonstream-keepalive-interval: a slow answer is preceded by newlines, then valid JSON", SLOW, async () => {
    const answer = chatCompletion("took a while", "up-flow");
    script = async () => {
      await sleep(2200);
      return Response.json(answer);
    };
    const id = testId("nska");
    const res = await chat(false, id);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    const text = await readText(res);
    assert.match(text, /^\n+\{/, `starts with newlines: ${JSON.stringify(text.slice(0, 10))}`);
    assert.deepEqual(JSON.parse(text), answer, "JSON parsers skip the leading whitespace");
    await eventually(() => summariesFor(id).length === 1, 5000, "afterResponse");
    assert.equal(summariesFor(id)[0]!.error, null);
  });

  test("nonstream-keepalive-interval: an answer faster than the interval is sent as is", SLOW, async () => {
    const answer = chatCompletion("quick", "up-flow");
    script = () => Response.json(answer);
    const res = await chat(false);
    assert.equal(res.status, 200);
    assert.equal(await readText(res), JSON.stringify(answer));
  });

  test("nonstream-keepalive-interval: an error before the first newline keeps its status and body", SLOW, async () => {
    const upstreamBody = '{"error":{"message":"upstream broke","type":"server_error"}}';
    script = () => new Response(upstreamBody, { status: 500, headers: { "content-type": "application/json" } });
    const id = testId("nska-err");
    const res = await chat(false, id);
    assert.equal(res.status, 500);
    assert.equal(await readText(res), upstreamBody);
    await eventually(() => summariesFor(id).length === 1, 5000, "afterResponse for the failed request");
    assert.equal(summariesFor(id)[0]!.error?.status, 500);
    const store = sy.runtime.store;
    await eventually(() => store.inflight(store.current) === 0, 5000, "the snapshot lease to be released");

    const unknown = await chat(false, testId("nska-400"), "nope");
    assert.equal(unknown.status, 400);
    assert.equal(
      await readText(unknown),
      '{"error":{"message":"unknown provider for model nope","type":"invalid_request_error","code":"model_not_found","param":"model"}}',
    );
  });

  test("nonstream-keepalive-interval: an error after newlines were sent is the JSON body of the 200", SLOW, async () => {
    script = async () => {
      await sleep(1500);
      return new Response('{"error":{"message":"late failure"}}', { status: 503 });
    };
    const id = testId("nska-late");
    const res = await chat(false, id);
    assert.equal(res.status, 200, "the status was committed with the first newline");
    const text = await readText(res);
    assert.match(text, /^\n+\{/);
    assert.deepEqual(JSON.parse(text), { error: { message: "late failure" } });
    await eventually(() => summariesFor(id).length === 1, 5000, "afterResponse for the failed request");
    assert.equal(summariesFor(id)[0]!.error?.status, 503);
  });
});

describe("client disconnect and backpressure", () => {
  let upstream: ScriptedUpstream;
  let script: Script = () => new Response("no script", { status: 500 });
  let sy: TestSwitchyard;

  before(async () => {
    upstream = await startScriptedUpstream((req, body) => script(req, body));
    sy = await startTestSwitchyard(
      `
api-keys: ["${KEY}"]
# These tests script failures on shared upstreams; credential cooldowns are covered in test/core/routing/.
disable-cooling: true
plugins:
  - openai-compatible
  - ./recorder.mjs
openai-compatibility:
  - name: scripted
    base-url: "${upstream.url}/v1"
    models:
      - name: up-flow
        alias: flow
`,
      { files: { "recorder.mjs": RECORDER_PLUGIN } },
    );
  });
  after(async () => {
    await sy.stop();
    await upstream.close();
  });

  /** An endless-looking upstream stream: one small frame every 30 ms, at most 600 (18 s). */
  function trickle(track: Track): Script {
    const frame = `data: ${JSON.stringify({ id: "c", choices: [{ index: 0, delta: { content: "tick" } }] })}\n\n`;
    const steps: Step[] = [];
    for (let i = 0; i < 600; i++) steps.push({ chunk: frame }, { wait: 30 });
    return (req) => scriptedStream(req, steps, track);
  }

  for (const how of ["abort", "cancel"] as const) {
    test(`client leaves mid-stream (${how}) → upstream connection closed, afterResponse sees cancelled: true`, SLOW, async () => {
      const track = newTrack();
      script = trickle(track);
      const id = testId(`leave-${how}`);
      const controller = new AbortController();
      const res = await fetch(`${sy.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}`, "x-test-id": id },
        body: JSON.stringify({ model: "flow", stream: true, messages: [] }),
        signal: controller.signal,
      });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let received = "";
      for (let i = 0; i < 50 && (received.match(/\n\n/g) ?? []).length < 3; i++) {
        const { value, done } = await reader.read();
        if (done) break;
        received += new TextDecoder().decode(value);
      }
      assert.ok((received.match(/\n\n/g) ?? []).length >= 3, "the stream was flowing");
      if (how === "abort") controller.abort();
      else await reader.cancel();

      await eventually(() => track.cancelled || track.aborted, 5000, "the upstream connection to close");
      await eventually(() => summariesFor(id).length === 1, 5000, "afterResponse");
      const summary = summariesFor(id)[0]!;
      assert.equal(summary.cancelled, true);
      assert.equal(summary.stream, true);
      // And the upstream is no longer being read.
      const pulled = track.pulled;
      await sleep(300);
      assert.ok(track.pulled <= pulled + 1, `upstream still pulled: ${pulled} → ${track.pulled}`);
      assert.ok(track.pulled < 100, "the upstream stopped long before its end");
    });
  }

  test("backpressure: a slow client pauses the upstream instead of Switchyard buffering it", SLOW, async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 2048; // 128 MiB if it were all pulled
    const payload = "x".repeat(CHUNK - 100);
    const frame = `data: {"id":"c","choices":[{"index":0,"delta":{"content":"${payload}"}}]}\n\n`;
    const track = newTrack();
    script = (req) => {
      req.signal.addEventListener("abort", () => (track.aborted = true));
      const bytes = utf8.encode(frame);
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (track.pulled >= TOTAL) {
            controller.enqueue(utf8.encode("data: [DONE]\n\n"));
            controller.close();
            return;
          }
          track.pulled++;
          controller.enqueue(bytes.slice());
        },
        cancel() {
          track.cancelled = true;
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    };
    const res = await fetch(`${sy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: "flow", stream: true, messages: [] }),
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let read = 0;
    const readBytes = async (n: number) => {
      const target = read + n;
      while (read < target) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended early");
        read += value.byteLength;
      }
    };
    try {
      await readBytes(3 * CHUNK);
      // The client now stops reading. Wait until the upstream stops being pulled (bounded).
      let last = -1;
      for (let i = 0; i < 40 && track.pulled !== last; i++) {
        last = track.pulled;
        await sleep(250);
      }
      const paused = track.pulled;
      if (process.env.EDGE_DEBUG) console.log(`backpressure: paused at ${paused} chunks, client read ${read} bytes`);
      assert.equal(track.pulled, last, "the upstream came to a stop");
      assert.ok(
        paused < TOTAL / 4,
        `the upstream was pulled ${paused} × 64 KiB while the client had read ${Math.round(read / 1024)} KiB`,
      );
      // Reading on resumes the upstream: the stop was backpressure, not a stall.
      await readBytes(paused * CHUNK + 4 * CHUNK);
      assert.ok(track.pulled > paused, `resumed: ${paused} → ${track.pulled}`);
      assert.ok(track.pulled < TOTAL, "still not everything");
    } finally {
      await reader.cancel();
    }
    await eventually(() => track.cancelled || track.aborted, 5000, "the upstream connection to close");
  });
});
