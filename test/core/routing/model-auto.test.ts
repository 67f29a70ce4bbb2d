/**
 * Model `auto` (behaviour.md §3.1): the first registered model that still has a credential not cooling. Switchyard
 * gives every model of a snapshot the same `created` stamp, so CLIProxyAPI's "newest first" ties and registration
 * order decides; when everything cools, the first model answers with the usual 429 `model_cooldown`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { chatCompletion, type FakeHandler, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard } from "../../helpers/switchyard.ts";

function config(url: string, models = "[{name: up, alias: m}, {name: up2, alias: m2}]") {
  return `
openai-compatibility:
  - name: fake
    base-url: "${url}"
    api-key-entries: [{api-key: "key-A"}, {api-key: "key-B"}]
    models: ${models}
`;
}

async function chat(url: string, model: string) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

async function withProxy(
  handler: FakeHandler,
  yaml: (url: string) => string,
  run: (sy: string, models: () => unknown[], bodies: () => (Record<string, unknown> | null)[]) => Promise<void>,
) {
  const up = await startFakeUpstream(handler);
  const sy = await startTestSwitchyard(yaml(up.url));
  try {
    await run(sy.url, () => up.requests.map((r) => r.json?.model), () => up.requests.map((r) => r.json));
  } finally {
    await sy.stop();
    await up.close();
  }
}

const ok: FakeHandler = (req) => ({ kind: "json", body: chatCompletion("ok", String(req.json?.model)) });
const limited = (model: string): FakeHandler => (req) =>
  req.json?.model === model
    ? { kind: "json", status: 429, body: { error: { message: "limited" } }, headers: { "retry-after": "60" } }
    : ok(req, 0);

describe("model auto", () => {
  test("resolves to the first registered model", async () => {
    await withProxy(ok, config, async (url, models) => {
      const res = await chat(url, "auto");
      assert.equal(res.status, 200);
      assert.deepEqual(models(), ["up"]);
    });
  });

  test("skips a model whose credentials are all cooling", async () => {
    await withProxy(limited("up"), config, async (url, models) => {
      assert.equal((await chat(url, "m")).status, 429, "both keys benched for m");
      const res = await chat(url, "auto");
      assert.equal(res.status, 200);
      assert.deepEqual(models(), ["up", "up", "up2"]);
    });
  });

  test("one credential not cooling is enough", async () => {
    await withProxy(
      (req, i) => (i === 0 ? { kind: "json", status: 500, body: { error: { message: "boom" } } } : ok(req, i)),
      (u) => config(u) + "routing: {strategy: fill-first}\n",
      async (url, models) => {
        assert.equal((await chat(url, "m")).status, 200, "A failed, B answered");
        assert.equal((await chat(url, "auto")).status, 200);
        assert.deepEqual(models(), ["up", "up", "up"], "m still has B");
      },
    );
  });

  test("everything cooling: 429 model_cooldown for the first model, no upstream call", async () => {
    const all: FakeHandler = () => ({
      kind: "json",
      status: 429,
      body: { error: { message: "limited" } },
      headers: { "retry-after": "60" },
    });
    await withProxy(all, config, async (url, models) => {
      await chat(url, "m");
      await chat(url, "m2");
      const calls = models().length;
      const res = await chat(url, "auto");
      assert.equal(res.status, 429);
      assert.equal((res.body.error as Record<string, unknown>).code, "model_cooldown");
      assert.equal((res.body.error as Record<string, unknown>).model, "m");
      assert.ok(Number(res.headers.get("retry-after")) > 0);
      assert.equal(models().length, calls);
    });
  });

  test("a thinking suffix is kept: auto(high) routes like m(high)", async () => {
    await withProxy(ok, config, async (url, models, bodies) => {
      const res = await chat(url, "auto(high)");
      assert.equal(res.status, 200);
      assert.deepEqual(models(), ["up"]);
      assert.equal(bodies()[0]?.reasoning_effort, "high");
    });
  });

  test("a model configured with the literal name auto wins", async () => {
    await withProxy(
      ok,
      (u) => config(u, "[{name: up, alias: m}, {name: up-auto, alias: auto}]"),
      async (url, models) => {
        assert.equal((await chat(url, "auto")).status, 200);
        assert.deepEqual(models(), ["up-auto"]);
      },
    );
  });

  test("no model registered at all: 400 model_not_found", async () => {
    await withProxy(ok, () => "port: 0\n", async (url) => {
      const res = await chat(url, "auto");
      assert.equal(res.status, 400);
      assert.equal((res.body.error as Record<string, unknown>).code, "model_not_found");
    });
  });
});
