import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, deepFreeze, loadConfigFile, parseConfigText } from "../../../core/config/load.ts";
import { DEFAULT_CONFIG_TEXT } from "../../../core/config/default-config.ts";

const FILE = "/etc/switchyard/config.yaml";

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a ConfigError");
}

// behaviour.md §2.5
const COMPACT_EXAMPLE = `host: ""
port: 8317
auth-dir: "~/.cli-proxy-api"
api-keys: ["sk-client-1"]        # empty = open proxy
proxy-url: ""                    # socks5://… ; per-entry "direct" bypasses
request-retry: 3                 # extra rounds for 403/408/429/5xx
max-retry-interval: 30           # s to wait for a cooldown
transient-error-cooldown-seconds: 0   # 0 => 60 s, -1 => off
routing: {strategy: round-robin, session-affinity: false}
streaming: {keepalive-seconds: 15, bootstrap-retries: 1}
remote-management: {allow-remote: false, secret-key: ""}   # "" => no /v0/management
gemini-api-key:
  - api-key: "AIza…"
    prefix: "team-a"             # also exposes team-a/<model>
    excluded-models: ["*-preview"]
claude-api-key:
  - api-key: "sk-ant-api…"
    models: [{name: "claude-sonnet-4-5-20250929", alias: "sonnet"}]
openai-compatibility:
  - name: "openrouter"
    base-url: "https://openrouter.ai/api/v1"
    api-key-entries: [{api-key: "sk-or-…"}]
    models: [{name: "moonshotai/kimi-k2", alias: "kimi-k2"}]
oauth-model-alias: {codex: [{name: "gpt-5", alias: "g5"}]}
payload:
  override: [{models: [{name: "gpt-*", protocol: "codex"}], params: {"reasoning.effort": "high"}}]
`;

