/**
 * The reference for the end-to-end benchmark: the smallest Hono app that forwards POST /v1/chat/completions to the
 * upstream with the runtime's global `fetch` and streams the answer back (no parsing, no routing, no plugins).
 *
 *   deno run -A bench/e2e/bare-proxy.ts --upstream http://127.0.0.1:PORT [--inspect]
 *   bun bench/e2e/bare-proxy.ts --upstream …
 *   node --import ./test/node-loader.mjs bench/e2e/bare-proxy.ts --upstream …
 *
 * `--inspect` makes it the second reference, the floor of any proxy that looks at the answer's bytes (to find usage,
 * the terminal event, in-band errors, or to log them): the same app, but the body is read in JS and served from a JS
 * stream, chunk by chunk with nothing done to the chunks (a BYOB reader into one reused buffer on Deno, as
 * Switchyard reads; a default reader elsewhere); a non-stream answer is read whole and sent as bytes. Without
 * `--inspect` the runtime splices the upstream body into the response natively and JS never sees a chunk.
 *
 * Prints `listening on http://127.0.0.1:PORT` once ready.
 *
 * @module
 */
import process from "node:process";
import { Hono } from "hono";

const argv = process.argv;
const at = argv.indexOf("--upstream");
const upstream = at === -1 ? process.env.BENCH_UPSTREAM : argv[at + 1];
if (!upstream) throw new Error("bare-proxy: --upstream URL is required");
const portAt = argv.indexOf("--port");
const port = portAt === -1 ? 0 : Number(argv[portAt + 1]);
const target = `${upstream}/v1/chat/completions`;
const inspect = argv.includes("--inspect");

/** The upstream body re-served from a JS stream: what reading every chunk costs, and nothing more. */
function throughJs(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let byob: ReadableStreamBYOBReader | null = null;
  if (typeof (globalThis as { Deno?: unknown }).Deno !== "undefined") {
    try {
      byob = body.getReader({ mode: "byob" });
    } catch {
      byob = null;
    }
  }
  if (byob !== null) {
    const reader = byob;
    let buffer = new ArrayBuffer(16 * 1024);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const r = await reader.read(new Uint8Array(buffer));
        if (r.done) return controller.close();
        buffer = r.value.buffer as ArrayBuffer;
        controller.enqueue(r.value.slice());
      },
      cancel: () => reader.cancel(),
    });
  }
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await reader.read();
      if (r.done) return controller.close();
      controller.enqueue(r.value);
    },
    cancel: () => reader.cancel(),
  });
}

const app = new Hono();
app.post("/v1/chat/completions", async (c) => {
  const res = await fetch(target, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-upstream" },
    body: await c.req.arrayBuffer(),
    signal: c.req.raw.signal,
  });
  const contentType = res.headers.get("content-type") ?? "application/json";
  const headers = { "content-type": contentType };
  if (!inspect || res.body === null) return new Response(res.body, { status: res.status, headers });
  if (!contentType.startsWith("text/event-stream")) {
    return new Response(new Uint8Array(await res.arrayBuffer()), { status: res.status, headers });
  }
  return new Response(throughJs(res.body), { status: res.status, headers });
});

const ready = (p: number) => console.log(`listening on http://127.0.0.1:${p}`);
const g = globalThis as {
  Deno?: {
    serve(o: { hostname: string; port: number; onListen(a: { port: number }): void }, h: typeof app.fetch): unknown;
  };
  Bun?: {
    serve(o: { hostname: string; port: number; idleTimeout: number; fetch: typeof app.fetch }): { port: number };
  };
};
if (g.Deno) {
  g.Deno.serve({ hostname: "127.0.0.1", port, onListen: (a) => ready(a.port) }, app.fetch);
} else if (g.Bun) {
  ready(g.Bun.serve({ hostname: "127.0.0.1", port, idleTimeout: 255, fetch: app.fetch }).port);
} else {
  const { serve } = await import("@hono/node-server");
  serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, (info) => ready(info.port));
}
