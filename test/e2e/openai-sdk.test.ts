import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { chatCompletion, chatStreamChunks, type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startTestSwitchyard, type TestSwitchyard } from "../helpers/switchyard.ts";

describe("openai SDK through an openai-compatibility entry", () => {
  let upstream: FakeUpstream;
  let sy: TestSwitchyard;
  let client: OpenAI;
  const pieces = ["Hel", "lo, ", "wörld ", "🚀", "!"];

  before(async () => {
    upstream = await startFakeUpstream((req) =>
      req.json?.stream
        ? { kind: "sse", chunks: chatStreamChunks(pieces, String(req.json.model)) }
        : { kind: "json", body: chatCompletion("Hello, wörld 🚀!", String(req.json?.model)) }
    );
    sy = await startTestSwitchyard(`
api-keys: ["sk-client"]
openai-compatibility:
  - name: fake
    base-url: "${upstream.url}/v1"
    api-key-entries:
      - api-key: "sk-upstream-secret"
    headers:
      X-Static: "fixed"
      X-Forwarded-User: "$X-Client-User"
    models:
      - name: upstream-model
        alias: my-model
`);
    client = new OpenAI({
      apiKey: "sk-client",
      baseURL: `${sy.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { "X-Client-User": "alice" },
    });
  });
  after(async () => {
    await sy.stop();
    await upstream.close();
  });

  test("non-stream chat completion returns the upstream content and rewrites only the model", async () => {
    const res = await client.chat.completions.create({
      model: "my-model",
      messages: [{ role: "user", content: "hi" }],
      temperature: 0.3,
    });
    assert.equal(res.choices[0]!.message.content, "Hello, wörld 🚀!");
    assert.equal(res.usage?.total_tokens, 18);
    const sent = upstream.requests.at(-1)!;
    assert.equal(sent.path, "/v1/chat/completions");
    assert.equal(sent.headers.get("authorization"), "Bearer sk-upstream-secret");
    assert.equal(sent.headers.get("x-static"), "fixed");
    assert.equal(sent.headers.get("x-forwarded-user"), "alice", "$Name copies the client's header");
    assert.deepEqual(sent.json, { model: "upstream-model", messages: [{ role: "user", content: "hi" }], temperature: 0.3 });
  });

  test("streamed chat completion is byte-identical content and asks for usage", async () => {
    const stream = await client.chat.completions.create({
      model: "my-model",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, pieces.join(""));
    assert.equal(usage?.completion_tokens, pieces.length);
    const sent = upstream.requests.at(-1)!;
    assert.equal(sent.json?.stream, true);
    assert.deepEqual(sent.json?.stream_options, { include_usage: true });
  });

  test("models list shows the alias", async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    assert.deepEqual(ids, ["my-model"]);
  });

  test("a wrong client key is refused with 401", async () => {
    const bad = new OpenAI({ apiKey: "sk-wrong", baseURL: `${sy.url}/v1`, maxRetries: 0 });
    await assert.rejects(bad.models.list(), (err: unknown) => err instanceof OpenAI.APIError && err.status === 401);
  });
});
