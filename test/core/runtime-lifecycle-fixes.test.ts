/**
 * Runtime lifecycle edges found in review: a reload rejected after setup disposes what it set up; switching auth-dir
 * to an empty directory drops the old accounts; close() waits for requests on older snapshots too; an upstream 204
 * passes through without a body.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { chatCompletion, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startTestSwitchyard } from "../helpers/switchyard.ts";

const COUNTING = `
export const state = { setups: 0, disposals: 0 };
globalThis.__lifecycleState = state;
export default {
  name: "counting",
  version: "1.0.0",
  core: "^1.0.0",
  setup(ctx) {
    state.setups++;
    return { dispose() { state.disposals++; }, onRequest: ctx.options.broken ? 5 : undefined };
  },
};
`;

describe("runtime lifecycle fixes", () => {
  test("a reload that fails after plugin setup (malformed hook) disposes the plugins it set up", async () => {
    const sy = await startTestSwitchyard(`plugins: [{use: ./counting.mjs, options: {broken: false}}]\n`, {
      files: { "counting.mjs": COUNTING },
    });
    try {
      const state = (globalThis as { __lifecycleState?: { setups: number; disposals: number } }).__lifecycleState!;
      assert.equal(state.setups, 1);
      await writeFile(sy.configPath, `plugins: [{use: ./counting.mjs, options: {broken: true}}]\nauth-dir: ./auths\n`);
      await assert.rejects(sy.runtime.reload(), /hook must be a function/);
      assert.equal(state.setups, 2, "the rejected build set one up");
      assert.equal(state.disposals, 1, "and disposed it");
    } finally {
      await sy.stop();
    }
  });

  test("switching auth-dir to an empty directory drops the old directory's accounts", async () => {
    const PROVIDER = `export default { name: "p", version: "1.0.0", core: "^1.0.0", setup(ctx) {
      const adapter = { id: "fp", formats: ["openai-chat"], buildRequest: () => ({ url: "http://127.0.0.1:9/", method: "POST", headers: new Headers(), body: "{}" }) };
      ctx.registerCredentialType("fake", { adapter, fromRecord: (r) => ({ id: r.id, provider: "fp", label: "x", priority: 0, weight: 1, models: [{ id: "file-model", upstream: "u" }], data: null }) });
    } };`;
    const sy = await startTestSwitchyard(`auth-dir: ./a\nplugins: [./p.mjs]\n`, {
      files: { "p.mjs": PROVIDER, "a/acct.json": JSON.stringify({ type: "fake" }) },
    });
    try {
      assert.ok(sy.runtime.snapshot.models.resolve("file-model"));
      await writeFile(sy.configPath, `auth-dir: ./b\nplugins: [./p.mjs]\n`);
      assert.equal(await sy.runtime.reload(), "applied");
      assert.equal(sy.runtime.snapshot.models.resolve("file-model"), undefined);
    } finally {
      await sy.stop();
    }
  });

  test("close() waits for a request holding an older snapshot", async () => {
    const sy = await startTestSwitchyard(`plugins: [{use: ./counting.mjs, options: {broken: false}}]\n`, {
      files: { "counting.mjs": COUNTING.replace("__lifecycleState", "__lifecycleState2") },
    });
    const state = (globalThis as { __lifecycleState2?: { setups: number; disposals: number } }).__lifecycleState2!;
    const held = sy.runtime.store.acquire();
    // A routing-only swap (what an auth-file change does) leaves the held snapshot behind the current one.
    sy.runtime.store.swap({ ...sy.runtime.snapshot, version: sy.runtime.snapshot.version + 1 });
    let closed = false;
    const closing = sy.close(5000).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(closed, false, "still waiting for the older snapshot's request");
    assert.equal(state.disposals, 0);
    sy.runtime.store.release(held);
    await closing;
    assert.equal(state.disposals, 1);
    await sy.stop();
  });

  test("an upstream 204 reaches the client as a bodiless 204", async () => {
    const up = await startFakeUpstream(() => ({ kind: "text", status: 204, body: "" }));
    const sy = await startTestSwitchyard(`
openai-compatibility:
  - name: f
    base-url: "${up.url}"
    models: [{name: u, alias: m}]
`);
    try {
      const res = await fetch(`${sy.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }] }),
      });
      assert.equal(res.status, 204);
      assert.equal(await res.text(), "");
      void chatCompletion;
    } finally {
      await sy.stop();
      await up.close();
    }
  });
});
