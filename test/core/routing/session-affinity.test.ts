/**
 * Session affinity (`routing.session-affinity`, behaviour.md §3.2): id extraction from every header and body source,
 * the bounded TTL map with an injected clock, and end to end through a real Switchyard whose fake upstream tells the
 * keys apart by their Authorization header.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "../../../core/formats/wire-format.ts";
import {
  claudeMetadataSessionId,
  extractSessionIds,
  normalizeSessionId,
  SessionAffinityCache,
  SessionBinding,
} from "../../../core/routing/session-affinity.ts";
import {
  chatCompletion,
  type FakeReply,
  type RecordedRequest,
  startFakeUpstream,
} from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard } from "../../helpers/switchyard.ts";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const UUID = "7f3c2a10-1b2c-4d5e-8f90-a1b2c3d4e5f6";

function ids(headers: Record<string, string>, body: JsonObject) {
  return extractSessionIds(new Headers(headers), body);
}

describe("session id extraction", () => {
  const messages = [{ role: "user", content: "hi" }];

  test("each header source, with its namespace", () => {
    assert.deepEqual(ids({ "X-Claude-Code-Session-Id": "s1" }, { messages }), { primary: "claude:s1", alias: null });
    assert.deepEqual(ids({ "Session-Id": "s2" }, { messages }), { primary: "codex:s2", alias: null });
    assert.deepEqual(ids({ "Session_id": "s3" }, { messages }), { primary: "codex:s3", alias: null });
    assert.deepEqual(ids({ "X-Session-ID": "s4" }, { messages }), { primary: "header:s4", alias: null });
    assert.deepEqual(ids({ "X-Session-Affinity": "s5" }, { messages }), { primary: "affinity:s5", alias: null });
    assert.deepEqual(ids({ "X-Client-Request-Id": "s6" }, { messages }), { primary: "clientreq:s6", alias: null });
  });

  test("each body source", () => {
    assert.equal(ids({}, { session_id: "b1", messages })?.primary, "session:b1");
    assert.equal(ids({}, { sessionId: "b1b", messages })?.primary, "session:b1b");
    assert.deepEqual(ids({}, { prompt_cache_key: "b2", messages }), { primary: "pck:b2", alias: null });
    assert.deepEqual(ids({}, { prompt_cache_key: "b2", conversation: "c9" }), { primary: "pck:b2", alias: "conv:c9" });
    assert.equal(ids({}, { conversation: "b3" })?.primary, "conv:b3");
    assert.equal(ids({}, { conversation: { id: "b4" } })?.primary, "conv:b4");
    assert.equal(ids({}, { metadata: { user_id: "b5" } })?.primary, "user:b5");
    assert.equal(ids({}, { conversation_id: "b6" })?.primary, "conv:b6");
  });

  test("Claude Code metadata.user_id: JSON and legacy forms name the session", () => {
    const json = { metadata: { user_id: JSON.stringify({ device_id: "d", account_uuid: "", session_id: UUID }) } };
    assert.equal(claudeMetadataSessionId(json), UUID);
    assert.equal(ids({}, json)?.primary, `claude:${UUID}`);
    const legacy = { metadata: { user_id: `user_${"ab".repeat(32)}_account__session_${UUID}` } };
    assert.equal(ids({}, legacy)?.primary, `claude:${UUID}`);
    // Not a Claude Code shape: the whole user_id is the id, later in the order.
    assert.equal(ids({}, { metadata: { user_id: "alice" } })?.primary, "user:alice");
  });

  test("precedence follows CLIProxyAPI's order", () => {
    const body = { session_id: "body", metadata: { user_id: `u_session_${UUID}` } };
    assert.equal(ids({ "x-claude-code-session-id": "h" }, body)?.primary, "claude:h");
    assert.equal(ids({ "session-id": "h" }, body)?.primary, `claude:${UUID}`, "Claude metadata beats Session-Id");
    assert.equal(ids({ "x-client-request-id": "h" }, { session_id: "body" })?.primary, "clientreq:h");
    assert.equal(ids({}, { prompt_cache_key: "p", session_id: "s" })?.primary, "session:s");
    assert.equal(ids({}, { prompt_cache_key: "p", metadata: { user_id: "u" } })?.primary, "pck:p");
    assert.equal(ids({}, { conversation_id: "c", metadata: { user_id: "u" } })?.primary, "user:u");
  });

  test("unusable values are no id: empty, control characters, over 256 characters", () => {
    assert.equal(normalizeSessionId("  "), "");
    assert.equal(normalizeSessionId("a\u0001b"), "");
    assert.equal(normalizeSessionId("x".repeat(257)), "");
    assert.equal(normalizeSessionId(" ok "), "ok");
    assert.equal(ids({ "x-session-id": "x".repeat(300) }, { session_id: "s" })?.primary, "session:s");
  });

  test("no id: a hash of the conversation root, shared by later turns, distinct per conversation", () => {
    const first = ids({}, { messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello" }] });
    const later = ids({}, {
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: [{ type: "text", text: "hello" }] },
        { role: "assistant", content: "hi!" },
        { role: "user", content: "more" },
      ],
    });
    const other = ids({}, { messages: [{ role: "system", content: "be brief" }, { role: "user", content: "bye" }] });
    assert.match(first!.primary, /^msg:[0-9a-f]{14}$/);
    assert.equal(later!.primary, first!.primary);
    assert.notEqual(other!.primary, first!.primary);
    // Claude top-level system, Responses instructions/input, Gemini systemInstruction/contents.
    const claude = ids({}, { system: "be brief", messages: [{ role: "user", content: "hello" }] });
    const responses = ids({}, { instructions: "be brief", input: [{ role: "user", content: "hello" }] });
    const gemini = ids({}, {
      systemInstruction: { parts: [{ text: "be brief" }] },
      contents: [{ role: "user", parts: [{ text: "hello" }] }],
    });
    assert.equal(claude!.primary, first!.primary);
    assert.equal(responses!.primary, first!.primary);
    assert.equal(gemini!.primary, first!.primary);
    assert.equal(ids({}, { model: "m" }), null, "nothing to hash");
  });
});

describe("SessionAffinityCache", () => {
  test("a binding expires after its TTL; a refresh extends it", () => {
    const c = clock();
    const cache = new SessionAffinityCache({ clock: c.now });
    cache.set("k", "A", 1000);
    c.advance(900);
    assert.equal(cache.get("k"), "A");
    assert.equal(cache.touch("k", "A", 1000), true);
    c.advance(900);
    assert.equal(cache.get("k"), "A", "refreshed at 900 ms");
    c.advance(100);
    assert.equal(cache.get("k"), undefined, "expired");
    assert.equal(cache.size, 0, "an expired entry is swept on access");
    assert.equal(cache.touch("k", "A", 1000), false, "an expired binding is not revived");
  });

  test("release only drops a binding still naming that credential", () => {
    const cache = new SessionAffinityCache({ clock: clock().now });
    cache.set("k", "B", 1000);
    assert.equal(cache.release("k", "A"), false);
    assert.equal(cache.get("k"), "B");
    assert.equal(cache.touch("k", "A", 1000), false);
    assert.equal(cache.release("k", "B"), true);
    assert.equal(cache.get("k"), undefined);
  });

  test("bounded: the least recently used binding is evicted first", () => {
    const cache = new SessionAffinityCache({ clock: clock().now, maxEntries: 3 });
    cache.set("a", "A", 1000);
    cache.set("b", "A", 1000);
    cache.set("c", "A", 1000);
    cache.touch("a", "A", 1000); // a is now the most recent
    cache.set("d", "B", 1000);
    assert.equal(cache.size, 3);
    assert.equal(cache.get("b"), undefined, "b was the least recently used");
    assert.equal(cache.get("a"), "A");
    assert.equal(cache.get("d"), "B");
    cache.forgetCredential("A");
    assert.equal(cache.size, 1);
  });

  test("SessionBinding keys on mixed::<id>::<model> and binds an alias alongside", () => {
    const c = clock();
    const cache = new SessionAffinityCache({ clock: c.now });
    const headers = new Headers();
    // An earlier turn only had the conversation id.
    const early = SessionBinding.of(cache, 1000, headers, { conversation: "c1" }, "m")!;
    assert.equal(early.key, "mixed::conv:c1::m");
    early.bind("A");
    // A later turn adds a prompt_cache_key: the conversation binding carries over to it.
    const later = SessionBinding.of(cache, 1000, headers, { prompt_cache_key: "p1", conversation: "c1" }, "m")!;
    assert.equal(later.key, "mixed::pck:p1::m");
    assert.equal(later.bound(), "A");
    later.bind("A");
    assert.equal(cache.get("mixed::pck:p1::m"), "A");
    later.release("A");
    assert.equal(later.bound(), undefined, "a failure drops both keys");
    assert.equal(SessionBinding.of(cache, 1000, headers, { model: "m" }, "m"), null);
    const other = SessionBinding.of(cache, 1000, new Headers({ "x-session-id": "s" }), {}, "m2")!;
    assert.equal(other.key, "mixed::header:s::m2", "per model");
  });
});

// ---------------------------------------------------------------------------------------------------------------
// End to end

function keyOf(req: RecordedRequest): string {
  return (req.headers.get("authorization") ?? "").replace("Bearer ", "");
}

const echoKey = (req: RecordedRequest): FakeReply => ({ kind: "json", body: chatCompletion(keyOf(req)) });

function config(url: string, routing: string, keys = ["key-A", "key-B"]) {
  return `
routing: ${routing}
openai-compatibility:
  - name: fake
    base-url: "${url}"
    api-key-entries:
${keys.map((k) => `      - {api-key: "${k}"}`).join("\n")}
    models: [{name: up, alias: m}]
`;
}

async function chatKey(
  url: string,
  opts: { headers?: Record<string, string>; body?: JsonObject; path?: string } = {},
): Promise<string> {
  const claude = opts.path === "/v1/messages";
  const res = await fetch(`${url}${opts.path ?? "/v1/chat/completions"}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...opts.headers },
    body: JSON.stringify({
      model: "m",
      ...(claude ? { max_tokens: 64 } : {}),
      messages: [{ role: "user", content: "hi" }],
      ...opts.body,
    }),
  });
  const body = await res.json() as Record<string, unknown>;
  assert.equal(res.status, 200, JSON.stringify(body));
  if (claude) return (body as { content: { text: string }[] }).content[0]!.text;
  return (body as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
}

async function keysFor(url: string, n: number, opts: Parameters<typeof chatKey>[1] = {}): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await chatKey(url, opts));
  return out;
}

describe("session affinity end to end", () => {
  test("affinity on: one session sticks to one credential while round-robin alone alternates", async () => {
    const up = await startFakeUpstream(echoKey);
    const sy = await startTestSwitchyard(config(up.url, "{strategy: round-robin, session-affinity: true}"));
    try {
      const s1 = await keysFor(sy.url, 4, { headers: { "x-session-id": "one" } });
      assert.equal(new Set(s1).size, 1, `session one stuck: ${s1}`);
      const s2 = await keysFor(sy.url, 4, { headers: { "x-session-id": "two" } });
      assert.equal(new Set(s2).size, 1, `session two stuck: ${s2}`);
      // The strategy still spreads new sessions: "two" was bound by the cursor, which moved on after "one".
      assert.notEqual(s1[0], s2[0]);
      assert.equal(sy.runtime.routing.affinity.size, 2);
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("affinity off: the same session alternates, and nothing is bound", async () => {
    const up = await startFakeUpstream(echoKey);
    const sy = await startTestSwitchyard(config(up.url, "{strategy: round-robin}"));
    try {
      assert.deepEqual(await keysFor(sy.url, 4, { headers: { "x-session-id": "one" } }), [
        "key-A",
        "key-B",
        "key-A",
        "key-B",
      ]);
      assert.equal(sy.runtime.routing.affinity.size, 0);
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("every header and body source keeps its session on one credential", async () => {
    const up = await startFakeUpstream(echoKey);
    const sy = await startTestSwitchyard(config(up.url, "{strategy: round-robin, session-affinity: true}"));
    const claudeUser = JSON.stringify({ device_id: "d", account_uuid: "", session_id: UUID });
    const sources: [string, Parameters<typeof chatKey>[1]][] = [
      ["X-Claude-Code-Session-Id", { headers: { "X-Claude-Code-Session-Id": "h1" } }],
      ["Claude metadata.user_id (JSON)", { path: "/v1/messages", body: { metadata: { user_id: claudeUser } } }],
      ["Claude metadata.user_id (legacy)", {
        path: "/v1/messages",
        body: { metadata: { user_id: `user_abc_account__session_${UUID.replace("7f", "8f")}` } },
      }],
      ["Session-Id", { headers: { "Session-Id": "h2" } }],
      ["Session_id", { headers: { "Session_id": "h3" } }],
      ["X-Session-ID", { headers: { "X-Session-ID": "h4" } }],
      ["X-Session-Affinity", { headers: { "X-Session-Affinity": "h5" } }],
      ["X-Client-Request-Id", { headers: { "X-Client-Request-Id": "h6" } }],
      ["session_id", { body: { session_id: "b1" } }],
      ["prompt_cache_key", { body: { prompt_cache_key: "b2" } }],
      ["conversation", { body: { conversation: "b3" } }],
      ["conversation.id", { body: { conversation: { id: "b4" } } }],
      ["metadata.user_id", { body: { metadata: { user_id: "b5" } } }],
      ["conversation_id", { body: { conversation_id: "b6" } }],
      ["leading messages", { body: { messages: [{ role: "user", content: "a unique opening line" }] } }],
    ];
    try {
      for (const [name, opts] of sources) {
        const used = await keysFor(sy.url, 3, opts);
        assert.equal(new Set(used).size, 1, `${name}: ${used}`);
      }
      // One binding per source (the Claude JSON and legacy forms name different sessions).
      assert.equal(sy.runtime.routing.affinity.size, sources.length);
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("a conversation without ids keeps its credential as it grows", async () => {
    const up = await startFakeUpstream(echoKey);
    const sy = await startTestSwitchyard(config(up.url, "{strategy: round-robin, session-affinity: true}"));
    try {
      const turns: JsonObject[] = [{ role: "system", content: "sys" }, { role: "user", content: "start" }];
      const used: string[] = [];
      for (let i = 0; i < 4; i++) {
        const key = await chatKey(sy.url, { body: { messages: turns } });
        used.push(key);
        turns.push({ role: "assistant", content: key }, { role: "user", content: `turn ${i}` });
      }
      assert.equal(new Set(used).size, 1, `${used}`);
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("a failure drops the binding: the session moves to the credential that answered, and stays there", async () => {
    let failA = false;
    const up = await startFakeUpstream((req) =>
      failA && keyOf(req) === "key-A"
        ? { kind: "json", status: 500, body: { error: { message: "boom" } } }
        : echoKey(req)
    );
    const sy = await startTestSwitchyard(
      config(up.url, "{strategy: fill-first, session-affinity: true}") + "transient-error-cooldown-seconds: -1\n",
    );
    const s = { headers: { "x-session-id": "s" } };
    try {
      assert.deepEqual(await keysFor(sy.url, 2, s), ["key-A", "key-A"]);
      failA = true;
      assert.equal(await chatKey(sy.url, s), "key-B", "A failed inside the request, B answered");
      failA = false;
      // A is healthy again (no cooldown: transient cooling is off) and fill-first would pick it, but the session
      // was rebound to B when A's failure dropped the old binding.
      assert.deepEqual(await keysFor(sy.url, 3, s), ["key-B", "key-B", "key-B"]);
      assert.deepEqual(await keysFor(sy.url, 1), ["key-A"], "a request without a session follows fill-first");
      assert.deepEqual(sy.runtime.cooldowns.health().find((h) => h.credentialId.endsWith("#0"))?.cooldowns, {});
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("a request fault keeps the binding (the credential is not to blame)", async () => {
    let fault = false;
    const up = await startFakeUpstream((req) =>
      fault
        ? { kind: "json", status: 400, body: { error: { message: "bad", type: "invalid_request_error" } } }
        : echoKey(req)
    );
    const sy = await startTestSwitchyard(config(up.url, "{strategy: round-robin, session-affinity: true}"));
    const s = { headers: { "x-session-id": "s" } };
    try {
      const [first] = await keysFor(sy.url, 1, s);
      fault = true;
      const res = await fetch(`${sy.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...s.headers },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      });
      assert.equal(res.status, 400);
      await res.body?.cancel();
      fault = false;
      assert.deepEqual(await keysFor(sy.url, 2, s), [first, first]);
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("a binding to a cooling credential is skipped; the strategy picks and the session rebinds", async () => {
    let limitA = false;
    const up = await startFakeUpstream((req) =>
      limitA && keyOf(req) === "key-A"
        ? { kind: "json", status: 429, body: { error: { message: "slow" } }, headers: { "retry-after": "60" } }
        : echoKey(req)
    );
    const sy = await startTestSwitchyard(config(up.url, "{strategy: fill-first, session-affinity: true}"));
    try {
      assert.equal(await chatKey(sy.url, { headers: { "x-session-id": "s" } }), "key-A");
      limitA = true;
      // Another session's request benches A; session s is still bound to A.
      assert.equal(await chatKey(sy.url, { headers: { "x-session-id": "t" } }), "key-B");
      assert.equal(up.requests.filter((r) => keyOf(r) === "key-A").length, 2);
      assert.deepEqual(await keysFor(sy.url, 2, { headers: { "x-session-id": "s" } }), ["key-B", "key-B"]);
      assert.equal(up.requests.filter((r) => keyOf(r) === "key-A").length, 2, "cooling A was not tried for s");
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("the binding expires after session-affinity-ttl", async () => {
    const up = await startFakeUpstream(echoKey);
    const sy = await startTestSwitchyard(
      config(up.url, "{strategy: round-robin, session-affinity: true, session-affinity-ttl: 500ms}"),
    );
    const s = { headers: { "x-session-id": "s" } };
    try {
      // The first request takes the cursor's A and binds it; a hit does not move the cursor, which points at B.
      assert.deepEqual(await keysFor(sy.url, 2, s), ["key-A", "key-A"]);
      await new Promise((r) => setTimeout(r, 700));
      // Expired: the cursor's B serves and the session rebinds there.
      assert.deepEqual(await keysFor(sy.url, 2, s), ["key-B", "key-B"]);
    } finally {
      await sy.stop();
      await up.close();
    }
  });

  test("a binding outranks priority while the bound credential is healthy", async () => {
    const up = await startFakeUpstream(echoKey);
    const yaml = (prioB: number) => `
routing: {strategy: fill-first, session-affinity: true}
openai-compatibility:
  - name: low
    base-url: "${up.url}"
    api-key-entries: [{api-key: "key-A"}]
    models: [{name: up, alias: m}]
  - name: high
    priority: ${prioB}
    base-url: "${up.url}"
    api-key-entries: [{api-key: "key-B"}]
    models: [{name: up, alias: m}]
`;
    const sy = await startTestSwitchyard(yaml(-1), { watch: false });
    const s = { headers: { "x-session-id": "s" } };
    try {
      assert.equal(await chatKey(sy.url, s), "key-A");
      // B becomes the higher bucket: new sessions go there, the bound one stays on A.
      const { writeFile } = await import("node:fs/promises");
      await writeFile(sy.configPath, yaml(5));
      await sy.runtime.reload();
      assert.equal(await chatKey(sy.url), "key-B");
      assert.deepEqual(await keysFor(sy.url, 2, s), ["key-A", "key-A"]);
    } finally {
      await sy.stop();
      await up.close();
    }
  });
});
