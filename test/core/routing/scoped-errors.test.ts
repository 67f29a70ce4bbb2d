/**
 * `request-scoped-errors` (behaviour.md §2.3, §3.3): rule compilation and matching, the credential builders that
 * carry the compiled rules, and each action end to end — which credential is called next, and whether the failing
 * one cooled (`sy.runtime.cooldowns.health()`).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { RequestScopedErrorRule } from "../../../core/config/schema.ts";
import { compileGoRegexp, ScopedErrorRules } from "../../../core/routing/scoped-errors.ts";
import { credentialsFromEntries } from "../../../providers/openai-compatible/credentials.ts";
import { credentialsFromKeyEntries } from "../../../providers/shared/key-entries.ts";
import { configSchema } from "../../../core/config/schema.ts";
import {
  chatCompletion,
  type FakeReply,
  type RecordedRequest,
  startFakeUpstream,
} from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard } from "../../helpers/switchyard.ts";

function rule(r: Partial<RequestScopedErrorRule>): RequestScopedErrorRule {
  return { status: 500, match: [], "match-regexr": [], action: "stop", ...r } as RequestScopedErrorRule;
}

describe("ScopedErrorRules", () => {
  test("status must equal; a substring or a regex of the body matches; the first matching rule wins", () => {
    const rules = ScopedErrorRules.compile([
      rule({ status: 429, match: ["quota"], action: "continue" }),
      rule({ status: 500, "match-regexr": ["over ?loaded"], action: "continue-and-cooldown" }),
      rule({ status: 500, match: ["overloaded", "boom"], action: "stop" }),
    ])!;
    assert.equal(rules.size, 3);
    assert.equal(rules.match(429, '{"error":"quota exceeded"}'), "continue");
    assert.equal(rules.match(500, "quota exceeded"), null, "status differs");
    assert.equal(rules.match(500, "server overloaded"), "continue-and-cooldown", "first match wins");
    assert.equal(rules.match(500, "boom"), "stop");
    assert.equal(rules.match(500, "fine"), null);
  });

  test("Go regexp inline flags and anchors; an invalid pattern is skipped, not fatal", () => {
    assert.ok(compileGoRegexp("(?i)Quota")!.test("QUOTA hit"));
    assert.ok(compileGoRegexp("\\Aabc\\z")!.test("abc"));
    assert.ok(!compileGoRegexp("\\Aabc\\z")!.test("abc\n"));
    assert.equal(compileGoRegexp("(unclosed"), null);
    const rules = ScopedErrorRules.compile([rule({ "match-regexr": ["(unclosed", "(?i)busy"], action: "continue" })])!;
    assert.deepEqual(rules.invalidPatterns, ["(unclosed"]);
    assert.equal(rules.match(500, "BUSY"), "continue");
  });

  test("nothing usable compiles to undefined", () => {
    assert.equal(ScopedErrorRules.compile(undefined), undefined);
    assert.equal(ScopedErrorRules.compile([]), undefined);
    assert.equal(ScopedErrorRules.compile([rule({ status: 0, match: ["x"] })]), undefined);
    assert.equal(ScopedErrorRules.compile([rule({ "match-regexr": ["(bad"] })]), undefined);
  });

  test("key entries and openai-compatibility entries carry the compiled rules on their credentials", () => {
    const parsed = configSchema.parse({
      "claude-api-key": [{
        "api-key": "k",
        "request-scoped-errors": [{ status: 403, match: ["org disabled"], action: "stop-and-cooldown" }],
      }, { "api-key": "k2" }],
      "openai-compatibility": [{
        name: "c",
        "base-url": "http://x",
        "api-key-entries": [{ "api-key": "a" }, { "api-key": "b" }],
        models: [{ name: "up", alias: "m" }],
        "request-scoped-errors": [{ status: 400, "match-regexr": ["(?i)safety"], action: "continue" }],
      }],
    });
    const keyed = credentialsFromKeyEntries("claude", parsed["claude-api-key"], {
      defaultBaseUrl: "http://y",
      catalogue: [],
    });
    assert.equal(keyed[0]!.requestScopedErrors?.match(403, "your org disabled"), "stop-and-cooldown");
    assert.equal(keyed[1]!.requestScopedErrors, undefined);
    const compat = credentialsFromEntries(parsed["openai-compatibility"]);
    assert.equal(compat.length, 2);
    for (const c of compat) assert.equal(c.requestScopedErrors?.match(400, "SAFETY block"), "continue");
    assert.equal(compat[0]!.requestScopedErrors, compat[1]!.requestScopedErrors, "compiled once per entry");
  });
});

// ---------------------------------------------------------------------------------------------------------------
// End to end: key-A fails with the scripted status/body, key-B answers; fill-first so A is always tried first.

function keyOf(req: RecordedRequest): string {
  return (req.headers.get("authorization") ?? "").replace("Bearer ", "");
}

const A = "openai-compatible:fake#0";

function config(url: string, rules: string, extra = "") {
  return `
routing: {strategy: fill-first}
${extra}
openai-compatibility:
  - name: fake
    base-url: "${url}"
    api-key-entries: [{api-key: "key-A"}, {api-key: "key-B"}]
    models: [{name: up, alias: m}]
    request-scoped-errors: ${rules}
`;
}

async function start(failA: FakeReply, rules: string, extra = "") {
  const up = await startFakeUpstream((req) =>
    keyOf(req) === "key-A" ? failA : { kind: "json", body: chatCompletion(keyOf(req)) }
  );
  const sy = await startTestSwitchyard(config(up.url, rules, extra));
  return {
    up,
    sy,
    async chat(): Promise<{ status: number; text: string }> {
      const res = await fetch(`${sy.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      });
      return { status: res.status, text: await res.text() };
    },
    keys: () => up.requests.map(keyOf),
    cooledA: () => Object.keys(sy.runtime.cooldowns.health().find((h) => h.credentialId === A)?.cooldowns ?? {}),
    async stop() {
      await sy.stop();
      await up.close();
    },
  };
}

const quota500: FakeReply = { kind: "json", status: 500, body: { error: { message: "account quota_exhausted" } } };

describe("request-scoped-errors end to end", () => {
  test("stop: A's error goes to the client at once; B is never called; A does not cool", async () => {
    const t = await start(quota500, `[{status: 500, match: ["quota_exhausted"], action: stop}]`, "request-retry: 2");
    try {
      const res = await t.chat();
      assert.equal(res.status, 500);
      assert.match(res.text, /quota_exhausted/);
      assert.deepEqual(t.keys(), ["key-A"], "no other credential, no retry round");
      assert.deepEqual(t.cooledA(), []);
      await t.chat();
      assert.deepEqual(t.keys(), ["key-A", "key-A"], "A still first: it was not benched");
    } finally {
      await t.stop();
    }
  });

  test("stop-and-cooldown: the error goes to the client, and A cools", async () => {
    const t = await start(quota500, `[{status: 500, match: ["quota_exhausted"], action: stop-and-cooldown}]`);
    try {
      const res = await t.chat();
      assert.equal(res.status, 500);
      assert.deepEqual(t.keys(), ["key-A"]);
      assert.deepEqual(t.cooledA(), ["up"]);
      const next = await t.chat();
      assert.equal(next.status, 200);
      assert.deepEqual(t.keys(), ["key-A", "key-B"], "A benched: the next request goes straight to B");
    } finally {
      await t.stop();
    }
  });

  test("continue: B serves the request; A does not cool and stays first", async () => {
    const t = await start(quota500, `[{status: 500, match: ["quota_exhausted"], action: continue}]`);
    try {
      const res = await t.chat();
      assert.equal(res.status, 200);
      assert.match(res.text, /key-B/);
      assert.deepEqual(t.cooledA(), []);
      await t.chat();
      assert.deepEqual(t.keys(), ["key-A", "key-B", "key-A", "key-B"]);
    } finally {
      await t.stop();
    }
  });

  test("continue-and-cooldown: B serves the request and A cools, even with disable-cooling", async () => {
    const t = await start(
      quota500,
      `[{status: 500, "match-regexr": ["(?i)QUOTA_\\\\w+"], action: continue-and-cooldown}]`,
      "disable-cooling: true",
    );
    try {
      const res = await t.chat();
      assert.equal(res.status, 200);
      assert.match(res.text, /key-B/);
      assert.deepEqual(t.cooledA(), ["up"]);
      const until = t.sy.runtime.cooldowns.health().find((h) => h.credentialId === A)!.cooldowns["up"]!;
      assert.ok(until - Date.now() > 55_000, "the transient default, 60 s");
      await t.chat();
      assert.deepEqual(t.keys(), ["key-A", "key-B", "key-B"]);
    } finally {
      await t.stop();
    }
  });

  test("continue overrides a request fault: a 400 matching a rule moves on instead of returning", async () => {
    const fault: FakeReply = {
      kind: "json",
      status: 400,
      body: { error: { message: "content blocked by safety filter", type: "invalid_request_error" } },
    };
    const t = await start(fault, `[{status: 400, match: ["safety filter"], action: continue}]`);
    try {
      const res = await t.chat();
      assert.equal(res.status, 200);
      assert.deepEqual(t.keys(), ["key-A", "key-B"]);
      assert.deepEqual(t.cooledA(), []);
    } finally {
      await t.stop();
    }
  });

  test("no matching rule: the default classification applies (500 cools A, B serves)", async () => {
    const t = await start(quota500, `[{status: 500, match: ["something else"], action: stop}]`);
    try {
      const res = await t.chat();
      assert.equal(res.status, 200);
      assert.deepEqual(t.keys(), ["key-A", "key-B"]);
      assert.deepEqual(t.cooledA(), ["up"]);
    } finally {
      await t.stop();
    }
  });

  test("stop applies to a streaming request before its first byte", async () => {
    const t = await start(quota500, `[{status: 500, match: ["quota_exhausted"], action: stop}]`);
    try {
      const res = await fetch(`${t.sy.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] }),
      });
      assert.equal(res.status, 500);
      await res.body?.cancel();
      assert.deepEqual(t.keys(), ["key-A"]);
    } finally {
      await t.stop();
    }
  });
});
