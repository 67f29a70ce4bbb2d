/**
 * The client routes of behaviour.md §1.1 and §1.6 as seen over HTTP: health, CORS, the three model-list shapes,
 * Gemini path parsing, unknown routes and models (vector 2), malformed and oversized bodies in the client's error
 * format, the compact-responses stream refusal (vector 24), and other client formats reaching an OpenAI upstream.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  chatCompletion,
  chatStreamChunks,
  type FakeUpstream,
  startFakeUpstream,
} from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard, type TestSwitchyard } from "../../helpers/switchyard.ts";
import { readText } from "./edge-helpers.ts";

const KEY = "sk-routes";
const AUTH = { authorization: `Bearer ${KEY}` };

function config(upstreamUrl: string, extra = ""): string {
  return `
api-keys: ["${KEY}"]
${extra}
openai-compatibility:
  - name: fakeco
    base-url: "${upstreamUrl}/v1"
    models:
      - name: upstream-zed
        alias: zed-model
        display-name: "Zed Display"
      - name: upstream-ant
        alias: ant-model
        display-name: "Ant Display"
`;
}

function post(url: string, body: unknown, headers: Record<string, string> = AUTH): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("client routes", () => {
  let upstream: FakeUpstream;
  let sy: TestSwitchyard;

  before(async () => {
    upstream = await startFakeUpstream((req) =>
      req.json?.stream
        ? { kind: "sse", chunks: chatStreamChunks(["a", "b"], String(req.json.model)) }
        : { kind: "json", body: chatCompletion("hi", String(req.json?.model)) }
    );
    sy = await startTestSwitchyard(config(upstream.url));
  });
  after(async () => {
    await sy.stop();
    await upstream.close();
  });

  test("GET /healthz → {\"status\":\"ok\"}; HEAD /healthz → 200 without a body", async () => {
    const res = await fetch(`${sy.url}/healthz`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    assert.equal(await res.text(), '{"status":"ok"}');
    const head = await fetch(`${sy.url}/healthz`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  });

  test("GET / lists the endpoints", async () => {
    const res = await fetch(`${sy.url}/`);
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.equal(json.message, "CLI Proxy API Server");
    assert.ok(Array.isArray(json.endpoints) && json.endpoints.includes("POST /v1/chat/completions"));
  });

  test("OPTIONS → 204 with the CORS headers, on any path and without a key", async () => {
    for (const path of ["/v1/chat/completions", "/v1beta/models/x:generateContent", "/anything", "/healthz"]) {
      const res = await fetch(`${sy.url}${path}`, {
        method: "OPTIONS",
        headers: { origin: "https://example.test", "access-control-request-method": "POST" },
      });
      assert.equal(res.status, 204, path);
      assert.equal(await res.text(), "");
      assert.equal(res.headers.get("access-control-allow-origin"), "*", path);
      const methods = (res.headers.get("access-control-allow-methods") ?? "").split(/\s*,\s*/);
      for (const m of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) assert.ok(methods.includes(m), `${path} ${m}`);
      assert.equal(res.headers.get("access-control-allow-headers"), "*", path);
    }
  });

  test("access-control-allow-origin: * on normal, error and streaming responses", async () => {
    const responses: [string, Response][] = [
      ["GET /", await fetch(`${sy.url}/`)],
      ["GET /healthz", await fetch(`${sy.url}/healthz`)],
      ["GET /v1/models", await fetch(`${sy.url}/v1/models`, { headers: AUTH })],
      ["GET /v1beta/models", await fetch(`${sy.url}/v1beta/models`, { headers: AUTH })],
      ["401", await fetch(`${sy.url}/v1/models`)],
      ["404 route", await fetch(`${sy.url}/v1/nope`, { headers: AUTH })],
      ["404 gemini model", await fetch(`${sy.url}/v1beta/models/nope`, { headers: AUTH })],
      ["400 unknown model", await post(`${sy.url}/v1/chat/completions`, { model: "nope", messages: [] })],
      ["400 bad json", await post(`${sy.url}/v1/chat/completions`, "{")],
      ["claude", await post(`${sy.url}/v1/messages`, { model: "zed-model", max_tokens: 5, messages: [] })],
      ["200 chat", await post(`${sy.url}/v1/chat/completions`, { model: "zed-model", messages: [] })],
      ["200 stream", await post(`${sy.url}/v1/chat/completions`, { model: "zed-model", messages: [], stream: true })],
    ];
    for (const [label, res] of responses) {
      await res.arrayBuffer();
      assert.equal(res.headers.get("access-control-allow-origin"), "*", label);
    }
    const stream = responses.at(-1)![1];
    assert.equal(stream.headers.get("content-type"), "text/event-stream");
  });

  test("GET /v1/models → OpenAI shape, in registration order", async () => {
    const res = await fetch(`${sy.url}/v1/models`, { headers: AUTH });
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.equal(json.object, "list");
    assert.deepEqual(json.data.map((m: { id: string }) => m.id), ["zed-model", "ant-model"]);
    for (const m of json.data) {
      assert.deepEqual(Object.keys(m).sort(), ["created", "id", "object", "owned_by"]);
      assert.equal(m.object, "model");
      assert.equal(m.owned_by, "fakeco");
      assert.ok(Number.isInteger(m.created) && m.created > 1_600_000_000, `created ${m.created}`);
    }
  });

  test("GET /v1/models with anthropic-version, or UA claude-cli → Claude shape sorted by display_name", async () => {
    for (const headers of [{ "anthropic-version": "2023-06-01" }, { "user-agent": "claude-cli/2.1.0 (external, cli)" }] as Record<string, string>[]) {
      const res = await fetch(`${sy.url}/v1/models`, { headers: { ...AUTH, ...headers } });
      assert.equal(res.status, 200);
      const json = await res.json();
      assert.equal(json.has_more, false);
      assert.equal(json.object, undefined);
      // Ids that do not start with claude- are cloaked for Claude Code's picker (vector 3).
      assert.deepEqual(
        json.data.map((m: { id: string }) => m.id),
        ["claude-fable-5-dd-ledom-tna", "claude-fable-5-dd-ledom-dez"],
        "sorted by display_name",
      );
      assert.equal(json.first_id, "claude-fable-5-dd-ledom-tna");
      assert.equal(json.last_id, "claude-fable-5-dd-ledom-dez");
      const ant = json.data[0];
      assert.equal(ant.type, "model");
      assert.equal(ant.display_name, "Ant Display");
      assert.ok(!Number.isNaN(Date.parse(ant.created_at)), `created_at ${ant.created_at}`);
    }
    // Any other client still gets the OpenAI shape.
    const other = await fetch(`${sy.url}/v1/models`, { headers: { ...AUTH, "user-agent": "curl/8" } });
    assert.equal((await other.json()).object, "list");
  });

  test("a cloaked id sent to /v1/messages runs the real model, thinking suffix kept (vector 3)", async () => {
    const res = await post(`${sy.url}/v1/messages`, {
      model: "claude-fable-5-dd-ledom-dez(high)",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
    }, { "x-api-key": KEY, "anthropic-version": "2023-06-01" });
    assert.equal(res.status, 200);
    await res.text();
    const sent = upstream.requests.at(-1)!;
    assert.equal(sent.json?.model, "upstream-zed");
    assert.equal(sent.json?.reasoning_effort, "high", "the suffix survives the decoding");
  });

  test("GET /v1beta/models → Gemini shape with models/<id> names", async () => {
    const res = await fetch(`${sy.url}/v1beta/models`, { headers: AUTH });
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.deepEqual(Object.keys(json), ["models"]);
    assert.deepEqual(json.models.map((m: { name: string }) => m.name), ["models/zed-model", "models/ant-model"]);
    assert.equal(json.models[0].displayName, "Zed Display");
    assert.deepEqual(json.models[0].supportedGenerationMethods, ["generateContent"]);
  });

  test("GET /v1beta/models/{id} → the model; unknown → 404 not_found", async () => {
    const res = await fetch(`${sy.url}/v1beta/models/ant-model`, { headers: AUTH });
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.equal(json.name, "models/ant-model");
    assert.deepEqual(json.supportedGenerationMethods, ["generateContent"]);

    const missing = await fetch(`${sy.url}/v1beta/models/nope`, { headers: AUTH });
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), '{"error":{"message":"Not Found","type":"not_found"}}');
  });

  test("POST /v1beta/models/<path> without exactly one ':' → 404 \"<path> not found.\"", async () => {
    const seen = upstream.requests.length;
    for (const path of ["/v1beta/models/zed-model", "/v1beta/models/zed-model:generateContent:extra"]) {
      const res = await post(`${sy.url}${path}`, { contents: [] });
      assert.equal(res.status, 404, path);
      assert.equal(
        await res.text(),
        JSON.stringify({ error: { message: `${path} not found.`, type: "invalid_request_error" } }),
        path,
      );
    }
    assert.equal(upstream.requests.length, seen);
  });

  test("Gemini requests routed to the openai-compatible provider are translated (counts estimated locally)", async () => {
    const contents = [{ role: "user", parts: [{ text: "hi" }] }];
    const gen = await post(`${sy.url}/v1beta/models/zed-model:generateContent`, { contents });
    assert.equal(gen.status, 200);
    const json = await gen.json();
    assert.ok(Array.isArray(json.candidates), "a Gemini-shaped answer");
    assert.equal(upstream.requests.at(-1)!.path, "/v1/chat/completions");

    const stream = await post(`${sy.url}/v1beta/models/zed-model:streamGenerateContent?alt=sse`, { contents });
    assert.equal(stream.status, 200);
    assert.equal(stream.headers.get("content-type"), "text/event-stream");
    await stream.text();

    const seen = upstream.requests.length;
    const count = await post(`${sy.url}/v1beta/models/zed-model:countTokens`, { contents });
    assert.equal(count.status, 200);
    const counted = await count.json();
    assert.ok(counted.totalTokens > 0);
    assert.deepEqual(counted.promptTokensDetails, [{ modality: "TEXT", tokenCount: counted.totalTokens }]);
    assert.equal(upstream.requests.length, seen, "an OpenAI-compatible upstream has no counter: estimated locally");
  });

  test("POST /v1/models/{m}:generateContent with x-goog-api-key is a Gemini request; without it, 404", async () => {
    const contents = [{ role: "user", parts: [{ text: "hi" }] }];
    const gemini = await post(`${sy.url}/v1/models/zed-model:generateContent`, { contents }, { "x-goog-api-key": KEY });
    assert.equal(gemini.status, 200);
    assert.ok(Array.isArray((await gemini.json()).candidates));

    const viaQuery = await post(`${sy.url}/v1/models/zed-model:generateContent?key=${KEY}`, { contents }, {});
    assert.equal(viaQuery.status, 200);
    await viaQuery.body?.cancel();

    const seen = upstream.requests.length;
    const openai = await post(`${sy.url}/v1/models/zed-model:generateContent`, { contents });
    assert.equal(openai.status, 404);
    assert.match((await openai.json()).error.message, /not found\.$/);
    assert.equal(upstream.requests.length, seen, "never reaches the upstream");
  });

  test("a Claude request routed to the openai-compatible provider is translated, not refused", async () => {
    const res = await post(`${sy.url}/v1/messages`, {
      model: "zed-model",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    }, { "x-api-key": KEY, "anthropic-version": "2023-06-01" });
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.equal(json.type, "message");
    assert.equal(json.role, "assistant");
    const sent = upstream.requests.at(-1)!;
    assert.equal(sent.path, "/v1/chat/completions", "the upstream got an OpenAI chat request");
    assert.equal(sent.json?.model, "upstream-zed");
  });

  test("unknown route → 404 JSON", async () => {
    for (const [path, headers] of [["/v1/nope", AUTH], ["/nope", {}], ["/v1beta/nope/deeper", AUTH]] as const) {
      const res = await fetch(`${sy.url}${path}`, { headers });
      assert.equal(res.status, 404, path);
      assert.match(res.headers.get("content-type") ?? "", /application\/json/);
      assert.deepEqual(await res.json(), { error: { message: "Not Found", type: "not_found" } }, path);
    }
  });

  test("vector 2: unknown model → exact 400 body", async () => {
    const seen = upstream.requests.length;
    const res = await post(`${sy.url}/v1/chat/completions`, { model: "nope", messages: [{ role: "user", content: "x" }] });
    assert.equal(res.status, 400);
    assert.equal(
      await res.text(),
      '{"error":{"message":"unknown provider for model nope","type":"invalid_request_error","code":"model_not_found","param":"model"}}',
    );
    const streamed = await post(`${sy.url}/v1/chat/completions`, { model: "nope", messages: [], stream: true });
    assert.equal(streamed.status, 400);
    assert.match(streamed.headers.get("content-type") ?? "", /application\/json/);
    assert.equal((await streamed.json()).error.code, "model_not_found");
    assert.equal(upstream.requests.length, seen, "never reaches the upstream");
  });

  test("malformed JSON → 400 in the client's format", async () => {
    const seen = upstream.requests.length;
    const chat = await post(`${sy.url}/v1/chat/completions`, '{"model": "zed-model", ');
    assert.equal(chat.status, 400);
    const chatJson = await chat.json();
    assert.deepEqual(Object.keys(chatJson), ["error"]);
    assert.equal(chatJson.error.type, "invalid_request_error");
    assert.match(chatJson.error.message, /JSON/);

    const claude = await post(`${sy.url}/v1/messages`, "not json", { "x-api-key": KEY });
    assert.equal(claude.status, 400);
    const claudeJson = await claude.json();
    assert.equal(claudeJson.type, "error");
    assert.equal(claudeJson.error.type, "invalid_request_error");
    assert.match(claudeJson.error.message, /JSON/);

    // A JSON value that is not an object is refused the same way.
    const array = await post(`${sy.url}/v1/messages`, "[1,2]", { "x-api-key": KEY });
    assert.equal(array.status, 400);
    assert.equal((await array.json()).type, "error");

    const gemini = await post(`${sy.url}/v1beta/models/zed-model:generateContent`, "{oops");
    assert.equal(gemini.status, 400);
    assert.equal((await gemini.json()).error.type, "invalid_request_error");
    assert.equal(upstream.requests.length, seen, "never reaches the upstream");
  });

  test("vector 24: /v1/responses/compact with stream:true → 400", async () => {
    const res = await post(`${sy.url}/v1/responses/compact`, { model: "zed-model", input: "hi", stream: true });
    assert.equal(res.status, 400);
    const json = await res.json();
    assert.equal(json.error.message, "Streaming not supported for compact responses");
    assert.equal(json.error.type, "invalid_request_error");
    // Without stream it is not refused for that reason.
    const plain = await post(`${sy.url}/v1/responses/compact`, { model: "zed-model", input: "hi" });
    assert.notEqual(plain.status, 400);
    assert.doesNotMatch(await plain.text(), /Streaming not supported/);
  });

  test("a proxied chat request reaches the upstream with the upstream model name", async () => {
    const before = upstream.requests.length;
    const res = await post(`${sy.url}/v1/chat/completions`, { model: "ant-model", messages: [] });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).model, "upstream-ant");
    assert.equal(upstream.requests.length, before + 1);
    assert.equal(upstream.requests.at(-1)!.json?.model, "upstream-ant");
  });
});

