/**
 * The auth directory inside a running Switchyard: a provider plugin claims a file type, files are served as
 * credentials, and adding, rewriting identically and removing a file takes effect with no restart (issue 4).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { chatCompletion, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard, waitFor } from "../../helpers/switchyard.ts";

const PROVIDER = `
export default {
  name: "file-provider",
  version: "1.0.0",
  core: "^1.0.0",
  setup(ctx) {
    const adapter = {
      id: "fileprov",
      formats: ["openai-chat"],
      buildRequest(call) {
        const headers = new Headers({ "content-type": "application/json", authorization: "Bearer " + call.credential.data.token });
        return { url: ctx.options.base + "/chat/completions", method: "POST", headers, body: JSON.stringify(call.body) };
      },
    };
    ctx.registerCredentialType("fakecred", {
      adapter,
      fromRecord(record) {
        if (typeof record.raw.access_token !== "string") return null;
        return {
          id: record.id,
          provider: "fileprov",
          label: record.label,
          priority: 0,
          weight: 1,
          models: [{ id: "file-model", upstream: "up-file" }],
          data: { token: record.raw.access_token },
        };
      },
    });
  },
};
`;

async function ids(url: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
  return body.data.map((m) => m.id);
}

describe("auth directory in a running server", () => {
  test("a file added is served, an identical rewrite changes nothing, a removed file is gone", async () => {
    const up = await startFakeUpstream(() => ({ kind: "json", body: chatCompletion("from file") }));
    const sy = await startTestSwitchyard(
      `
auth-dir: ./auths
plugins:
  - use: ./provider.mjs
    options: {base: "${up.url}"}
`,
      { files: { "provider.mjs": PROVIDER }, authDebounceMs: 50, watch: true },
    );
    const auths = join(sy.dir, "auths");
    try {
      await mkdir(auths, { recursive: true });
      assert.deepEqual(await ids(sy.url), []);

      const file = JSON.stringify({ type: "fakecred", email: "me@example.com", access_token: "tok-1" });
      await writeFile(join(auths, "fake-me.json"), file);
      await waitFor(async () => (await ids(sy.url)).includes("file-model"), 8000, "the file credential");
      const res = await fetch(`${sy.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: "file-model", messages: [{ role: "user", content: "x" }] }),
      });
      assert.equal(res.status, 200);
      await res.text();
      assert.equal(up.requests.at(-1)!.headers.get("authorization"), "Bearer tok-1");

      const version = sy.runtime.snapshot.version;
      await writeFile(join(auths, "fake-me.json"), file);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(sy.runtime.snapshot.version, version, "identical bytes: no rebuild");

      await writeFile(join(auths, "other.json"), JSON.stringify({ type: "mystery", token: "x" }));
      await waitFor(
        () => (sy.runtime.authFiles?.state().issues ?? []).some((i) => i.id === "other.json"),
        8000,
        "the unknown type listed",
      );
      assert.ok((await ids(sy.url)).includes("file-model"), "an unknown type is skipped, not fatal");

      await rm(join(auths, "fake-me.json"));
      await waitFor(async () => !(await ids(sy.url)).includes("file-model"), 8000, "the removal");
    } finally {
      await sy.stop();
      await up.close();
    }
  });
});

describe("oauth-model-alias and oauth-excluded-models", () => {
  test("apply to auth files by channel (type); a file's own model_aliases win", async () => {
    const up = await startFakeUpstream(() => ({ kind: "json", body: chatCompletion("x") }));
    const sy = await startTestSwitchyard(
      `
auth-dir: ./auths
oauth-model-alias:
  fakecred: [{name: up-file, alias: channel-alias, fork: true}]
oauth-excluded-models:
  fakecred: ["nothing-*"]
plugins:
  - use: ./provider.mjs
    options: {base: "${up.url}"}
`,
      {
        files: {
          "provider.mjs": PROVIDER,
          "auths/a.json": JSON.stringify({ type: "fakecred", access_token: "a" }),
          "auths/b.json": JSON.stringify({
            type: "fakecred",
            access_token: "b",
            model_aliases: [{ name: "up-file", alias: "own-alias" }],
          }),
        },
      },
    );
    try {
      const list = await ids(sy.url);
      assert.ok(list.includes("file-model"), "fork keeps the original id");
      assert.ok(list.includes("channel-alias"));
      assert.ok(list.includes("own-alias"), "the file's own alias");
      assert.equal(sy.runtime.snapshot.models.resolve("own-alias")!.length, 1, "only b serves its own alias");
      assert.equal(sy.runtime.snapshot.models.resolve("channel-alias")!.length, 1, "b's own aliases replace the channel's");
    } finally {
      await sy.stop();
      await up.close();
    }
  });
});