describe("parseConfigText", () => {
  test("the compact example of behaviour.md §2.5 loads with the expected values", () => {
    const { config: c } = parseConfigText(COMPACT_EXAMPLE, FILE);
    assert.equal(c.host, "");
    assert.equal(c.port, 8317);
    assert.equal(c["auth-dir"], join(homedir(), ".cli-proxy-api"));
    assert.deepEqual(c["api-keys"], ["sk-client-1"]);
    assert.equal(c["request-retry"], 3);
    assert.equal(c["max-retry-interval"], 30);
    assert.equal(c["transient-error-cooldown-seconds"], 0);
    assert.equal(c.routing.strategy, "round-robin");
    assert.equal(c.routing["session-affinity"], false);
    assert.deepEqual(c.streaming, { "keepalive-seconds": 15, "bootstrap-retries": 1 });
    assert.equal(c["remote-management"]["allow-remote"], false);
    assert.equal(c["remote-management"]["secret-key"], "");
    const gemini = c["gemini-api-key"][0]!;
    assert.equal(gemini["api-key"], "AIza…");
    assert.equal(gemini.prefix, "team-a");
    assert.deepEqual(gemini["excluded-models"], ["*-preview"]);
    assert.equal(gemini.weight, 1);
    const claude = c["claude-api-key"][0]!;
    assert.equal(claude.models[0]!.name, "claude-sonnet-4-5-20250929");
    assert.equal(claude.models[0]!.alias, "sonnet");
    const compat = c["openai-compatibility"][0]!;
    assert.equal(compat.name, "openrouter");
    assert.equal(compat["base-url"], "https://openrouter.ai/api/v1");
    assert.equal(compat["api-key-entries"][0]!["api-key"], "sk-or-…");
    assert.equal(compat.models[0]!.alias, "kimi-k2");
    assert.deepEqual(c["oauth-model-alias"].codex!.map((a) => [a.name, a.alias]), [["gpt-5", "g5"]]);
    const rule = c.payload.override[0]!;
    assert.deepEqual(rule.models[0]!.name, "gpt-*");
    assert.deepEqual(rule.models[0]!.protocol, "codex");
    assert.deepEqual(rule.params, { "reasoning.effort": "high" });
  });

  test("returns path, dir, text, sha-256 hash and the top-level keys in file order", () => {
    const loaded = parseConfigText(COMPACT_EXAMPLE, FILE);
    assert.equal(loaded.path, FILE);
    assert.equal(loaded.dir, "/etc/switchyard");
    assert.equal(loaded.text, COMPACT_EXAMPLE);
    assert.equal(loaded.hash, createHash("sha256").update(COMPACT_EXAMPLE).digest("hex"));
    assert.deepEqual(loaded.presentKeys.slice(0, 4), ["host", "port", "auth-dir", "api-keys"]);
    assert.ok(loaded.presentKeys.includes("payload"));
    assert.ok(!loaded.presentKeys.includes("ampcode"));
  });

  test("a CPA config with unknown top-level and nested keys loads, keeps them and lists them", () => {
    const text = `port: 8317
model-routes:
  - alias: smart
    strategy: priority
    models: [a, b]
credential-in-flight:
  snapshot-interval: 2s
routing:
  strategy: ff
  some-new-option: true
claude-api-key:
  - api-key: k
    experimental-thing: {x: 1}
`;
    const loaded = parseConfigText(text, FILE);
    const c = loaded.config as typeof loaded.config & Record<string, unknown>;
    assert.deepEqual(loaded.presentKeys, ["port", "model-routes", "credential-in-flight", "routing", "claude-api-key"]);
    assert.deepEqual(c["model-routes"], [{ alias: "smart", strategy: "priority", models: ["a", "b"] }]);
    assert.deepEqual(c["credential-in-flight"], { "snapshot-interval": "2s" });
    assert.equal((c.routing as Record<string, unknown>)["some-new-option"], true);
    assert.equal(c.routing.strategy, "fill-first");
    assert.deepEqual((c["claude-api-key"][0] as Record<string, unknown>)["experimental-thing"], { x: 1 });
  });

  test("an empty file gives all defaults", () => {
    for (const text of ["", "\n", "# nothing here\n"]) {
      const loaded = parseConfigText(text, FILE);
      assert.equal(loaded.config.port, 8317);
      assert.equal(loaded.config["ws-auth"], true);
      assert.equal(loaded.config["error-logs-max-files"], 10);
      assert.deepEqual(loaded.presentKeys, []);
    }
  });

  test("the result is deeply frozen", () => {
    const loaded = parseConfigText(COMPACT_EXAMPLE, FILE);
    assert.ok(Object.isFrozen(loaded));
    assert.ok(Object.isFrozen(loaded.config));
    assert.ok(Object.isFrozen(loaded.config.routing));
    assert.ok(Object.isFrozen(loaded.config["gemini-api-key"]));
    assert.ok(Object.isFrozen(loaded.config["gemini-api-key"][0]!["excluded-models"]));
    assert.ok(Object.isFrozen(loaded.presentKeys));
    assert.throws(() => {
      (loaded.config as { port: number }).port = 1;
    }, TypeError);
  });

  test("~ and ~/… are expanded in auth-dir, tls.cert and tls.key", () => {
    const { config } = parseConfigText(
      `auth-dir: "~"\ntls: {enable: true, cert: ~/tls/c.pem, key: "~/tls/k.pem"}\n`,
      FILE,
    );
    assert.equal(config["auth-dir"], homedir());
    assert.equal(config.tls.cert, join(homedir(), "tls/c.pem"));
    assert.equal(config.tls.key, join(homedir(), "tls/k.pem"));
    const plain = parseConfigText(`auth-dir: /srv/auths\ntls: {cert: "~user/c.pem"}\n`, FILE).config;
    assert.equal(plain["auth-dir"], "/srv/auths");
    assert.equal(plain.tls.cert, "~user/c.pem");
    assert.equal(parseConfigText("", FILE).config["auth-dir"], join(homedir(), ".cli-proxy-api"));
  });

  test("YAML merge keys resolve as in yaml.v3", () => {
    const { config } = parseConfigText(
      `defaults: &d {priority: 5, base-url: "https://x"}\ncodex-api-key:\n  - <<: *d\n    api-key: k\n`,
      FILE,
    );
    assert.equal(config["codex-api-key"][0]!.priority, 5);
    assert.equal(config["codex-api-key"][0]!["base-url"], "https://x");
  });

  test("the default config parses and binds 127.0.0.1:8317 with no client keys", () => {
    const { config, presentKeys } = parseConfigText(DEFAULT_CONFIG_TEXT, FILE);
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.port, 8317);
    assert.deepEqual(config["api-keys"], []);
    // Only keys this version serves are active, so a first run reports nothing as unsupported.
    assert.deepEqual([...presentKeys], ["host", "port", "api-keys", "routing", "max-body-size-mb"]);
    assert.ok(!presentKeys.includes("openai-compatibility"));
    assert.match(DEFAULT_CONFIG_TEXT, /# openai-compatibility:/);
    assert.match(DEFAULT_CONFIG_TEXT, /alias:/);
  });
});

