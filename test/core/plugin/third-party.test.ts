/**
 * Third-party plugins end to end: loaded from a file path, from an installed npm package, and a provider plugin serving
 * a model — all through a real Switchyard listening on 127.0.0.1, with requests sent over HTTP.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chatCompletion, chatStreamChunks, type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startTestSwitchyard, type TestSwitchyard } from "../../helpers/switchyard.ts";
import { startSwitchyard, type Switchyard } from "../../../core/server.ts";
import { LogOutput } from "../../../core/log.ts";
import { PluginError } from "../../../core/plugin/plugin-error.ts";
import { CORE_API_VERSION } from "../../../core/plugin/define.ts";
import { BUILTIN_PLUGINS } from "../../../mod.ts";

const FIXTURE_DIR = fileURLToPath(new URL("../../fixtures/plugins/switchyard-plugin-fixture/", import.meta.url));
const CLIENT_KEY = "sk-client-third-party";

function post(base: string, path: string, body: unknown): Promise<Response> {
  return fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify(body),
  });
}

const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

/**
 * Starts a real Switchyard on `dir/config.yaml` the way test/helpers/switchyard.ts does. Used where the temp dir needs
 * more than flat files next to the config (a node_modules tree), or where startup is expected to fail.
 */
async function startIn(dir: string, configYaml: string): Promise<Switchyard & { logs: string[] }> {
  const configPath = join(dir, "config.yaml");
  await writeFile(configPath, configYaml);
  const logs: string[] = [];
  const sy = await startSwitchyard({
    configPath,
    builtins: BUILTIN_PLUGINS,
    host: "127.0.0.1",
    port: 0,
    logOutput: new LogOutput("debug", (_level, line) => logs.push(line)),
    watch: false,
  });
  return Object.assign(sy, { logs });
}

/** Asserts `p` rejects with a PluginError with `code` naming `plugin`, whose message matches every pattern. */
async function rejectsWithPluginError(p: Promise<unknown>, code: string, plugin: string, ...patterns: RegExp[]) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PluginError, `expected a PluginError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.plugin, plugin);
    for (const re of patterns) assert.match(err.message, re);
    return true;
  });
}

// -------------------------------------------------------------------------------------------------------------------

const MY_PLUGIN = `// A plugin next to the config: plain ESM, no imports.
export default {
  name: "my-plugin",
  version: "0.1.0",
  core: "^1.0.0",
  setup(ctx) {
    ctx.log.info("loaded with tag " + ctx.options.tag);
    return {
      onRequest(rc) {
        if (rc.model !== "local-answer") return;
        return new Response(
          JSON.stringify({ from: "my-plugin", options: ctx.options, configDir: ctx.configDir }),
          { status: 203, headers: { "content-type": "application/json" } },
        );
      },
      beforeUpstream(up, rc) {
        const headers = new Headers(up.headers);
        headers.set("x-my-plugin", ctx.options.tag);
        headers.set("x-my-plugin-model", rc.model + "->" + rc.target.upstreamModel);
        return { ...up, headers };
      },
    };
  },
};
`;

describe("a plugin loaded from a file path in the config", () => {
  let upstream: FakeUpstream;
  let sy: TestSwitchyard;

  before(async () => {
    upstream = await startFakeUpstream((req) => ({
      kind: "json",
      body: chatCompletion("from upstream", String(req.json?.model)),
    }));
    sy = await startTestSwitchyard(
      `
api-keys: ["${CLIENT_KEY}"]
openai-compatibility:
  - name: fake
    base-url: "${upstream.url}/v1"
    api-key-entries:
      - api-key: "sk-upstream"
    models:
      - name: upstream-model
        alias: my-model
plugins:
  - openai-compatible
  - use: "./my-plugin.mjs"
    options: { tag: blue, nested: { n: 1 } }
