/**
 * Client API-key auth (behaviour.md §1.2, test vector 1): the five places a key may be given, the exact 401 bodies,
 * open proxies, unguarded routes, and the example-key safe mode. Real requests against a real Switchyard, plus unit
 * tests of checkClientAuth.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { checkClientAuth, compileClientAuth } from "../../../core/http/client-auth.ts";
import { chatCompletion, type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard, type TestSwitchyard } from "../../helpers/switchyard.ts";

const KEY = "sk-client-1";
const OTHER_KEY = "sk-client-2";

function compatEntry(upstreamUrl: string): string {
  return `
openai-compatibility:
  - name: fake
    base-url: "${upstreamUrl}/v1"
    models:
      - name: upstream-model
        alias: my-model
`;
}

async function body(res: Response): Promise<string> {
  return await res.text();
}

describe("client auth over HTTP (api-keys set)", () => {
  let upstream: FakeUpstream;
  let sy: TestSwitchyard;

  before(async () => {
    upstream = await startFakeUpstream(() => ({ kind: "json", body: chatCompletion("ok") }));
    sy = await startTestSwitchyard(`api-keys: ["${KEY}", "${OTHER_KEY}"]\n${compatEntry(upstream.url)}`);
  });
  after(async () => {
    await sy.stop();
    await upstream.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${sy.url}${path}`, { headers });

  test("a key is accepted in each of the five places", async () => {
    const cases: [string, string, Record<string, string>][] = [
      ["Authorization: Bearer", "/v1/models", { authorization: `Bearer ${KEY}` }],
      ["Authorization without a space (whole header)", "/v1/models", { authorization: KEY }],
      ["X-Goog-Api-Key", "/v1/models", { "x-goog-api-key": KEY }],
      ["X-Api-Key", "/v1/models", { "x-api-key": KEY }],
      ["?key=", `/v1/models?key=${KEY}`, {}],
      ["?auth_token=", `/v1/models?auth_token=${KEY}`, {}],
      ["the second configured key", "/v1/models", { authorization: `Bearer ${OTHER_KEY}` }],
    ];
    for (const [label, path, headers] of cases) {
      const res = await get(path, headers);
      const text = await body(res);
      assert.equal(res.status, 200, `${label}: ${text}`);
      assert.equal(JSON.parse(text).object, "list", label);
    }
  });

  test("a wrong key in any place → 401 {\"error\":\"Invalid API key\"}", async () => {
    const cases: [string, Record<string, string>][] = [
      ["/v1/models", { authorization: "Bearer bad" }],
      ["/v1/models", { authorization: "bad" }],
      ["/v1/models", { "x-goog-api-key": "bad" }],
      ["/v1/models", { "x-api-key": "bad" }],
      ["/v1/models?key=bad", {}],
      ["/v1/models?auth_token=bad", {}],
      // The scheme must be Bearer; another scheme means the whole header is the key (CLIProxyAPI extractBearerToken).
      ["/v1/models", { authorization: `Basic ${KEY}` }],
    ];
    for (const [path, headers] of cases) {
      const res = await get(path, headers);
      assert.equal(res.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.equal(await body(res), '{"error":"Invalid API key"}');
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
    }
  });

  test("no key at all → 401 {\"error\":\"Missing API key\"}; empty values count as missing", async () => {
    for (const [path, headers] of [
      ["/v1/models", {}],
      ["/v1/models?key=&auth_token=", {}],
      ["/v1/models", { "x-api-key": "" }],
    ] as [string, Record<string, string>][]) {
      const res = await get(path, headers);
      assert.equal(res.status, 401, path);
      assert.equal(await body(res), '{"error":"Missing API key"}');
    }
  });

  test("any matching candidate wins, even after a wrong one", async () => {
    const res = await get(`/v1/models?key=${KEY}`, { authorization: "Bearer wrong", "x-api-key": "also-wrong" });
    await res.body?.cancel();
    assert.equal(res.status, 200);
  });

  test("the Bearer scheme is case-insensitive", async () => {
    for (const scheme of ["bearer", "BEARER", "Bearer"]) {
      const res = await get("/v1/models", { authorization: `${scheme} ${KEY}` });
      await res.body?.cancel();
      assert.equal(res.status, 200, scheme);
    }
  });

  test("every guarded prefix needs a key; POST routes too", async () => {
    for (const path of ["/v1/models", "/v1beta/models", "/openai/v1/videos", "/backend-api/codex/responses"]) {
      const res = await get(path);
      assert.equal(res.status, 401, path);
      assert.equal(await body(res), '{"error":"Missing API key"}', path);
    }
    const post = await fetch(`${sy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "my-model", messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(post.status, 401);
    assert.equal(await body(post), '{"error":"Missing API key"}');
    assert.equal(upstream.requests.length, 0, "a refused request never reaches the upstream");
  });

  test("a keyed request is proxied", async () => {
    const res = await fetch(`${sy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY },
      body: JSON.stringify({ model: "my-model", messages: [{ role: "user", content: "hi" }] }),
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).choices[0].message.content, "ok");
  });

  test("/healthz and / need no key", async () => {
    const health = await get("/healthz");
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
    const root = await get("/");
    assert.equal(root.status, 200);
    assert.equal((await root.json()).message, "CLI Proxy API Server");
  });

  test("an unguarded unknown path is a 404, not a 401", async () => {
    const res = await get("/not-a-route");
    assert.equal(res.status, 404);
    await res.body?.cancel();
  });
});

describe("open proxy (empty api-keys)", () => {
  let upstream: FakeUpstream;
  const started: TestSwitchyard[] = [];

  before(async () => {
    upstream = await startFakeUpstream(() => ({ kind: "json", body: chatCompletion("open") }));
  });
  after(async () => {
    for (const sy of started) await sy.stop();
    await upstream.close();
  });

  for (const [label, keys] of [["api-keys: []", "api-keys: []\n"], ["no api-keys key", ""], [
    "only blank keys",
    'api-keys: ["  "]\n',
  ]] as const) {
    test(`${label}: no auth at all`, async () => {
      const sy = await startTestSwitchyard(`${keys}${compatEntry(upstream.url)}`);
      started.push(sy);
      const none = await fetch(`${sy.url}/v1/models`);
      assert.equal(none.status, 200);
      assert.equal((await none.json()).data[0].id, "my-model");
      const anyKey = await fetch(`${sy.url}/v1/models`, { headers: { authorization: "Bearer whatever" } });
      await anyKey.body?.cancel();
      assert.equal(anyKey.status, 200);
      const chat = await fetch(`${sy.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: "my-model", messages: [] }),
      });
      assert.equal(chat.status, 200);
      assert.equal((await chat.json()).choices[0].message.content, "open");
    });
  }
});

describe("example key safe mode", () => {
  let upstream: FakeUpstream;
  let sy: TestSwitchyard;

  before(async () => {
    upstream = await startFakeUpstream(() => ({ kind: "json", body: chatCompletion("never") }));
    sy = await startTestSwitchyard(`api-keys: ["your-api-key-1", "${KEY}"]\n${compatEntry(upstream.url)}`);
  });
  after(async () => {
    await sy.stop();
    await upstream.close();
  });

  test("proxy paths answer 403 unsafe_example_api_key with x-cpa-safe-mode, whatever key is sent", async () => {
    for (const headers of [{}, { authorization: `Bearer ${KEY}` }, { authorization: "Bearer your-api-key-1" }] as Record<string, string>[]) {
      const res = await fetch(`${sy.url}/v1/models`, { headers });
      assert.equal(res.status, 403);
      assert.ok(res.headers.get("x-cpa-safe-mode"), "x-cpa-safe-mode header");
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      const json = await res.json();
      assert.equal(json.error, "unsafe_example_api_key");
      assert.equal(typeof json.message, "string");
    }
    const chat = await fetch(`${sy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: "my-model", messages: [] }),
    });
    assert.equal(chat.status, 403);
    await chat.body?.cancel();
    assert.equal(upstream.requests.length, 0);
  });

  test("/healthz still answers", async () => {
    const res = await fetch(`${sy.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
  });
});

describe("checkClientAuth", () => {
  const auth = compileClientAuth([KEY, ` ${OTHER_KEY} `, "", "a+b c"]);
  const url = "http://127.0.0.1:1/v1/models";
  const h = (init: Record<string, string> = {}) => new Headers(init);

  test("compileClientAuth trims and drops blanks; open only when nothing is left", () => {
    assert.equal(auth.open, false);
    assert.equal(auth.unsafeExample, false);
    assert.equal(auth.digests.length, 3);
    assert.equal(compileClientAuth([]).open, true);
    assert.equal(compileClientAuth(["", "   "]).open, true);
    assert.equal(compileClientAuth(["your-api-key-3"]).unsafeExample, true);
    assert.equal(compileClientAuth([" your-api-key-2 "]).unsafeExample, true);
    assert.equal(compileClientAuth(["your-api-key-4"]).unsafeExample, false);
  });

  test("an open config accepts anything", () => {
    assert.equal(checkClientAuth(compileClientAuth([]), h(), url), "ok");
    assert.equal(checkClientAuth(compileClientAuth([]), h({ authorization: "Bearer x" }), url), "ok");
  });

  test("each place, in isolation", () => {
    assert.equal(checkClientAuth(auth, h({ authorization: `Bearer ${KEY}` }), url), "ok");
    assert.equal(checkClientAuth(auth, h({ authorization: `Bearer   ${KEY}` }), url), "ok");
    assert.equal(checkClientAuth(auth, h({ authorization: KEY }), url), "ok");
    assert.equal(checkClientAuth(auth, h({ "x-goog-api-key": KEY }), url), "ok");
    assert.equal(checkClientAuth(auth, h({ "x-api-key": OTHER_KEY }), url), "ok", "configured key was trimmed");
    assert.equal(checkClientAuth(auth, h(), `${url}?key=${KEY}`), "ok");
    assert.equal(checkClientAuth(auth, h(), `${url}?alt=sse&auth_token=${KEY}`), "ok");
  });

  test("query values are URL-decoded (+ is a space)", () => {
    assert.equal(checkClientAuth(auth, h(), `${url}?key=a%2Bb+c`), "ok");
    assert.equal(checkClientAuth(auth, h(), `${url}?key=a+b+c`), "invalid");
  });

  test("missing vs invalid", () => {
    assert.equal(checkClientAuth(auth, h(), url), "missing");
    assert.equal(checkClientAuth(auth, h(), `${url}?key=`), "missing");
    assert.equal(checkClientAuth(auth, h(), `${url}?other=${KEY}`), "missing");
    assert.equal(checkClientAuth(auth, h({ authorization: "Bearer nope" }), url), "invalid");
    assert.equal(checkClientAuth(auth, h({ "x-api-key": "nope" }), url), "invalid");
    assert.equal(checkClientAuth(auth, h(), `${url}?auth_token=nope`), "invalid");
    // A key is not a prefix match, nor a case-insensitive one.
    assert.equal(checkClientAuth(auth, h({ "x-api-key": KEY.slice(0, -1) }), url), "invalid");
    assert.equal(checkClientAuth(auth, h({ "x-api-key": KEY.toUpperCase() }), url), "invalid");
    assert.equal(checkClientAuth(auth, h({ "x-api-key": KEY + "x" }), url), "invalid");
  });

  test("only the Bearer scheme is stripped; any other header is compared whole", () => {
    assert.equal(checkClientAuth(auth, h({ authorization: `bearer ${KEY}` }), url), "ok");
    assert.equal(checkClientAuth(auth, h({ authorization: `Basic ${KEY}` }), url), "invalid");
    assert.equal(checkClientAuth(auth, h({ authorization: `Token ${KEY}` }), url), "invalid");
    // A configured key that contains a space is matched as the whole header.
    assert.equal(checkClientAuth(auth, h({ authorization: "a+b c" }), url), "ok");
  });

  test("a match anywhere wins over wrong values elsewhere", () => {
    assert.equal(
      checkClientAuth(auth, h({ authorization: "Bearer x", "x-goog-api-key": "y", "x-api-key": "z" }), `${url}?key=${KEY}`),
      "ok",
    );
  });
});
