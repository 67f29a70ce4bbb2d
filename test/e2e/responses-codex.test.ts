/**
 * The official `openai` SDK's Responses API against a codex-api-key entry: the Codex backend only streams, so a
 * non-stream client gets the response assembled from the stream; a streaming client gets the events.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startTestSwitchyard, type TestSwitchyard } from "../helpers/switchyard.ts";

function codexStream(text: string[]): string[] {
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
  const base = { id: "resp_1", object: "response", created_at: 1700000000, model: "gpt-5-codex", status: "in_progress", output: [] };
  const full = text.join("");
  const item = { id: "msg_1", type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: full, annotations: [] }] };
  return [
    ev("response.created", { response: base }),
    ev("response.in_progress", { response: base }),
    ev("response.output_item.added", { output_index: 0, item: { ...item, status: "in_progress", content: [] } }),
    ev("response.content_part.added", { output_index: 0, item_id: "msg_1", content_index: 0, part: { type: "output_text", text: "", annotations: [] } }),
    ...text.map((t) => ev("response.output_text.delta", { output_index: 0, item_id: "msg_1", content_index: 0, delta: t })),
    ev("response.output_text.done", { output_index: 0, item_id: "msg_1", content_index: 0, text: full }),
    ev("response.content_part.done", { output_index: 0, item_id: "msg_1", content_index: 0, part: { type: "output_text", text: full, annotations: [] } }),
    ev("response.output_item.done", { output_index: 0, item: item }),
    ev("response.completed", {
      response: { ...base, status: "completed", output: [item], usage: { input_tokens: 12, input_tokens_details: { cached_tokens: 2 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 1 }, total_tokens: 17 } },
    }),
  ];
}

describe("openai SDK Responses → codex-api-key (stream-only upstream)", () => {
  let up: FakeUpstream;
  let sy: TestSwitchyard;
  let client: OpenAI;

  before(async () => {
    up = await startFakeUpstream(() => ({ kind: "sse", chunks: codexStream(["Salut", " à ", "toi"]) }));
    sy = await startTestSwitchyard(`
codex-api-key:
  - api-key: "sk-codex"
    base-url: "${up.url}/backend-api/codex"
    models: [{name: gpt-5-codex, alias: codex}]
`);
    client = new OpenAI({ apiKey: "unused", baseURL: `${sy.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await sy.stop();
    await up.close();
  });

  test("non-stream: the answer is assembled from the upstream stream", async () => {
    const res = await client.responses.create({ model: "codex", input: "bonjour", temperature: 0.5, max_output_tokens: 50 });
    assert.equal(res.output_text, "Salut à toi");
    assert.equal(res.usage?.input_tokens, 12);
    const sent = up.requests.at(-1)!;
    assert.equal(sent.path, "/backend-api/codex/responses");
    assert.equal(sent.headers.get("authorization"), "Bearer sk-codex");
    assert.equal(sent.json?.stream, true, "the Codex backend is always streamed");
    assert.equal(sent.json?.store, false);
    assert.equal(sent.json?.temperature, undefined, "fields the backend rejects are dropped");
    assert.deepEqual(sent.json?.reasoning, { effort: "medium" });
    assert.deepEqual(sent.json?.include, ["reasoning.encrypted_content"]);
  });

  test("stream: the SDK reads the events through", async () => {
    const stream = await client.responses.create({ model: "codex", input: "bonjour", stream: true });
    let text = "";
    let completed = false;
    for await (const ev of stream) {
      if (ev.type === "response.output_text.delta") text += ev.delta;
      if (ev.type === "response.completed") completed = true;
    }
    assert.equal(text, "Salut à toi");
    assert.ok(completed);
  });
});