`,
      { files: { "my-plugin.mjs": MY_PLUGIN } },
    );
  });
  after(async () => {
    await sy?.stop();
    await upstream?.close();
  });

  test("is set up at startup with its options, a tagged logger and the config directory", () => {
    const plugins = sy.runtime.snapshot.plugins;
    assert.deepEqual(plugins.map((p) => p.name), ["openai-compatible", "my-plugin"]);
    assert.equal(plugins[1]!.resolved.source, "./my-plugin.mjs");
    assert.ok(sy.logs.some((l) => l.includes("[my-plugin] loaded with tag blue")), sy.logs.join("\n"));
  });

  test("its onRequest answers a real request with a route-level Response, without going upstream", async () => {
    const before = upstream.requests.length;
    const res = await post(sy.url, "/v1/chat/completions", chat("local-answer"));
    assert.equal(res.status, 203);
    assert.deepEqual(await res.json(), {
      from: "my-plugin",
      options: { tag: "blue", nested: { n: 1 } },
      configDir: sy.dir,
    });
    assert.equal(upstream.requests.length, before);
  });

  test("its beforeUpstream hook changes the request sent upstream", async () => {
    const res = await post(sy.url, "/v1/chat/completions", chat("my-model"));
    assert.equal(res.status, 200);
    assert.equal((await res.json()).choices[0].message.content, "from upstream");
    const sent = upstream.requests.at(-1)!;
    assert.equal(sent.headers.get("x-my-plugin"), "blue");
    assert.equal(sent.headers.get("x-my-plugin-model"), "my-model->upstream-model");
    // The built-in adapter's own headers are still there: the hook got the adapter's request, not a blank one.
    assert.equal(sent.headers.get("authorization"), "Bearer sk-upstream");
    assert.equal(sent.json?.model, "upstream-model");
  });

  test("client auth still applies before plugin hooks", async () => {
    const res = await fetch(sy.url + "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chat("local-answer")),
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });
});

// -------------------------------------------------------------------------------------------------------------------

describe("a plugin installed as an npm package", () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-npm-plugin-"));
    const pkgDir = join(dir, "node_modules", "switchyard-plugin-fixture");
    await mkdir(pkgDir, { recursive: true });
    for (const file of ["package.json", "index.js"]) await copyFile(join(FIXTURE_DIR, file), join(pkgDir, file));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const config = (use: string, options = '{ greeting: "hello from npm" }') => `
api-keys: ["${CLIENT_KEY}"]
plugins:
  - use: "${use}"
    options: ${options}
