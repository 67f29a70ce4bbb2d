import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseConfigText } from "../../../core/config/load.ts";
import { parsePath, PayloadRules } from "../../../core/routing/payload-rules.ts";
import { chatCompletion, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard } from "../../helpers/switchyard.ts";

function rules(yaml: string): PayloadRules {
  return PayloadRules.compile(parseConfigText(yaml, "/tmp/c.yaml").config.payload)!;
}

const ctx = {
  model: "gpt-5",
  requestedModel: "gpt-5",
  protocol: "codex",
  fromProtocol: "openai",
  headers: new Headers({ "x-team": "alpha" }),
};

describe("PayloadRules", () => {
  test("no rules compile to null, so the pipeline skips the step", () => {
    assert.equal(PayloadRules.compile(parseConfigText("", "/tmp/c.yaml").config.payload), null);
  });

  test("override sets paths; default fills only absent ones; filter removes; the input is never mutated", () => {
    const r = rules(`
payload:
  default:
    - models: [{name: "gpt-*"}]
      params: {"temperature": 0.2, "reasoning.summary": "auto"}
  override:
    - models: [{name: "gpt-*", protocol: codex}]
      params: {"reasoning.effort": "high"}
  filter:
    - models: [{name: "*"}]
      params: ["user", "metadata.secret"]
`);
    const body = { model: "gpt-5", temperature: 0.9, user: "u", metadata: { secret: 1, keep: 2 } };
    const out = r.apply(body, ctx);
    assert.deepEqual(out, {
      model: "gpt-5",
      temperature: 0.9,
      reasoning: { summary: "auto", effort: "high" },
      metadata: { keep: 2 },
    });
    assert.deepEqual(body, { model: "gpt-5", temperature: 0.9, user: "u", metadata: { secret: 1, keep: 2 } });
  });

  test("-raw values are JSON text; the first matching rule wins per path", () => {
    const r = rules(`
payload:
  override-raw:
    - models: [{name: "gpt-5"}]
      params: {"tools": '[{"type":"web_search"}]'}
    - models: [{name: "*"}]
      params: {"tools": '[]', "n": '1'}
`);
    assert.deepEqual(r.apply({}, ctx), { tools: [{ type: "web_search" }], n: 1 });
  });

  test("model, protocol, from-protocol, headers and body conditions all have to match", () => {
    const r = rules(`
payload:
  override:
    - models: [{name: "claude-*"}]
      params: {"a": 1}
    - models: [{name: "gpt-*", protocol: gemini}]
      params: {"b": 1}
    - models: [{name: "gpt-*", from-protocol: claude}]
      params: {"c": 1}
    - models: [{name: "gpt-*", headers: {X-Team: "beta"}}]
      params: {"d": 1}
    - models: [{name: "gpt-*", headers: {X-Team: "al*"}, match: [{"stream": true}], exist: ["messages"], not-exist: ["tools"]}]
      params: {"e": 1}
`);
    assert.deepEqual(r.apply({ stream: true, messages: [] }, ctx), { stream: true, messages: [], e: 1 });
    assert.deepEqual(r.apply({ stream: false, messages: [] }, ctx), { stream: false, messages: [] });
  });

  test("gjson paths: escaped dots and array indexes", () => {
    assert.deepEqual(parsePath("a\\.b.c.0"), ["a.b", "c", "0"]);
    const r = rules(`
payload:
  override:
    - models: [{name: "*"}]
      params: {"messages.0.role": "system"}
`);
    assert.deepEqual(r.apply({ messages: [{ role: "user" }] }, ctx), { messages: [{ role: "system" }] });
  });
});

test("payload rules reach the upstream body through a real request", async () => {
  const up = await startFakeUpstream(() => ({ kind: "json", body: chatCompletion("ok") }));
  const sy = await startTestSwitchyard(`
payload:
  override: [{models: [{name: "m", protocol: openai}], params: {"temperature": 0}}]
  default: [{models: [{name: "up-*"}], params: {"max_tokens": 64}}]
openai-compatibility:
  - name: f
    base-url: "${up.url}"
    models: [{name: up-model, alias: m}]
`);
  try {
    const res = await fetch(`${sy.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "m", temperature: 1, messages: [{ role: "user", content: "x" }] }),
    });
    assert.equal(res.status, 200);
    await res.text();
    const sent = up.requests[0]!.json!;
    assert.equal(sent.temperature, 0);
    assert.equal(sent.max_tokens, 64);
    assert.ok(!sy.logs.some((l) => l.includes("not supported yet") && l.includes("payload")));
  } finally {
    await sy.stop();
    await up.close();
  }
});
