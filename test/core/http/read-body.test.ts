/**
 * The client's request body: read whole when its length is declared, chunk by chunk otherwise, refused with 413 past
 * the limit either way, and a client that leaves mid-body is a 499, not a server error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { readBody } from "../../../core/http/read-body.ts";
import { ProxyError } from "../../../core/http/proxy-error.ts";
import { startTestSwitchyard, waitFor } from "../../helpers/switchyard.ts";

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://127.0.0.1/v1/chat/completions", { method: "POST", body, headers, duplex: "half" } as RequestInit);

function streamOf(parts: string[]): ReadableStream<Uint8Array> {
  const utf8 = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(utf8.encode(p));
      c.close();
    },
  });
}

test("a body of declared length and a streamed one read the same text", async () => {
  const text = JSON.stringify({ model: "m", messages: [{ role: "user", content: "héllo ✓" }] });
  assert.equal(
    await readBody(post(text, { "content-length": String(new TextEncoder().encode(text).byteLength) }), 1024),
    text,
  );
  assert.equal(await readBody(post(streamOf([text.slice(0, 10), text.slice(10)])), 1024), text);
});

test("past the limit: 413 from the declared length, or while streaming", async () => {
  await assert.rejects(readBody(post("x".repeat(10), { "content-length": "2000" }), 1024), (e: ProxyError) => {
    assert.equal(e.status, 413);
    return true;
  });
  await assert.rejects(readBody(post(streamOf(["x".repeat(600), "y".repeat(600)])), 1024), (e: ProxyError) => {
    assert.equal(e.status, 413);
    return true;
  });
});

test("a body that fails mid-read is a 499 (client gone), not an unhandled error", async () => {
  const broken = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode('{"model":'));
      c.error(new Error("connection reset"));
    },
  });
  await assert.rejects(readBody(post(broken), 1024), (e: ProxyError) => {
    assert.ok(e instanceof ProxyError);
    assert.equal(e.status, 499);
    assert.match(e.message, /connection reset/);
    return true;
  });
});

test("a real client that leaves mid-body: no server error is logged and the snapshot is released", async () => {
  const sy = await startTestSwitchyard(`openai-compatibility: []\n`);
  try {
    const { hostname, port } = new URL(sy.url);
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: hostname,
        port,
        method: "POST",
        path: "/v1/chat/completions",
        headers: { "content-type": "application/json", "content-length": "100" },
      });
      req.on("error", () => resolve());
      req.write('{"model":"x"', () => setTimeout(() => req.destroy(), 50));
      req.on("close", () => resolve());
    });
    await waitFor(() => sy.runtime.store.inflight(sy.runtime.store.current) === 0, 5000, "the lease released");
    // Give the server a moment to log whatever it would.
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!sy.logs.some((l) => /Unhandled error/.test(l)), sy.logs.join("\n"));
  } finally {
    await sy.stop();
  }
});