describe("errors of translated requests are in the client's format", () => {
  let upstream: FakeUpstream;
  // One instance per client: a 429 cools the credential (behaviour.md §3.3), which must not decide the other case.
  let syClaude: TestSwitchyard;
  let syGemini: TestSwitchyard;
  const upstreamError = '{"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limit_exceeded"}}';

  before(async () => {
    upstream = await startFakeUpstream(() => ({
      kind: "text",
      status: 429,
      body: upstreamError,
      headers: { "content-type": "application/json", "retry-after": "3" },
    }));
    syClaude = await startTestSwitchyard(config(upstream.url));
    syGemini = await startTestSwitchyard(config(upstream.url));
  });
  after(async () => {
    await syClaude.stop();
    await syGemini.stop();
    await upstream.close();
  });

  test("a Claude client gets the Claude envelope, a Gemini client the Gemini one, not 404", async () => {
    const claude = await post(`${syClaude.url}/v1/messages`, {
      model: "zed-model",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    }, { "x-api-key": KEY });
    assert.equal(claude.status, 429);
    assert.equal(claude.headers.get("access-control-allow-origin"), "*");
    assert.equal(await claude.text(), '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}');
    assert.equal(upstream.requests.at(-1)!.path, "/v1/chat/completions", "it was translated and sent");

    const gemini = await post(`${syGemini.url}/v1beta/models/zed-model:generateContent`, {
      contents: [{ role: "user", parts: [{ text: "hi" }] }],
    }, { "x-goog-api-key": KEY });
    assert.equal(gemini.status, 429);
    assert.equal(await gemini.text(), upstreamError, "Gemini clients get an upstream JSON error verbatim");
  });
});

