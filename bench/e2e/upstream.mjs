// A loopback fake OpenAI upstream for the end-to-end benchmark, on `node:http` (it runs under Node, Deno or Bun).
//
//   node bench/e2e/upstream.mjs [--port 0] [--events 50] [--burst]
//
// POST /v1/chat/completions answers a chat.completion (JSON) or, when the body asks for `"stream": true`, an SSE
// stream of `--events` events (role chunk, content deltas, finish chunk, usage chunk, `[DONE]`) written one event per
// write with a macrotask between them, as a token-by-token upstream flushes them (`--burst` writes them all at once).
// Every answer is pre-encoded: the upstream does as little as possible so the proxy in front of it is what is measured.
// Prints `listening on http://127.0.0.1:PORT` once ready.
import http from "node:http";
import process from "node:process";

/** Builds the canned answers; exported for the harness's own checks. */
export function cannedAnswers(events = 50) {
  const base = {
    id: "chatcmpl-bench0000000000000000000000",
    object: "chat.completion.chunk",
    created: 1741570283,
    model: "gpt-bench-2025-01-01",
    system_fingerprint: "fp_bench",
  };
  const words = [
    " The",
    " capital",
    " of",
    " France",
    " is",
    " Paris",
    ",",
    " on",
    " the",
    " Seine",
    ".",
    " It",
    " is",
    " known",
    " for",
    " café",
    " culture",
    " and",
    " résumé",
    "-worthy",
    " museums",
    " 🗼",
    ".",
  ];
  const content = Math.max(1, events - 4);
  const frame = (o) => `data: ${JSON.stringify(o)}\n\n`;
  const sse = [
    frame({
      ...base,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
      usage: null,
    }),
  ];
  let text = "";
  for (let i = 0; i < content; i++) {
    const w = words[i % words.length];
    text += w;
    sse.push(
      frame({
        ...base,
        choices: [{ index: 0, delta: { content: w }, logprobs: null, finish_reason: null }],
        usage: null,
      }),
    );
  }
  sse.push(frame({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }], usage: null }));
  sse.push(
    frame({
      ...base,
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: content, total_tokens: 12 + content },
    }),
  );
  sse.push("data: [DONE]\n\n");
  const json = JSON.stringify({
    id: "chatcmpl-bench0000000000000000000000",
    object: "chat.completion",
    created: 1741570283,
    model: "gpt-bench-2025-01-01",
    choices: [{
      index: 0,
      message: { role: "assistant", content: text, refusal: null },
      logprobs: null,
      finish_reason: "stop",
    }],
    usage: { prompt_tokens: 12, completion_tokens: content, total_tokens: 12 + content },
    system_fingerprint: "fp_bench",
  });
  return { sse, json, text };
}

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}

export function startUpstream({ port = 0, events = 50, burst = false } = {}) {
  const answers = cannedAnswers(events);
  const sseChunks = answers.sse.map((s) => Buffer.from(s));
  const sseBurst = Buffer.concat(sseChunks);
  const jsonBody = Buffer.from(answers.json);
  const server = http.createServer((req, res) => {
    if (req.method !== "POST" || !req.url.startsWith("/v1/chat/completions")) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
      return;
    }
    const parts = [];
    req.on("data", (c) => parts.push(c));
    req.on("end", () => {
      let stream = false;
      try {
        stream = JSON.parse(Buffer.concat(parts).toString("utf8")).stream === true;
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"bad json"}}');
        return;
      }
      if (!stream) {
        res.writeHead(200, { "content-type": "application/json", "content-length": jsonBody.length }).end(jsonBody);
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      if (burst) {
        res.end(sseBurst);
        return;
      }
      let i = 0;
      const next = () => {
        if (res.destroyed) return;
        if (i === sseChunks.length - 1) {
          res.end(sseChunks[i]);
          return;
        }
        res.write(sseChunks[i++]);
        setImmediate(next);
      };
      next();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const server = await startUpstream({
    port: Number(arg("--port", "0")),
    events: Number(arg("--events", "50")),
    burst: process.argv.includes("--burst"),
  });
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
