import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { chatCompletion, chatStreamChunks, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard } from "../../helpers/switchyard.ts";

const UPSTREAM_HEADERS = {
  "x-request-id": "req-123",
  "openai-processing-ms": "42",
  "set-cookie": "session=secret",
  "x-litellm-model": "leak",
  "helicone-id": "leak",
  "access-control-allow-origin": "https://evil.example",
};

async function run(passthrough: boolean, stream: boolean): Promise<Headers> {
  const up = await startFakeUpstream(() =>
    stream
      ? { kind: "sse", chunks: chatStreamChunks(["x"]) }
      : { kind: "json", body: chatCompletion("x"), headers: UPSTREAM_HEADERS }
  );
  const sy = await startTestSwitchyard(`
passthrough-headers: ${passthrough}
openai-compatibility:
  - name: f
    base-url: "${up.url}"
    models: [{name: u, alias: m}]
`);
  try {
    const res = await fetch(`${sy.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "m", stream, messages: [{ role: "user", content: "x" }] }),
    });
    await res.text();
    return res.headers;
  } finally {
    await sy.stop();
    await up.close();
  }
}

describe("passthrough-headers", () => {
  test("off (default): upstream headers stay upstream", async () => {
    const h = await run(false, false);
    assert.equal(h.get("x-request-id"), null);
    assert.equal(h.get("access-control-allow-origin"), "*");
  });

  test("on: upstream headers reach the client, minus cookies, CORS and other gateways' headers", async () => {
    const h = await run(true, false);
    assert.equal(h.get("x-request-id"), "req-123");
    assert.equal(h.get("openai-processing-ms"), "42");
    assert.equal(h.get("set-cookie"), null);
    assert.equal(h.get("x-litellm-model"), null);
    assert.equal(h.get("helicone-id"), null);
    assert.equal(h.get("access-control-allow-origin"), "*", "Switchyard's own CORS header wins");
    assert.equal(h.get("content-type"), "application/json");
  });

  test("on, streaming: the SSE content type is kept", async () => {
    const h = await run(true, true);
    assert.equal(h.get("content-type"), "text/event-stream");
  });
});