`;

  test("loads by npm: specifier with a range from node_modules beside the config and serves requests", async () => {
    const sy = await startIn(dir, config("npm:switchyard-plugin-fixture@^1"));
    try {
      const [plugin] = sy.runtime.snapshot.plugins;
      assert.equal(plugin?.name, "switchyard-plugin-fixture");
      assert.equal(plugin?.resolved.definition.version, "1.2.0");
      assert.equal(plugin?.resolved.source, "npm:switchyard-plugin-fixture@^1");
      // Options went through the package's own (non-zod) Standard Schema, defaults included.
      assert.deepEqual(plugin?.resolved.options, { greeting: "hello from npm", model: "fixture-model" });
      assert.ok(sy.logs.some((l) => l.includes("[switchyard-plugin-fixture] ready, answering fixture-model")));

      for (const served of [1, 2]) {
        const res = await post(sy.url, "/v1/chat/completions", chat("fixture-model"));
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("x-answered-by"), "switchyard-plugin-fixture");
        assert.deepEqual(await res.json(), { plugin: "switchyard-plugin-fixture", greeting: "hello from npm", served });
      }
      // Requests it does not answer go on to routing (and find no provider here).
      const other = await post(sy.url, "/v1/chat/completions", chat("some-other-model"));
      assert.equal(other.status, 400);
      assert.match((await other.json()).error.message, /unknown provider for model some-other-model/);
    } finally {
      await sy.close(1000);
    }
  });

  test("loads by bare package name and by other satisfied ranges", async () => {
    for (
      const use of [
        "switchyard-plugin-fixture",
        "npm:switchyard-plugin-fixture@~1.2.0",
        "npm:switchyard-plugin-fixture@>=1.0.0 <2",
      ]
    ) {
      const sy = await startIn(dir, config(use));
      try {
        assert.equal(sy.runtime.snapshot.plugins[0]?.name, "switchyard-plugin-fixture", use);
        const res = await post(sy.url, "/v1/chat/completions", chat("fixture-model"));
        assert.equal(res.status, 200, use);
        await res.body?.cancel();
      } finally {
        await sy.close(1000);
      }
    }
  });

  test("a range the installed version does not satisfy fails startup with a clear error", async () => {
    for (const range of ["^2", "~1.3.0", "<1.2.0"]) {
      await rejectsWithPluginError(
        startIn(dir, config(`npm:switchyard-plugin-fixture@${range}`)),
        "SWITCHYARD_ERR_PLUGIN_VERSION",
        `npm:switchyard-plugin-fixture@${range}`,
        /Installed switchyard-plugin-fixture@1\.2\.0 /,
        new RegExp(`does not satisfy ${range.replace(/[.^~<]/g, "\\$&")}$`),
      );
    }
  });

  test("options its schema rejects fail startup with SWITCHYARD_ERR_PLUGIN_OPTIONS and the path", async () => {
    await rejectsWithPluginError(
      startIn(dir, config("npm:switchyard-plugin-fixture@^1", "{ greeting: 42 }")),
      "SWITCHYARD_ERR_PLUGIN_OPTIONS",
      "switchyard-plugin-fixture",
      /Invalid options: greeting: must be a non-empty string/,
    );
  });
});

// -------------------------------------------------------------------------------------------------------------------

const ACME_PROVIDER =
  `// A third-party provider: its own adapter, its own credentials, registered through the same API as the built-ins.
export default {
  name: "acme-provider",
  version: "0.3.0",
  core: "^1.0.0",
  setup(ctx) {
    const adapter = {
      id: "acme",
      formats: ["openai-chat"],
      buildRequest(call) {
        const headers = new Headers({ "content-type": "application/json", "x-acme-key": call.credential.data.key });
        const body = { ...call.body, acme_region: ctx.options.region };
        return { url: call.credential.data.baseUrl + "/acme/v1/chat", method: "POST", headers, body: JSON.stringify(body) };
      },
    };
    const credentials = ctx.options.keys.map((key, i) => ({
      id: "acme:" + i,
      provider: "acme",
      label: "acme key #" + i,
      priority: 0,
      weight: 1,
      models: [{ id: "acme-large", upstream: "acme-l-2", displayName: "Acme Large" }],
      data: { baseUrl: ctx.options.baseUrl, key },
    }));
    ctx.registerProvider(adapter, credentials);
  },
};
`;

describe("a third-party provider plugin", () => {
  let upstream: FakeUpstream;
  let sy: TestSwitchyard;
  const pieces = ["Acme ", "says ", "hi"];

  before(async () => {
    upstream = await startFakeUpstream((req) => {
      if (req.path !== "/acme/v1/chat") return { kind: "json", status: 404, body: { error: "wrong path " + req.path } };
      return req.json?.stream
        ? { kind: "sse", chunks: chatStreamChunks(pieces, String(req.json.model)) }
        : { kind: "json", body: chatCompletion("acme answer", String(req.json?.model)) };
    });
    sy = await startTestSwitchyard(
      `
api-keys: ["${CLIENT_KEY}"]
routing:
  strategy: round-robin
plugins:
  - use: ./acme-provider.mjs
    options:
      baseUrl: "${upstream.url}"
      keys: [acme-key-1, acme-key-2]
      region: eu
