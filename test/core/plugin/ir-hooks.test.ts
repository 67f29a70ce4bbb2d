/**
 * The IR hooks on translated requests: transformRequest (before render), transformEvents (per stream event) and
 * transformResponse (single JSON answers), through a real Switchyard with a Claude client and an OpenAI upstream.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chatCompletion, chatStreamChunks, type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard, type TestSwitchyard } from "../../helpers/switchyard.ts";

const PLUGIN = `
export default {
  name: "ir-hooks",
  version: "1.0.0",
  core: "^1.0.0",
  setup() {
    return {
      transformRequest(ir, target) {
        return { ...ir, system: [...ir.system, { type: "text", text: "via " + target.provider.id }] };
      },
      transformEvents() {
        return (e) => {
          if (e.type === "text_delta") return e.text === "drop" ? null : { ...e, text: e.text.toUpperCase() };
        };
      },
      transformResponse(ir) {
        return { ...ir, content: ir.content.map((p) => (p.type === "text" ? { ...p, text: p.text + "!" } : p)) };
      },
    };
  },
};
`;

describe("IR hooks", () => {
  let up: FakeUpstream;
  let sy: TestSwitchyard;
  before(async () => {
    up = await startFakeUpstream((req) =>
      req.json?.stream
        ? { kind: "sse", chunks: chatStreamChunks(["ab", "drop", "cd"]) }
        : { kind: "json", body: chatCompletion("hello") }
    );
    sy = await startTestSwitchyard(
      `
plugins: [openai-compatible, ./ir-hooks.mjs]
openai-compatibility:
  - name: f
    base-url: "${up.url}"
    models: [{name: u, alias: m}]
`,
      { files: { "ir-hooks.mjs": PLUGIN } },
    );
  });
  after(async () => {
    await sy.stop();
    await up.close();
  });

  async function messages(stream: boolean): Promise<Response> {
    return await fetch(`${sy.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "m", max_tokens: 32, stream, system: "S", messages: [{ role: "user", content: "x" }] }),
    });
  }

  test("transformRequest edits the IR before it is rendered for the upstream", async () => {
    const res = await messages(false);
    assert.equal(res.status, 200);
    await res.text();
    const sent = up.requests.at(-1)!.json as { messages: { role: string; content: string }[] };
    assert.equal(sent.messages[0]!.role, "system");
    assert.match(sent.messages[0]!.content, /S[\s\S]*via openai-compatible/);
  });

  test("transformResponse edits a single JSON answer", async () => {
    const body = await (await messages(false)).json();
    assert.equal(body.content[0].text, "hello!");
  });

  test("transformEvents maps and drops stream events before the client renderer", async () => {
    const text = await (await messages(true)).text();
    const deltas = [...text.matchAll(/"text_delta","text":"([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(deltas, ["AB", "CD"]);
    assert.ok(text.includes("event: message_stop"));
  });

  test("same-format requests have no IR: the hooks are not called", async () => {
    const res = await fetch(`${sy.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }] }),
    });
    const body = await res.json();
    assert.equal(body.choices[0].message.content, "hello", "no transformResponse on the pass-through");
    assert.equal((up.requests.at(-1)!.json as { messages: unknown[] }).messages.length, 1);
  });
});
