/**
 * Credential selection, cooldown and retry rounds through a real Switchyard and a fake upstream that tells the keys
 * apart by their Authorization header (behaviour.md §3.2–3.3, vectors 8–13).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { chatCompletion, chatStreamChunks, type FakeReply, type RecordedRequest, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard } from "../../helpers/switchyard.ts";

function keyOf(req: RecordedRequest): string {
  return (req.headers.get("authorization") ?? "").replace("Bearer ", "");
}

function config(url: string, opts: { strategy?: string; weights?: [number, number]; extra?: string; models?: string } = {}) {
  const [wa, wb] = opts.weights ?? [1, 1];
  return `
routing: {strategy: ${opts.strategy ?? "round-robin"}}
${opts.extra ?? ""}
openai-compatibility:
  - name: fake
    base-url: "${url}"
    api-key-entries:
      - {api-key: "key-A", weight: ${wa}}
      - {api-key: "key-B", weight: ${wb}}
    models: ${opts.models ?? "[{name: up, alias: m}, {name: up2, alias: m2}]"}
`;
}

async function chat(url: string, model = "m", stream = false): Promise<Response> {
  return await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "hi" }] }),
  });
}

async function keysUsed(url: string, n: number, model = "m"): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await chat(url, model);
    out.push(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content);
  }
  return out;
}

/** Answers with the key that was used, so the client sees which credential served it. */
const echoKey = (req: RecordedRequest): FakeReply => ({ kind: "json", body: chatCompletion(keyOf(req)) });