`,
      { files: { "acme-provider.mjs": ACME_PROVIDER } },
    );
  });
  after(async () => {
    await sy?.stop();
    await upstream?.close();
  });

  test("its models are listed", async () => {
    const res = await fetch(sy.url + "/v1/models", { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    assert.equal(res.status, 200);
    const list = await res.json();
    assert.deepEqual(list.data.map((m: { id: string; owned_by: string }) => [m.id, m.owned_by]), [[
      "acme-large",
      "acme",
    ]]);
  });

  test("serves a non-stream request through its own adapter and credentials", async () => {
    const res = await post(sy.url, "/v1/chat/completions", chat("acme-large", { temperature: 0.5 }));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.choices[0].message.content, "acme answer");
    assert.equal(body.usage.total_tokens, 18);
    const sent = upstream.requests.at(-1)!;
    assert.equal(sent.path, "/acme/v1/chat");
    assert.match(sent.headers.get("x-acme-key") ?? "", /^acme-key-[12]$/);
    assert.equal(sent.headers.get("authorization"), null);
    assert.deepEqual(sent.json, {
      model: "acme-l-2",
      messages: [{ role: "user", content: "hi" }],
      temperature: 0.5,
      acme_region: "eu",
    });
  });

  test("rotates over its credentials like a built-in provider's", async () => {
    const from = upstream.requests.length;
    for (let i = 0; i < 2; i++) {
      const res = await post(sy.url, "/v1/chat/completions", chat("acme-large"));
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    const keys = upstream.requests.slice(from).map((r) => r.headers.get("x-acme-key"));
    assert.deepEqual([...keys].sort(), ["acme-key-1", "acme-key-2"]);
  });

  test("streams an answer end to end", async () => {
    const res = await post(sy.url, "/v1/chat/completions", chat("acme-large", { stream: true }));
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const text = await res.text();
    const content = text
      .split("\n")
      .filter((l) => l.startsWith("data: {"))
      .map((l) => JSON.parse(l.slice(6)).choices[0]?.delta?.content ?? "")
      .join("");
    assert.equal(content, pieces.join(""));
    assert.ok(text.trimEnd().endsWith("data: [DONE]"));
    assert.equal(upstream.requests.at(-1)!.json?.stream, true);
  });

  test("a model it does not register is not routed to it", async () => {
    const from = upstream.requests.length;
    const res = await post(sy.url, "/v1/chat/completions", chat("acme-small"));
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, "model_not_found");
    assert.equal(upstream.requests.length, from);
  });
});

// -------------------------------------------------------------------------------------------------------------------

describe("startup with a plugin the core cannot take", () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-bad-plugin-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("a plugin whose core range is ^99 makes startup fail with SWITCHYARD_ERR_PLUGIN_CORE_MISMATCH", async () => {
    await writeFile(
      join(dir, "from-the-future.mjs"),
      'export default { name: "from-the-future", version: "99.0.0", core: "^99", setup() { throw new Error("must not run"); } };\n',
    );
    await rejectsWithPluginError(
      startIn(dir, `plugins:\n  - use: ./from-the-future.mjs\n`),
      "SWITCHYARD_ERR_PLUGIN_CORE_MISMATCH",
      "from-the-future",
      new RegExp(
        `^\\[plugin from-the-future\\] Needs core \\^99, but this Switchyard provides plugin API ${
          CORE_API_VERSION.replace(/\./g, "\\.")
        }$`,
      ),
    );
  });

  test("a provider plugin registering a credential of another provider fails startup with SWITCHYARD_ERR_PLUGIN_SETUP", async () => {
    await writeFile(
      join(dir, "mixed-up.mjs"),
      `export default {
  name: "mixed-up", version: "1.0.0", core: "^1",
  setup(ctx) {
    ctx.registerProvider({ id: "mine", formats: ["openai-chat"], buildRequest() { throw new Error("unused"); } }, [
      { id: "theirs:0", provider: "theirs", label: "x", priority: 0, weight: 1, models: [], data: null },
    ]);
  },
};
`,
    );
    await rejectsWithPluginError(
      startIn(dir, `plugins:\n  - use: ./mixed-up.mjs\n`),
      "SWITCHYARD_ERR_PLUGIN_SETUP",
      "mixed-up",
      /Credential theirs:0 names provider "theirs" but is registered with adapter "mine"/,
    );
  });
});