describe("ConfigError", () => {
  test("names the file, each key path, the rule and the value", () => {
    const err = configError(() => parseConfigText("port: 70000\nrouting:\n  strategy: fastest\n", "/x/config.yaml"));
    assert.equal(
      err.message,
      `Invalid config /x/config.yaml: port: must be between 0 and 65535 (got 70000); ` +
        `routing.strategy: must be one of round-robin, weighted-round-robin, fill-first (got "fastest")`,
    );
    assert.equal(err.kind, "invalid");
    assert.deepEqual(err.issues, [
      { path: "port", message: "must be between 0 and 65535 (got 70000)" },
      {
        path: "routing.strategy",
        message: 'must be one of round-robin, weighted-round-robin, fill-first (got "fastest")',
      },
    ]);
  });

  test("a list where a map belongs", () => {
    const err = configError(() => parseConfigText("routing:\n  - round-robin\n", FILE));
    assert.deepEqual(err.issues, [{ path: "routing", message: "must be a map (got a list)" }]);
  });

  test("nested paths use brackets for indexes and quotes for odd keys", () => {
    const err = configError(() =>
      parseConfigText(
        `openai-compatibility:\n  - name: a\n    base-url: u\n    api-key-entries:\n      - {api-key: k, weight: 2000000}\n` +
          `payload:\n  default-raw:\n    - params: {"generationConfig.x": "{oops"}\n`,
        FILE,
      )
    );
    assert.deepEqual(err.issues.map((i) => i.path), [
      "openai-compatibility[0].api-key-entries[0].weight",
      'payload.default-raw[0].params["generationConfig.x"]',
    ]);
  });

  test("values under secret-looking keys are not echoed", () => {
    const err = configError(() => parseConfigText(`remote-management:\n  secret-key: [hunter2]\n`, FILE));
    assert.equal(err.issues[0]!.message, "must be a string (got a list)");
    const err2 = configError(() => parseConfigText(`ampcode:\n  upstream-api-keys: "sk-secret-value"\n`, FILE));
    assert.ok(!err2.message.includes("sk-secret-value"), err2.message);
  });

  test("YAML syntax errors carry line and column", () => {
    const err = configError(() => parseConfigText("port: 8317\nrouting:\n  strategy: [rr\nhost: x\n", FILE));
    assert.equal(err.issues.length, 1);
    assert.equal(err.kind, "syntax");
    assert.match(
      err.message,
      /^Invalid config \/etc\/switchyard\/config\.yaml: YAML syntax error at line \d+, column \d+: /,
    );
    assert.ok(!err.message.includes("\n"), "one line");
  });

  test("duplicate keys are a syntax error, as in yaml.v3", () => {
    const err = configError(() => parseConfigText("port: 1\nport: 2\n", FILE));
    assert.match(err.message, /YAML syntax error at line 2, column 1: Map keys must be unique/);
  });

  test("a top level that is not a map", () => {
    const err = configError(() => parseConfigText("- a\n- b\n", FILE));
    assert.match(err.message, /the top level must be a map of keys \(got a list\)/);
  });

  test("an unresolved alias is reported, not thrown raw", () => {
    configError(() => parseConfigText("a: *nope\n", FILE));
  });
});

describe("loadConfigFile", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-load-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("reads and parses a file", async () => {
    const file = join(dir, "config.yaml");
    await writeFile(file, COMPACT_EXAMPLE);
    const loaded = await loadConfigFile(file);
    assert.equal(loaded.path, file);
    assert.equal(loaded.dir, dir);
    assert.equal(loaded.config["request-retry"], 3);
  });

  test("a missing file is a ConfigError naming it", async () => {
    const file = join(dir, "absent.yaml");
    await assert.rejects(loadConfigFile(file), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.kind, "read");
      assert.ok(err.message.startsWith(`Invalid config ${file}: cannot read file`), err.message);
      return true;
    });
  });

  test("an invalid file is a ConfigError", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(file, "port: 70000\n");
    await assert.rejects(loadConfigFile(file), ConfigError);
  });
});

describe("deepFreeze", () => {
  test("freezes nested objects and arrays and returns its argument", () => {
    const v = { a: [{ b: 1 }], c: { d: { e: [] as number[] } } };
    assert.equal(deepFreeze(v), v);
    assert.ok(Object.isFrozen(v.a[0]));
    assert.ok(Object.isFrozen(v.c.d.e));
  });

  test("leaves primitives alone and handles cycles", () => {
    assert.equal(deepFreeze(3), 3);
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    deepFreeze(cyclic);
    assert.ok(Object.isFrozen(cyclic));
  });
});
