/**
 * The request logger is on by default (no `plugins:` list, no logging keys): a failing request still leaves its
 * forced `error-` log, as CLIProxyAPI does; `logging-to-file` routes app log lines to main.log.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard, waitFor } from "../../helpers/switchyard.ts";

/** The name of the first `error-` log in `logs`, once one is there. */
async function waitForErrorLog(logs: string): Promise<string> {
  const find = async () => {
    try {
      return (await readdir(logs)).find((f) => f.startsWith("error-"));
    } catch {
      return undefined;
    }
  };
  await waitFor(async () => (await find()) !== undefined, 5000, "the forced error log");
  return (await find())!;
}

test("with no logging keys, a failed request gets a forced error log and a good one gets none", async () => {
  const up = await startFakeUpstream((req) =>
    req.json?.model === "up-bad"
      ? { kind: "json", status: 500, body: { error: { message: "boom" } } }
      : { kind: "json", body: { id: "x", object: "chat.completion", choices: [] } }
  );
  const sy = await startTestSwitchyard(`
openai-compatibility:
  - name: f
    base-url: "${up.url}"
    api-key-entries: [{api-key: "sk-upstream-secret-123456"}]
    models: [{name: up-good, alias: good}, {name: up-bad, alias: bad}]
`);
  try {
    assert.ok(sy.runtime.snapshot.plugins.some((p) => p.name === "request-logger"), "enabled by default");
    for (const model of ["good", "bad"]) {
      const res = await fetch(`${sy.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model, messages: [{ role: "user", content: "x" }] }),
      });
      await res.text();
    }
    const logs = join(sy.dir, "logs");
    await waitForErrorLog(logs);
    const files = await readdir(logs);
    assert.equal(files.filter((f) => f.endsWith(".log")).length, 1, files.join(", "));
    const text = await readFile(join(logs, files.find((f) => f.startsWith("error-"))!), "utf8");
    assert.match(text, /=== REQUEST BODY ===/);
    assert.match(text, /"model":"bad"/);
    assert.ok(!text.includes("sk-upstream-secret-123456"), "the upstream key is masked");
  } finally {
    await sy.stop();
    await up.close();
  }
});

test("logging-to-file writes the app's log lines to main.log", async () => {
  const sy = await startTestSwitchyard(`logging-to-file: true\n`, { watch: false });
  try {
    await sy.runtime.reload().catch(() => {});
    sy.runtime.log.info("a line for main.log");
    const main = join(sy.dir, "logs", "main.log");
    await waitFor(async () => {
      try {
        return (await readFile(main, "utf8")).includes("a line for main.log");
      } catch {
        return false;
      }
    }, 5000, "main.log");
  } finally {
    await sy.stop();
  }
});

test("a request refused before the pipeline (invalid JSON) still gets its forced error log", async () => {
  const sy = await startTestSwitchyard(`openai-compatibility: []\n`);
  try {
    const res = await fetch(`${sy.url}/v1/chat/completions`, { method: "POST", body: "{not json" });
    assert.equal(res.status, 400);
    await res.text();
    const logs = join(sy.dir, "logs");
    const text = await readFile(join(logs, await waitForErrorLog(logs)), "utf8");
    assert.match(text, /\{not json/, "the body as the client sent it");
    assert.match(text, /Invalid JSON body/);
  } finally {
    await sy.stop();
  }
});

test("a request refused for its client key gets a forced error log (no body); the key it presented is masked", async () => {
  const sy = await startTestSwitchyard(`api-keys: ["sk-client-good-000000"]\nopenai-compatibility: []\n`);
  try {
    const res = await fetch(`${sy.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "sk-client-wrong-987654", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-x", max_tokens: 5, messages: [{ role: "user", content: "hi there" }] }),
    });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: "Invalid API key" }, "CLIProxyAPI's own body, not a format envelope");
    const logs = join(sy.dir, "logs");
    const text = await readFile(join(logs, await waitForErrorLog(logs)), "utf8");
    assert.ok(!text.includes("hi there"), "the body of a refused request is never read");
    assert.match(text, /Invalid API key/);
    assert.match(text, /401/);
    assert.ok(!text.includes("sk-client-wrong-987654"), "the presented key is masked");

    // A missing key is refused the same way, and an authorised request to the same route is not logged as an error.
    const missing = await fetch(`${sy.url}/v1/models`);
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), { error: "Missing API key" });
    await waitFor(async () => (await readdir(logs)).filter((f) => f.startsWith("error-")).length === 2, 5000, "two logs");
  } finally {
    await sy.stop();
  }
});

test("a refused client that stalls mid-body gets its 401 at once, and holds no snapshot", async () => {
  const sy = await startTestSwitchyard(`api-keys: ["sk-client-good-000000"]\nopenai-compatibility: []\n`);
  try {
    const { port, hostname } = new URL(sy.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({
        host: hostname,
        port,
        method: "POST",
        path: "/v1/chat/completions",
        headers: { "content-type": "application/json", "content-length": "100", authorization: "Bearer wrong" },
      }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", (err) => (err.message.includes("socket hang up") ? undefined : reject(err)));
      req.write('{"model":"x"'); // 12 of the 100 bytes announced, then nothing
    });
    assert.equal(status, 401);
    const logs = join(sy.dir, "logs");
    await waitForErrorLog(logs);
    await waitFor(() => sy.runtime.store.inflight(sy.runtime.store.current) === 0, 5000, "the lease released");
  } finally {
    await sy.stop();
  }
});
