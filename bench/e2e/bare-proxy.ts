/**
 * The reference for the end-to-end benchmark: the smallest Hono app that forwards POST /v1/chat/completions to the
 * upstream with the runtime's global `fetch` and streams the answer back (no parsing, no routing, no plugins).
 *
 *   deno run -A bench/e2e/bare-proxy.ts --upstream http://127.0.0.1:PORT
 *   bun bench/e2e/bare-proxy.ts --upstream …
 *   node --import ./test/node-loader.mjs bench/e2e/bare-proxy.ts --upstream …
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

const app = new Hono();
app.post("/v1/chat/completions", async (c) => {
  const res = await fetch(target, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-upstream" },
    body: await c.req.arrayBuffer(),
    signal: c.req.raw.signal,
  });
  return new Response(res.body, {
    status: res.status,
    headers: { "content-type": res.headers.get("content-type") ?? "application/json" },
  });
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