describe("max-body-size-mb", () => {
  let upstream: FakeUpstream;
  let sy: TestSwitchyard;
  // 0.001 MiB = 1048 bytes.
  const LIMIT = Math.floor(0.001 * 1024 * 1024);

  before(async () => {
    upstream = await startFakeUpstream(() => ({ kind: "json", body: chatCompletion("small") }));
    sy = await startTestSwitchyard(config(upstream.url, "max-body-size-mb: 0.001"));
  });
  after(async () => {
    await sy.stop();
    await upstream.close();
  });

  const bigChat = () =>
    JSON.stringify({ model: "zed-model", messages: [{ role: "user", content: "x".repeat(LIMIT * 2) }] });

  test("a body under the limit is served", async () => {
    const res = await post(`${sy.url}/v1/chat/completions`, { model: "zed-model", messages: [] });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).choices[0].message.content, "small");
  });

  test("over the limit with content-length → 413 in the client's format", async () => {
    const chat = await post(`${sy.url}/v1/chat/completions`, bigChat());
    assert.equal(chat.status, 413);
    assert.equal(chat.headers.get("access-control-allow-origin"), "*");
    const chatJson = await chat.json();
    assert.equal(chatJson.error.type, "invalid_request_error");
    assert.equal(typeof chatJson.error.message, "string");

    const claude = await post(`${sy.url}/v1/messages`, bigChat(), { "x-api-key": KEY });
    assert.equal(claude.status, 413);
    const claudeJson = await claude.json();
    assert.equal(claudeJson.type, "error");
    assert.equal(claudeJson.error.type, "request_too_large");
    assert.equal(upstream.requests.length, 1, "only the small request reached the upstream");
  });

  test("over the limit sent chunked, without content-length → 413 in the client's format", async () => {
    for (const [path, headers, check] of [
      ["/v1/chat/completions", AUTH, (j: { error: { type: string } }) => assert.equal(j.error.type, "invalid_request_error")],
      ["/v1/messages", { "x-api-key": KEY }, (j: { type: string; error: { type: string } }) => {
        assert.equal(j.type, "error");
        assert.equal(j.error.type, "request_too_large");
      }],
    ] as const) {
      const bytes = new TextEncoder().encode(bigChat());
      const pieces = [bytes.subarray(0, 600), bytes.subarray(600, 1200), bytes.subarray(1200)];
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent < pieces.length) controller.enqueue(pieces[sent++]!);
          else controller.close();
        },
      });
      const res = await fetch(`${sy.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
        duplex: "half",
      } as RequestInit & { duplex: "half" });
      assert.equal(res.status, 413, path);
      check(await res.json());
    }
    assert.equal(upstream.requests.length, 1);
  });

  test("exactly at the limit is accepted", async () => {
    const head = JSON.stringify({ model: "zed-model", messages: [], pad: "" });
    const body = JSON.stringify({ model: "zed-model", messages: [], pad: "y".repeat(LIMIT - head.length) });
    assert.equal(new TextEncoder().encode(body).byteLength, LIMIT);
    const res = await post(`${sy.url}/v1/chat/completions`, body);
    assert.equal(res.status, 200, await readText(res));
  });
});

describe("claude-code.disable-cloaking-model-list", () => {
  test("lists real ids when set", async () => {
    const up = await startFakeUpstream(() => ({ kind: "json", body: chatCompletion("x") }));
    const sy = await startTestSwitchyard(config(up.url, "claude-code: {disable-cloaking-model-list: true}"));
    try {
      const res = await fetch(`${sy.url}/v1/models`, { headers: { ...AUTH, "anthropic-version": "2023-06-01" } });
      const json = await res.json();
      assert.deepEqual(json.data.map((m: { id: string }) => m.id), ["ant-model", "zed-model"]);
    } finally {
      await sy.stop();
      await up.close();
    }
  });
});
