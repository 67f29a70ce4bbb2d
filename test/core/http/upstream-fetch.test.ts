/**
 * Reading whole upstream bodies (non-stream answers, error bodies) through the runtime's upstream leg: a body of
 * declared length is read in one go, and the size limit still holds for bodies of unknown length, declared lengths
 * over the limit and compressed bodies.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { gzipSync } from "node:zlib";
import { createUpstreamFetch, readAllText } from "../../../core/http/upstream-fetch.ts";
import type { UpstreamRequest } from "../../../core/plugin/types.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function withServer(handler: Handler, run: (url: string) => Promise<void>): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

function get(url: string): UpstreamRequest {
  return { url, method: "GET", headers: new Headers(), body: null };
}

const TEXT = JSON.stringify({ answer: "héllo wörld ✓", pad: "x".repeat(5000) });

test("a body of declared length is read whole, multi-byte characters intact", async () => {
  await withServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(TEXT) });
    res.end(TEXT);
  }, async (url) => {
    const up = await (await createUpstreamFetch())(get(url), new AbortController().signal, null);
    assert.equal(await readAllText(up.body), TEXT);
    assert.equal(await up.body.read(), null, "nothing is left to read afterwards");
  });
});

test("a body of unknown length (chunked) is read chunk by chunk", async () => {
  await withServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(TEXT.slice(0, 100));
    setTimeout(() => res.end(TEXT.slice(100)), 5);
  }, async (url) => {
    const up = await (await createUpstreamFetch())(get(url), new AbortController().signal, null);
    assert.equal(await readAllText(up.body), TEXT);
  });
});

test("the limit holds for a declared length over it and for a chunked body that grows past it", async () => {
  const big = "y".repeat(10_000);
  await withServer((req, res) => {
    if (req.url === "/declared") res.writeHead(200, { "content-length": big.length });
    else res.writeHead(200, {});
    res.end(big);
  }, async (url) => {
    const fetchUp = await createUpstreamFetch();
    for (const path of ["/declared", "/chunked"]) {
      const up = await fetchUp(get(url + path), new AbortController().signal, null);
      await assert.rejects(readAllText(up.body, 4096), /larger than 4096 bytes/, path);
    }
  });
});

test("a compressed body is decoded, and its decoded size is what the limit counts", async () => {
  const zipped = gzipSync(Buffer.from(TEXT));
  // Deno's and Bun's fetch ask for gzip and decode it; the node:http leg (Node) asks for nothing and gets plain text.
  await withServer((req, res) => {
    if (!/gzip/.test(req.headers["accept-encoding"] ?? "")) {
      res.writeHead(200, { "content-length": Buffer.byteLength(TEXT) });
      res.end(TEXT);
      return;
    }
    res.writeHead(200, { "content-encoding": "gzip", "content-length": zipped.byteLength });
    res.end(zipped);
  }, async (url) => {
    const fetchUp = await createUpstreamFetch();
    const up = await fetchUp(get(url), new AbortController().signal, null);
    assert.equal(await readAllText(up.body), TEXT);
    const small = await fetchUp(get(url), new AbortController().signal, null);
    assert.ok(zipped.byteLength < 4096, "the compressed size alone is within the limit");
    await assert.rejects(readAllText(small.body, 4096), /larger than 4096 bytes/);
  });
});

test("a chunked body with a content-length beside it is still held to the limit", async () => {
  // A raw server: node:http would not send both headers.
  const server = createNetServer((socket) => {
    socket.once("data", () => {
      const chunk = "z".repeat(100);
      socket.end(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10\r\ntransfer-encoding: chunked\r\n" +
          `connection: close\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  try {
    let text: string | null = null;
    try {
      const up = await (await createUpstreamFetch())(get(url), new AbortController().signal, null);
      text = await readAllText(up.body, 50);
    } catch (err) {
      // Refused outright (Node's parser) or held to the limit (Deno, Bun): either way nothing past 50 bytes.
      assert.match(String(err), /larger than 50 bytes|Content-Length|Transfer-Encoding|parse|invalid/i);
    }
    assert.equal(text, null, `read ${text?.length} bytes past the 50-byte limit`);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
