/**
 * Subscription accounts from the auth directory, served by the built-in claude and codex providers with no config
 * key at all: OAuth Bearer tokens with each backend's required headers, and the refresh-token grant against the
 * provider's token endpoint when a request gets a 401 (files may name `base_url` / `token_endpoint`, which point them
 * at the loopback fakes here).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeHttpProxy } from "../helpers/fake-proxy.ts";
import { startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startTestSwitchyard } from "../helpers/switchyard.ts";

function jwt(payload: Record<string, unknown>): string {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${b64({ alg: "none" })}.${b64(payload)}.sig`;
}

/** A Claude API fake that answers `text` to the refreshed token and 401 to any other. */
function claudeApi(text: string) {
  return startFakeUpstream((req) =>
    req.headers.get("authorization") === "Bearer sk-ant-oat-NEW"
      ? {
        kind: "json",
        body: {
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: String(req.json?.model),
          content: [{ type: "text", text }],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 3, output_tokens: 4 },
        },
      }
      : { kind: "json", status: 401, body: { type: "error", error: { type: "authentication_error", message: "expired" } } }
  );
}

describe("OAuth accounts in auth-dir", () => {
  test("claude: Bearer token, OAuth beta, Claude Code identity; a 401 refreshes through the token endpoint", async () => {
    const tokens = await startFakeUpstream((req) => {
      const body = req.json ?? {};
      return body.grant_type === "refresh_token" && body.refresh_token === "rt-1"
        ? { kind: "json", body: { access_token: "sk-ant-oat-NEW", refresh_token: "rt-2", expires_in: 3600 } }
        : { kind: "json", status: 400, body: { error: "invalid_grant" } };
    });
    const api = await claudeApi("hi from a subscription");
    const sy = await startTestSwitchyard(`auth-dir: ./auths\n`, {
      files: {
        "auths/claude-me@example.com.json": JSON.stringify({
          type: "claude",
          email: "me@example.com",
          access_token: "sk-ant-oat-OLD",
          refresh_token: "rt-1",
          expired: new Date(Date.now() + 86_400_000).toISOString(),
          base_url: api.url,
          token_endpoint: `${tokens.url}/v1/oauth/token`,
        }),
      },
    });
    try {
      const client = new Anthropic({ apiKey: "unused", baseURL: sy.url, maxRetries: 0 });
      const msg = await client.messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 50,
        system: "Be brief.",
        messages: [{ role: "user", content: "hello" }],
      });
      assert.equal(msg.content[0]?.type === "text" ? msg.content[0].text : "", "hi from a subscription");
      const [first, second] = api.requests;
      assert.equal(first!.headers.get("authorization"), "Bearer sk-ant-oat-OLD");
      assert.equal(second!.headers.get("authorization"), "Bearer sk-ant-oat-NEW");
      assert.match(second!.headers.get("anthropic-beta") ?? "", /oauth-2025-04-20/);
      const system = second!.json?.system as { text: string }[];
      assert.equal(system[0]!.text, "You are Claude Code, Anthropic's official CLI for Claude.");
      assert.equal(system[1]!.text, "Be brief.");
      const saved = JSON.parse(await readFile(join(sy.dir, "auths", "claude-me@example.com.json"), "utf8"));
      assert.equal(saved.access_token, "sk-ant-oat-NEW");
      assert.equal(saved.refresh_token, "rt-2");
      assert.ok(Date.parse(saved.expired) > Date.now(), "a new expiry");
    } finally {
      await sy.stop();
      await api.close();
      await tokens.close();
    }
  });

  test("a refresh goes out through the account's proxy_url, as its requests do", async () => {
    const proxy = await startFakeHttpProxy();
    const tokens = await startFakeUpstream(() => ({
      kind: "json",
      body: { access_token: "sk-ant-oat-NEW", refresh_token: "rt-2", expires_in: 3600 },
    }));
    const api = await claudeApi("through the proxy");
    const sy = await startTestSwitchyard(`auth-dir: ./auths\n`, {
      files: {
        "auths/claude-proxied@example.com.json": JSON.stringify({
          type: "claude",
          email: "proxied@example.com",
          access_token: "sk-ant-oat-OLD",
          refresh_token: "rt-1",
          expired: new Date(Date.now() + 86_400_000).toISOString(),
          base_url: api.url,
          token_endpoint: `${tokens.url}/v1/oauth/token`,
          proxy_url: proxy.url,
        }),
      },
    });
    try {
      const client = new Anthropic({ apiKey: "unused", baseURL: sy.url, maxRetries: 0 });
      const msg = await client.messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 50,
        messages: [{ role: "user", content: "hello" }],
      }).catch((err) => {
        throw new Error(`${err}\n${sy.logs.join("\n")}`);
      });
      assert.equal(msg.content[0]?.type === "text" ? msg.content[0].text : "", "through the proxy");
      assert.equal(tokens.requests.length, 1);
      const targets = proxy.records.map((r) => r.target);
      assert.ok(targets.includes(`${tokens.url}/v1/oauth/token`), `the refresh went through the proxy: ${targets}`);
      assert.ok(targets.some((t) => t.startsWith(`${api.url}/v1/messages`)), `so did the requests: ${targets}`);
    } finally {
      await sy.stop();
      await api.close();
      await tokens.close();
      await proxy.close();
    }
  });

  test("codex: the Codex backend with the account id from the id token; the refresh grant is form-encoded", async () => {
    const tokens = await startFakeUpstream((req) =>
      new URLSearchParams(req.text).get("refresh_token") === "rt-c"
        ? { kind: "json", body: { access_token: "codex-NEW", expires_in: 864000 } }
        : { kind: "json", status: 401, body: { error: "invalid_grant" } }
    );
    let seq = 0;
    const ev = (type: string, data: Record<string, unknown>) =>
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
    const item = { id: "m1", type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "ok", annotations: [] }] };
    const api = await startFakeUpstream((req) =>
      req.headers.get("authorization") === "Bearer codex-NEW"
        ? {
          kind: "sse",
          chunks: [
            ev("response.created", { response: { id: "r1", object: "response", created_at: 1, model: "gpt-5", status: "in_progress", output: [] } }),
            ev("response.output_item.added", { output_index: 0, item: { ...item, status: "in_progress", content: [] } }),
            ev("response.output_text.delta", { output_index: 0, item_id: "m1", content_index: 0, delta: "ok" }),
            ev("response.output_item.done", { output_index: 0, item }),
            ev("response.completed", { response: { id: "r1", object: "response", created_at: 1, model: "gpt-5", status: "completed", output: [item], usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } } }),
          ],
        }
        : { kind: "json", status: 401, body: { error: { message: "expired" } } }
    );
    const sy = await startTestSwitchyard(`auth-dir: ./auths\n`, {
      files: {
        "auths/codex-me.json": JSON.stringify({
          type: "codex",
          email: "me@example.com",
          access_token: "codex-OLD",
          refresh_token: "rt-c",
          id_token: jwt({ "https://api.openai.com/auth": { chatgpt_account_id: "acct-42" } }),
          expired: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          base_url: `${api.url}/backend-api/codex`,
          token_endpoint: `${tokens.url}/oauth/token`,
        }),
      },
    });
    try {
      const client = new OpenAI({ apiKey: "unused", baseURL: `${sy.url}/v1`, maxRetries: 0 });
      const res = await client.chat.completions.create({ model: "gpt-5", messages: [{ role: "user", content: "x" }] });
      assert.equal(res.choices[0]!.message.content, "ok");
      const sent = api.requests.at(-1)!;
      assert.equal(sent.path, "/backend-api/codex/responses");
      assert.equal(sent.headers.get("chatgpt-account-id"), "acct-42");
      assert.equal(sent.headers.get("originator"), "codex_cli_rs");
      assert.equal(new URLSearchParams(tokens.requests[0]!.text).get("grant_type"), "refresh_token");
      assert.match(tokens.requests[0]!.headers.get("content-type") ?? "", /x-www-form-urlencoded/);
    } finally {
      await sy.stop();
      await api.close();
      await tokens.close();
    }
  });
});