describe("selection strategies", () => {
  test("round-robin alternates A, B, A (vector 8)", async () => {
    const up = await startFakeUpstream(echoKey);
    const sy = await startTestSwitchyard(config(up.url));
    try {
      assert.deepEqual(await keysUsed(sy.url, 4), ["key-A", "key-B", "key-A", "key-B"]);
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("fill-first sticks to A until A gets a 429, then uses B", async () => {
    let limitA = false;
    const up = await startFakeUpstream((req) =>
      limitA && keyOf(req) === "key-A"
        ? { kind: "json", status: 429, body: { error: { message: "slow down" } }, headers: { "retry-after": "30" } }
        : echoKey(req)
    );
    const sy = await startTestSwitchyard(config(up.url, { strategy: "fill-first" }));
    try {
      assert.deepEqual(await keysUsed(sy.url, 3), ["key-A", "key-A", "key-A"]);
      limitA = true;
      assert.deepEqual(await keysUsed(sy.url, 3), ["key-B", "key-B", "key-B"]);
      // A was tried once, benched, then skipped.
      assert.equal(up.requests.filter((r) => keyOf(r) === "key-A").length, 4);
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("weighted-round-robin honours 3:1", async () => {
    const up = await startFakeUpstream(echoKey);
    const sy = await startTestSwitchyard(config(up.url, { strategy: "wrr", weights: [3, 1] }));
    try {
      const used = await keysUsed(sy.url, 8);
      assert.equal(used.filter((k) => k === "key-A").length, 6);
      assert.equal(used.filter((k) => k === "key-B").length, 2);
      assert.notDeepEqual(used.slice(0, 4), ["key-A", "key-A", "key-A", "key-A"], "smooth, not bursty");
    } finally {
      await sy.stop();
      await up.close();
    }
  });
});

describe("cooldown and failover", () => {
  test("429 with Retry-After: 30 benches A for that model only (vector 9)", async () => {
    const up = await startFakeUpstream((req) =>
      keyOf(req) === "key-A" && req.json?.model === "up"
        ? { kind: "json", status: 429, body: { error: { message: "limited" } }, headers: { "retry-after": "30" } }
        : echoKey(req)
    );
    const sy = await startTestSwitchyard(config(up.url, { strategy: "fill-first" }));
    try {
      assert.deepEqual(await keysUsed(sy.url, 3, "m"), ["key-B", "key-B", "key-B"]);
      assert.deepEqual(await keysUsed(sy.url, 2, "m2"), ["key-A", "key-A"], "other models still use A");
      const health = sy.runtime.cooldowns.health().find((h) => h.credentialId === "openai-compatible:fake#0")!;
      const until = health.cooldowns["up"]!;
      assert.ok(until - Date.now() > 25_000 && until - Date.now() <= 30_000, "benched for Retry-After seconds");
      // The same state through the runtime's management view: counters, last error, cooldown, no secret.
      const state = sy.runtime.credentialState().find((c) => c.id === "openai-compatible:fake#0")!;
      assert.equal(state.provider, "openai-compatible");
      assert.equal(state.lastError?.status, 429);
      assert.equal(state.cooldowns["up"], until);
      assert.ok(state.successes >= 1 && state.failures === 1);
      assert.ok(!state.label.includes("key-A") || state.label.includes("****"), "the label never shows the key");
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("500 on A then success on B inside one request: the client gets B's answer (vector 13)", async () => {
    const up = await startFakeUpstream((req) =>
      keyOf(req) === "key-A" ? { kind: "json", status: 500, body: { error: { message: "boom" } } } : echoKey(req)
    );
    const sy = await startTestSwitchyard(config(up.url));
    try {
      const res = await chat(sy.url);
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content, "key-B");
      const a = sy.runtime.cooldowns.health().find((h) => h.credentialId === "openai-compatible:fake#0")!;
      assert.equal(a.failures, 1);
      assert.ok(a.cooldowns["up"]! - Date.now() > 55_000, "A cooled for the transient default of 60 s");
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("a 400 request fault on A is returned at once; B is never tried and A is not cooled (vector 12)", async () => {
    const up = await startFakeUpstream(() => ({
      kind: "json",
      status: 400,
      body: { error: { message: "too long", code: "context_length_exceeded" } },
    }));
    const sy = await startTestSwitchyard(config(up.url, { strategy: "fill-first" }));
    try {
      const res = await chat(sy.url);
      assert.equal(res.status, 400);
      assert.equal(up.requests.length, 1);
      assert.deepEqual(sy.runtime.cooldowns.health()[0]?.cooldowns ?? {}, {});
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("all credentials cooling beyond max-retry-interval → immediate 429 model_cooldown with Retry-After (vector 10)", async () => {
    const up = await startFakeUpstream(() => ({
      kind: "json",
      status: 429,
      body: { error: { message: "limited" } },
      headers: { "retry-after": "90" },
    }));
    const sy = await startTestSwitchyard(config(up.url, { extra: "request-retry: 2\nmax-retry-interval: 30" }));
    try {
      const first = await chat(sy.url);
      assert.equal(first.status, 429, "both keys answered 429: the last upstream error is returned");
      await first.body?.cancel();
      const calls = up.requests.length;
      const res = await chat(sy.url);
      assert.equal(res.status, 429);
      assert.equal(up.requests.length, calls, "no upstream call while everything cools");
      const retryAfter = Number(res.headers.get("retry-after"));
      assert.ok(retryAfter >= 89 && retryAfter <= 90, `Retry-After ${retryAfter}`);
      const body = (await res.json()) as { error: Record<string, unknown> };
      assert.equal(body.error.code, "model_cooldown");
      assert.equal(body.error.model, "m");
      assert.equal(body.error.provider, "openai-compatible");
      assert.match(String(body.error.message), /All credentials for model m are cooling down/);
      assert.ok(Number(body.error.reset_seconds) >= 89);
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("request-retry waits for the nearest recovery and tries again", async () => {
    let n = 0;
    const up = await startFakeUpstream((req) =>
      n++ === 0 ? { kind: "json", status: 503, body: { error: { message: "overloaded" } } } : echoKey(req)
    );
    const sy = await startTestSwitchyard(`
request-retry: 1
max-retry-interval: 5
transient-error-cooldown-seconds: 1
openai-compatibility:
  - name: fake
    base-url: "${up.url}"
    api-key-entries: [{api-key: "only"}]
    models: [{name: up, alias: m}]
`);
    try {
      const res = await chat(sy.url);
      assert.equal(res.status, 200);
      assert.equal(up.requests.length, 2, "a second round after the 1 s cooldown");
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("a stream whose first attempt fails before the first byte is served by the next credential", async () => {
    const up = await startFakeUpstream((req) =>
      keyOf(req) === "key-A"
        ? { kind: "sse", chunks: [], cut: true }
        : { kind: "sse", chunks: chatStreamChunks(["from ", "B"]) }
    );
    const sy = await startTestSwitchyard(config(up.url, { strategy: "fill-first" }));
    try {
      const res = await chat(sy.url, "m", true);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.ok(text.endsWith("data: [DONE]\n\n"));
      assert.ok(text.includes('"from "') && text.includes('"B"'));
      assert.ok(!text.includes("error"), "one clean stream");
      assert.deepEqual(up.requests.map(keyOf), ["key-A", "key-B"]);
    } finally {
      await sy.stop();
      await up.close();
    }
  });
});
