import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseConfigText } from "../../../core/config/load.ts";
import { credentialsFromEntries } from "../../../providers/openai-compatible/credentials.ts";
import { ModelTable } from "../../../core/routing/model-table.ts";
import { openAICompatibleAdapter } from "../../../providers/openai-compatible/adapter.ts";

function entries(yaml: string) {
  return parseConfigText(yaml, "/tmp/config.yaml").config["openai-compatibility"];
}

describe("credentialsFromEntries()", () => {
  test("one credential per key, aliases as ids, keyless entries allowed, disabled entries skipped", () => {
    const creds = credentialsFromEntries(entries(`
openai-compatibility:
  - name: a
    base-url: "http://127.0.0.1:1/v1/"
    priority: 2
    api-key-entries: [{api-key: "sk-aaaaaaaaaaaa1"}, {api-key: "sk-aaaaaaaaaaaa2", weight: 3}]
    models: [{name: up-1, alias: one}, {name: up-2}]
  - name: keyless
    base-url: "http://127.0.0.1:2"
    models: [{name: m}]
  - name: off
    disabled: true
    base-url: "http://127.0.0.1:3"
    models: [{name: m}]
`));
    assert.deepEqual(creds.map((c) => c.id), ["openai-compatible:a#0", "openai-compatible:a#1", "openai-compatible:keyless#0"]);
    const [a0, a1, keyless] = creds as [typeof creds[0], typeof creds[0], typeof creds[0]];
    assert.deepEqual(a0.models.map((m) => [m.id, m.upstream]), [["one", "up-1"], ["up-2", "up-2"]]);
    assert.equal(a0.priority, 2);
    assert.equal(a1.weight, 3);
    assert.equal(a0.data.baseUrl, "http://127.0.0.1:1/v1", "trailing slash dropped");
    assert.equal(keyless.data.apiKey, "");
    assert.ok(!a0.label.includes("sk-aaaaaaaaaaaa1"), "the label never shows the key");
  });

  test("`$Name` header values copy the client's header; excluded-models and prefix shape the model table", async () => {
    const creds = credentialsFromEntries(entries(`
openai-compatibility:
  - name: p
    base-url: "http://127.0.0.1:1"
    prefix: team
    headers: {X-Static: "s", X-User: "$X-Client-User"}
    excluded-models: ["*-preview"]
    models: [{name: a}, {name: b-preview}]
`));
    const c = creds[0]!;
    assert.deepEqual(c.data.headers, [["X-Static", "s"]]);
    assert.deepEqual(c.data.copiedHeaders, [["X-User", "X-Client-User"]]);
    const table = ModelTable.build([{ plugin: "t", adapter: openAICompatibleAdapter, credentials: creds }], {
      forceModelPrefix: false,
    });
    assert.deepEqual(table.models.map((m) => m.id), ["team/a", "a"]);
    const forced = ModelTable.build([{ plugin: "t", adapter: openAICompatibleAdapter, credentials: creds }], {
      forceModelPrefix: true,
    });
    assert.deepEqual(forced.models.map((m) => m.id), ["team/a"]);
  });
});

describe("force-mapping", () => {
  test("answers name the alias, not the upstream's model, streaming and not", async () => {
    const { chatCompletion, chatStreamChunks, startFakeUpstream } = await import("../../helpers/fake-upstream.ts");
    const { startTestSwitchyard } = await import("../../helpers/switchyard.ts");
    const up = await startFakeUpstream((req) =>
      req.json?.stream
        ? { kind: "sse", chunks: chatStreamChunks(["a"], "vendor/upstream-name") }
        : { kind: "json", body: chatCompletion("a", "vendor/upstream-name") }
    );
    const sy = await startTestSwitchyard(`
openai-compatibility:
  - name: f
    base-url: "${up.url}"
    models:
      - {name: vendor/upstream-name, alias: mapped, force-mapping: true}
      - {name: vendor/upstream-name, alias: plain}
`);
    try {
      const ask = async (model: string, stream: boolean) =>
        await (await fetch(`${sy.url}/v1/chat/completions`, {
          method: "POST",
          body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "x" }] }),
        })).text();
      assert.equal(JSON.parse(await ask("mapped", false)).model, "mapped");
      assert.equal(JSON.parse(await ask("plain", false)).model, "vendor/upstream-name");
      const streamed = await ask("mapped", true);
      assert.ok(streamed.includes('"model":"mapped"') && !streamed.includes("vendor/upstream-name"));
      assert.ok(streamed.endsWith("data: [DONE]\n\n"));
    } finally {
      await sy.stop();
      await up.close();
    }
  });
});
