/**
 * An OAuth credential whose access token expired: the upstream answers 401, the core refreshes the token once
 * through the provider's refresh handler, retries once, and saves the new token to the auth file (0600).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { chatCompletion, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard } from "../../helpers/switchyard.ts";

const PROVIDER = `
export let refreshCalls = 0;
export default {
  name: "oauth-provider",
  version: "1.0.0",
  core: "^1.0.0",
  setup(ctx) {
    const adapter = {
      id: "oauthprov",
      formats: ["openai-chat"],
      buildRequest(call) {
        const headers = new Headers({ "content-type": "application/json", authorization: "Bearer " + call.credential.data.token });
        return { url: ctx.options.base + "/chat/completions", method: "POST", headers, body: JSON.stringify(call.body) };
      },
    };
    ctx.registerCredentialType("oauthy", {
      adapter,
      fromRecord: (record) => ({
        id: record.id, provider: "oauthprov", label: record.label, priority: 0, weight: 1,
        models: [{ id: "oauth-model", upstream: "up" }], data: { token: record.raw.access_token },
      }),
      refresh: {
        leadMs: 60000,
        async refresh(record) {
          refreshCalls++;
          return { record: { ...record.raw, access_token: "fresh-token", last_refresh: new Date().toISOString() } };
        },
      },
    });
  },
};
`;

test("a 401 on an OAuth credential refreshes the token once and retries", async () => {
  const up = await startFakeUpstream((req) =>
    req.headers.get("authorization") === "Bearer fresh-token"
      ? { kind: "json", body: chatCompletion("after refresh") }
      : { kind: "json", status: 401, body: { error: { message: "token expired", type: "authentication_error" } } }
  );
  const sy = await startTestSwitchyard(
    `
auth-dir: ./auths
plugins:
  - use: ./provider.mjs
    options: {base: "${up.url}"}
`,
    {
      files: {
        "provider.mjs": PROVIDER,
        // Expires in a day: the scheduler would not refresh it on its own yet.
        "auths/acct.json": JSON.stringify({
          type: "oauthy",
          email: "me@example.com",
          access_token: "stale-token",
          refresh_token: "rt",
          expired: new Date(Date.now() + 86_400_000).toISOString(),
        }),
      },
    },
  );
  try {
    const res = await fetch(`${sy.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "oauth-model", messages: [{ role: "user", content: "x" }] }),
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).choices[0].message.content, "after refresh");
    assert.deepEqual(up.requests.map((r) => r.headers.get("authorization")), ["Bearer stale-token", "Bearer fresh-token"]);
    const file = join(sy.dir, "auths", "acct.json");
    assert.equal(JSON.parse(await readFile(file, "utf8")).access_token, "fresh-token", "the new token is saved");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(sy.runtime.cooldowns.health().find((h) => h.credentialId === "acct.json")?.failures ?? 0, 0, "not cooled");
  } finally {
    await sy.stop();
    await up.close();
  }
});
