import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { chatStreamChunks, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startTestSwitchyard, waitFor } from "../helpers/switchyard.ts";

function compatConfig(upstreamUrl: string, alias: string, extra = ""): string {
  return `# Switchyard test config
api-keys: ["k"]
openai-compatibility:
  - name: fake
    base-url: "${upstreamUrl}"
    api-key-entries: [{api-key: "up"}]
    models:
      - name: real-model
        alias: ${alias}
${extra}`;
}

async function modelIds(url: string): Promise<string[]> {
  const res = await fetch(`${url}/v1/models`, { headers: { authorization: "Bearer k" } });
  const body = await res.json() as { data: { id: string }[] };
  return body.data.map((m) => m.id);
}

describe("hot reload", () => {
  test("a running stream finishes on its snapshot; the next request sees the edit; a bad edit keeps serving", async () => {
    const pieces = Array.from({ length: 8 }, (_, i) => `p${i} `);
    const upstream = await startFakeUpstream(() => ({ kind: "sse", chunks: chatStreamChunks(pieces), delayMs: 120 }));
    const sy = await startTestSwitchyard(compatConfig(upstream.url, "alias-a"), { watch: true });
    try {
      const res = await fetch(`${sy.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer k", "content-type": "application/json" },
        body: JSON.stringify({ model: "alias-a", stream: true, messages: [{ role: "user", content: "x" }] }),
      });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value);

      // Edit the config while the stream is still running.
      await writeFile(sy.configPath, compatConfig(upstream.url, "alias-b"));
      await waitFor(async () => (await modelIds(sy.url)).includes("alias-b"), 5000, "the new alias");
      assert.deepEqual(await modelIds(sy.url), ["alias-b"]);

      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      assert.ok(text.endsWith("data: [DONE]\n\n"), "the old stream completes cleanly");
      for (const p of pieces) assert.ok(text.includes(p));

      const oldAlias = await fetch(`${sy.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer k", "content-type": "application/json" },
        body: JSON.stringify({ model: "alias-a", messages: [{ role: "user", content: "x" }] }),
      });
      assert.equal(oldAlias.status, 400);
      assert.equal(((await oldAlias.json()) as { error: { code: string } }).error.code, "model_not_found");

      // An invalid edit: logged with its reason, the previous config keeps serving.
      await writeFile(sy.configPath, compatConfig(upstream.url, "alias-c", "port: 70000\n"));
      await waitFor(() => sy.logs.some((l) => l.includes("Config change rejected")), 5000, "the rejection log");
      const rejection = sy.logs.find((l) => l.includes("Config change rejected"))!;
      assert.match(rejection, /port/);
      assert.match(rejection, /65535/);
      assert.deepEqual(await modelIds(sy.url), ["alias-b"]);
    } finally {
      await sy.stop();
      await upstream.close();
    }
  });

  test("writing identical content does not rebuild the snapshot", async () => {
    const upstream = await startFakeUpstream(() => ({ kind: "json", body: {} }));
    const sy = await startTestSwitchyard(compatConfig(upstream.url, "same"), { watch: false });
    try {
      const before = sy.runtime.snapshot;
      const config = await readFile(sy.configPath, "utf8");
      await writeFile(sy.configPath, config);
      assert.equal(await sy.runtime.reload(), "unchanged");
      assert.equal(sy.runtime.snapshot, before);
      await writeFile(sy.configPath, config + "\n# a comment changes the bytes\n");
      assert.equal(await sy.runtime.reload(), "applied");
      assert.notEqual(sy.runtime.snapshot, before);
      assert.equal(sy.runtime.snapshot.version, before.version + 1);
    } finally {
      await sy.stop();
      await upstream.close();
    }
  });
});

describe("a CLIProxyAPI config with keys not supported yet", () => {
  test("starts, and lists those keys once", async () => {
    const upstream = await startFakeUpstream(() => ({ kind: "json", body: {} }));
    const config = compatConfig(
      upstream.url,
      "m",
      `request-retry: 3
proxy-url: "socks5://127.0.0.1:1080"
ampcode: {upstream-url: "https://ampcode.com"}
pprof: {enable: true}
auth-dir: "~/.cli-proxy-api"
claude-api-key:
  - api-key: "sk-ant-xyz"
gemini-api-key:
  - api-key: "AIzaXYZ"
    prefix: team-a
oauth-model-alias:
  codex: [{name: "gpt-5", alias: "g5"}]
some-future-key: {nested: [1, 2]}
`,
    );
    const sy = await startTestSwitchyard(config, { watch: false });
    try {
      const warnings = sy.logs.filter((l) => l.includes("not supported yet"));
      assert.equal(warnings.length, 1);
      for (const key of ["ampcode", "pprof", "some-future-key"]) {
        assert.ok(warnings[0]!.includes(key), `${key} is listed`);
      }
      assert.ok(!warnings[0]!.includes("openai-compatibility"));
      for (const served of ["claude-api-key", "gemini-api-key", "request-retry", "auth-dir", "proxy-url", "oauth-model-alias"]) {
        assert.ok(!warnings[0]!.includes(served), `${served} is served by a plugin or the core`);
      }
      assert.ok(!warnings[0]!.includes("api-keys"));
      assert.ok(!warnings[0]!.includes("request-retry"), "retry rounds are served");
      const ids = await modelIds(sy.url);
      assert.ok(ids.includes("m"));
      assert.ok(ids.includes("claude-sonnet-4-6"), "a claude key without models: serves the catalogue");
      assert.ok(ids.includes("gemini-2.5-pro") && ids.includes("team-a/gemini-2.5-pro"), "prefix also exposes team-a/…");
      // The unknown key is kept in the snapshot's config, not dropped.
      assert.deepEqual((sy.runtime.snapshot.config as Record<string, unknown>)["some-future-key"], { nested: [1, 2] });
      // A reload with the same unsupported keys does not repeat the warning.
      await writeFile(sy.configPath, config + "\n# edit\n");
      assert.equal(await sy.runtime.reload(), "applied");
      assert.equal(sy.logs.filter((l) => l.includes("not supported yet")).length, 1);
    } finally {
      await sy.stop();
      await upstream.close();
    }
  });
});
