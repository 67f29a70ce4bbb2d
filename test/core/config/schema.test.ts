import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  configSchema,
  DEFAULT_PANEL_GITHUB_REPOSITORY,
  isCpaNativePlugins,
  parseGoDuration,
  type SwitchyardConfig,
} from "../../../core/config/schema.ts";

function parse(input: Record<string, unknown>): SwitchyardConfig {
  return configSchema.parse(input);
}

function issuesOf(input: Record<string, unknown>): { path: string; message: string }[] {
  const r = configSchema.safeParse(input);
  assert.equal(r.success, false, "expected the config to be rejected");
  return r.error!.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

describe("configSchema defaults", () => {
  test("an empty config gets CPA's code defaults", () => {
    const c = parse({});
    assert.equal(c.host, "");
    assert.equal(c.port, 8317);
    assert.deepEqual(c.tls, { enable: false, cert: "", key: "" });
    assert.equal(c["auth-dir"], "~/.cli-proxy-api");
    assert.deepEqual(c["api-keys"], []);
    assert.equal(c["ws-auth"], true);
    assert.equal(c["passthrough-headers"], false);
    assert.equal(c["request-log"], false);
    assert.equal(c["logs-max-total-size-mb"], 0);
    assert.equal(c["error-logs-max-files"], 10);
    assert.equal(c["redis-usage-queue-retention-seconds"], 60);
    assert.equal(c["remote-management"]["secret-key"], "");
    assert.equal(c["remote-management"]["panel-github-repository"], DEFAULT_PANEL_GITHUB_REPOSITORY);
    assert.deepEqual(c.pprof, { enable: false, addr: "127.0.0.1:8316" });
    assert.equal(c.routing.strategy, "round-robin");
    assert.equal(c.routing["session-affinity"], false);
    assert.equal(c.routing["session-affinity-ttl"], "1h");
    assert.equal(c.routing.sessionAffinityTtlMs, 3_600_000);
    assert.equal(c["request-retry"], 0);
    assert.equal(c["max-retry-interval"], 0);
    assert.equal(c["auth-auto-refresh-workers"], 16);
    assert.deepEqual(c.streaming, { "keepalive-seconds": 0, "bootstrap-retries": 0 });
    assert.deepEqual(c["quota-exceeded"], {
      "switch-project": false,
      "switch-preview-model": false,
      "antigravity-credits": false,
    });
    assert.deepEqual(c["openai-compatibility"], []);
    assert.deepEqual(c["oauth-model-alias"], {});
    assert.deepEqual(c.payload, { default: [], "default-raw": [], override: [], "override-raw": [], filter: [] });
    assert.equal(c.ampcode["restrict-management-to-localhost"], false);
    assert.equal(c["antigravity-signature-cache-enabled"], true);
    assert.equal(c["disable-image-generation"], false);
    assert.equal(c.plugins, undefined);
    assert.equal(c["max-body-size-mb"], 32);
  });

  test("null values (a key with nothing after the colon) mean the default", () => {
    const c = parse({ port: null, routing: null, "api-keys": null, "ws-auth": null, tls: { cert: null } });
    assert.equal(c.port, 8317);
    assert.equal(c.routing.strategy, "round-robin");
    assert.deepEqual(c["api-keys"], []);
    assert.equal(c["ws-auth"], true);
    assert.equal(c.tls.cert, "");
  });

  test("entry defaults: weight 1, priority 0, overrides absent", () => {
    const c = parse({ "claude-api-key": [{ "api-key": "sk-ant" }] });
    const e = c["claude-api-key"][0]!;
    assert.equal(e.weight, 1);
    assert.equal(e.priority, 0);
    assert.equal(e.prefix, "");
    assert.deepEqual(e.models, []);
    assert.equal(e["disable-cooling"], undefined);
    assert.equal(e["request-retry"], undefined);
  });

  test("values CPA repairs are repaired the same way", () => {
    const c = parse({
      "error-logs-max-files": -1,
      "logs-max-total-size-mb": -5,
      "redis-usage-queue-retention-seconds": 99999,
      "max-retry-credentials": -2,
      "auth-auto-refresh-workers": 0,
      "remote-management": { "panel-github-repository": "  " },
      pprof: { addr: "" },
    });
    assert.equal(c["error-logs-max-files"], 10);
    assert.equal(c["logs-max-total-size-mb"], 0);
    assert.equal(c["redis-usage-queue-retention-seconds"], 3600);
    assert.equal(c["max-retry-credentials"], 0);
    assert.equal(c["auth-auto-refresh-workers"], 16);
    assert.equal(c["remote-management"]["panel-github-repository"], DEFAULT_PANEL_GITHUB_REPOSITORY);
    assert.equal(c.pprof.addr, "127.0.0.1:8316");
  });

  test("YAML 1.1 booleans are accepted where a boolean belongs, as yaml.v3 does", () => {
    const c = parse({ debug: "yes", "ws-auth": "off", "request-log": "On" });
    assert.equal(c.debug, true);
    assert.equal(c["ws-auth"], false);
    assert.equal(c["request-log"], true);
  });

  test("scalars are taken as text where a string belongs", () => {
    const c = parse({ "api-keys": [12345, " k2 "], "gemini-api-key": [{ "api-key": 42 }] });
    assert.deepEqual(c["api-keys"], ["12345", "k2"]);
    assert.equal(c["gemini-api-key"][0]!["api-key"], "42");
  });
});

describe("configSchema routing", () => {
  for (
    const [alias, want] of [
      ["rr", "round-robin"],
      ["roundrobin", "round-robin"],
      ["Round-Robin", "round-robin"],
      ["", "round-robin"],
      ["wrr", "weighted-round-robin"],
      ["weightedroundrobin", "weighted-round-robin"],
      ["ff", "fill-first"],
      [" fillfirst ", "fill-first"],
      ["fill-first", "fill-first"],
    ] as const
  ) {
    test(`strategy ${JSON.stringify(alias)} normalises to ${want}`, () => {
      assert.equal(parse({ routing: { strategy: alias } }).routing.strategy, want);
    });
  }

  test("an unknown strategy is rejected with its path", () => {
    assert.deepEqual(issuesOf({ routing: { strategy: "fastest" } }), [
      { path: "routing.strategy", message: "must be one of round-robin, weighted-round-robin, fill-first" },
    ]);
  });

  test("session-affinity-ttl is a Go duration exposed in ms", () => {
    assert.equal(parse({ routing: { "session-affinity-ttl": "30m" } }).routing.sessionAffinityTtlMs, 1_800_000);
    assert.equal(parse({ routing: { "session-affinity-ttl": "90s" } }).routing.sessionAffinityTtlMs, 90_000);
    assert.equal(parse({ routing: { "session-affinity-ttl": "2h30m" } }).routing.sessionAffinityTtlMs, 9_000_000);
    assert.equal(parse({ routing: { "session-affinity-ttl": "" } }).routing.sessionAffinityTtlMs, 3_600_000);
  });

  test("a malformed or non-positive session-affinity-ttl is rejected", () => {
    assert.equal(issuesOf({ routing: { "session-affinity-ttl": "1 hour" } })[0]!.path, "routing.session-affinity-ttl");
    assert.equal(issuesOf({ routing: { "session-affinity-ttl": 3600 } })[0]!.path, "routing.session-affinity-ttl");
    assert.equal(issuesOf({ routing: { "session-affinity-ttl": "-5m" } })[0]!.message, "must be a positive duration");
  });

  test("parseGoDuration reads Go's syntax", () => {
    assert.equal(parseGoDuration("1h"), 3_600_000);
    assert.equal(parseGoDuration("1.5s"), 1500);
    assert.equal(parseGoDuration("300ms"), 300);
    assert.equal(parseGoDuration("1m30s"), 90_000);
    assert.equal(parseGoDuration("-2m"), -120_000);
    assert.equal(parseGoDuration("0"), 0);
    assert.equal(parseGoDuration("10"), null);
    assert.equal(parseGoDuration("1d"), null);
    assert.equal(parseGoDuration(""), null);
  });
});

describe("configSchema rejections", () => {
  test("port out of range", () => {
    assert.deepEqual(issuesOf({ port: 70000 }), [{ path: "port", message: "must be between 0 and 65535" }]);
    assert.equal(issuesOf({ port: -1 })[0]!.path, "port");
  });

  test("port that is not a whole number", () => {
    assert.deepEqual(issuesOf({ port: 80.5 }), [{ path: "port", message: "must be a whole number" }]);
    assert.deepEqual(issuesOf({ port: "8317" }), [{ path: "port", message: "must be a number" }]);
  });

  test("a list where a map belongs and a map where a list belongs", () => {
    assert.deepEqual(issuesOf({ routing: ["round-robin"] }), [{ path: "routing", message: "must be a map" }]);
    assert.deepEqual(issuesOf({ "api-keys": { a: 1 } }), [{ path: "api-keys", message: "must be a list" }]);
    assert.deepEqual(issuesOf({ "gemini-api-key": { "api-key": "x" } }), [
      { path: "gemini-api-key", message: "must be a list" },
    ]);
  });

  test("a word where a boolean belongs", () => {
    assert.deepEqual(issuesOf({ debug: "sometimes" }), [{ path: "debug", message: "must be true or false" }]);
  });

  test("weights above 1,000,000 or fractional", () => {
    assert.deepEqual(issuesOf({ "codex-api-key": [{ "api-key": "k", "base-url": "u", weight: 1_000_001 }] }), [
      { path: "codex-api-key.0.weight", message: "must be at most 1000000" },
    ]);
    assert.equal(
      issuesOf({
        "openai-compatibility": [{ name: "x", "base-url": "u", "api-key-entries": [{ "api-key": "k", weight: 1.5 }] }],
      })[0]!.path,
      "openai-compatibility.0.api-key-entries.0.weight",
    );
  });

  test("request-scoped-errors action must be a known one", () => {
    assert.deepEqual(
      issuesOf({
        "claude-api-key": [{
          "api-key": "k",
          "request-scoped-errors": [{ status: 400, match: ["x"], action: "halt" }],
        }],
      }),
      [{
        path: "claude-api-key.0.request-scoped-errors.0.action",
        message: "must be one of stop, stop-and-cooldown, continue, continue-and-cooldown",
      }],
    );
  });

  test("invalid raw JSON in payload raw rules", () => {
    assert.deepEqual(issuesOf({ payload: { "override-raw": [{ params: { "a.b": "{nope" } }] } }), [
      { path: "payload.override-raw.0.params.a.b", message: "must be valid JSON text" },
    ]);
  });

  test("prefix with a slash", () => {
    assert.equal(
      issuesOf({ "gemini-api-key": [{ "api-key": "k", prefix: "a/b" }] })[0]!.path,
      "gemini-api-key.0.prefix",
    );
  });

  test("max-body-size-mb must be positive", () => {
    assert.deepEqual(issuesOf({ "max-body-size-mb": 0 }), [{
      path: "max-body-size-mb",
      message: "must be greater than 0",
    }]);
    assert.equal(parse({ "max-body-size-mb": 0.5 })["max-body-size-mb"], 0.5);
  });

  test("every wrong value is reported, not just the first", () => {
    const paths = issuesOf({ port: 70000, routing: { strategy: "fastest" }, debug: 3 }).map((i) => i.path).sort();
    assert.deepEqual(paths, ["debug", "port", "routing.strategy"]);
  });
});

describe("configSchema unknown keys", () => {
  test("unknown top-level and nested keys are kept", () => {
    const c = parse({
      "model-routes": [{ alias: "x", models: ["a"] }],
      routing: { strategy: "rr", "future-knob": 7 },
      "gemini-api-key": [{ "api-key": "k", "new-field": { deep: true }, models: [{ name: "m", "ctx-hint": 1 }] }],
      "credential-in-flight": { "snapshot-interval": "2s" },
    }) as Record<string, unknown> & SwitchyardConfig;
    assert.deepEqual(c["model-routes"], [{ alias: "x", models: ["a"] }]);
    assert.equal((c.routing as Record<string, unknown>)["future-knob"], 7);
    const entry = c["gemini-api-key"][0]! as Record<string, unknown>;
    assert.deepEqual(entry["new-field"], { deep: true });
    assert.equal((c["gemini-api-key"][0]!.models[0] as Record<string, unknown>)["ctx-hint"], 1);
    assert.deepEqual(c["credential-in-flight"], { "snapshot-interval": "2s" });
  });
});

describe("configSchema sanitising like CPA", () => {
  test("api-keys are trimmed, emptied ones dropped, duplicates removed", () => {
    assert.deepEqual(parse({ "api-keys": [" a ", "", "b", "a", "  "] })["api-keys"], ["a", "b"]);
  });

  test("gemini keys: empty entries dropped, duplicates removed, prefix and headers normalised", () => {
    const c = parse({
      "gemini-api-key": [
        { "api-key": " g1 ", prefix: " /team/ ", headers: { " X-A ": " v ", "X-Empty": " " } },
        { "api-key": "g1", prefix: "team", headers: { "X-A": "v" } },
        { "api-key": "", "base-url": "" },
        { "api-key": "g2", "excluded-models": [" Gemini-*-Preview ", "gemini-*-preview", ""] },
      ],
    });
    const keys = c["gemini-api-key"];
    assert.equal(keys.length, 2);
    assert.equal(keys[0]!.prefix, "team");
    assert.deepEqual(keys[0]!.headers, { "X-A": "v" });
    assert.deepEqual(keys[1]!["excluded-models"], ["gemini-*-preview"]);
  });

  test("codex and xai entries without base-url are dropped; xai alpha-search forced off", () => {
    const c = parse({
      "codex-api-key": [{ "api-key": "a" }, { "api-key": "b", "base-url": " https://x " }],
      "xai-api-key": [{ "api-key": "x", "base-url": "https://api.x.ai/v1", "alpha-search": true }],
    });
    assert.deepEqual(c["codex-api-key"].map((e) => e["api-key"]), ["b"]);
    assert.equal(c["codex-api-key"][0]!["base-url"], "https://x");
    assert.equal(c["xai-api-key"][0]!["alpha-search"], false);
  });

  test("vertex keys need a key; models need name and alias; dedupe on key+base-url", () => {
    const c = parse({
      "vertex-api-key": [
        { "api-key": "v", models: [{ name: "gemini-2.5-pro", alias: "vp" }, { name: "x" }] },
        { "api-key": "v" },
        { "api-key": "" },
      ],
    });
    assert.equal(c["vertex-api-key"].length, 1);
    assert.deepEqual(c["vertex-api-key"][0]!.models.map((m) => m.alias), ["vp"]);
  });

  test("openai-compatibility without base-url is dropped; keyless entries are kept", () => {
    const c = parse({
      "openai-compatibility": [
        { name: "gone", "api-key-entries": [{ "api-key": "k" }] },
        { name: "local", "base-url": "http://127.0.0.1:11434/v1", "api-key-entries": [{ "api-key": "" }] },
      ],
    });
    assert.deepEqual(c["openai-compatibility"].map((e) => e.name), ["local"]);
    assert.equal(c["openai-compatibility"][0]!["api-key-entries"].length, 1);
  });

  test("non-positive weights are kept as 0 (excluded from weighted routing), as CPA does", () => {
    const c = parse({ "claude-api-key": [{ "api-key": "a", weight: 0 }, { "api-key": "b", weight: -3 }] });
    assert.deepEqual(c["claude-api-key"].map((e) => e.weight), [0, 0]);
  });

  test("negative per-entry request-retry inherits the global value", () => {
    const c = parse({
      "claude-api-key": [{ "api-key": "a", "request-retry": -1 }, { "api-key": "b", "request-retry": 0 }],
    });
    assert.deepEqual(c["claude-api-key"].map((e) => e["request-retry"]), [undefined, 0]);
  });

  test("oauth maps: channels lower-cased, bad aliases dropped, exclusions normalised", () => {
    const c = parse({
      "oauth-model-alias": {
        " Codex ": [
          { name: "gpt-5", alias: "g5" },
          { name: "gpt-5", alias: "G5" },
          { name: "gpt-5", alias: "gpt-5" },
          { name: "", alias: "x" },
        ],
        empty: [],
      },
      "oauth-excluded-models": { Claude: [" Claude-3-* ", "claude-3-*"] },
      "oauth-request-scoped-errors": {
        codex: [{ status: 400, match: ["ctx"], action: "STOP" }, { status: 0, match: ["x"], action: "stop" }],
      },
    });
    assert.deepEqual(Object.keys(c["oauth-model-alias"]), ["codex"]);
    assert.deepEqual(c["oauth-model-alias"].codex!.map((a) => a.alias), ["g5"]);
    assert.deepEqual(c["oauth-excluded-models"], { claude: ["claude-3-*"] });
    assert.equal(c["oauth-request-scoped-errors"].codex!.length, 1);
    assert.equal(c["oauth-request-scoped-errors"].codex![0]!.action, "stop");
  });

  test("claude fingerprint-profile legacy alias and cloak mode", () => {
    const c = parse({
      "claude-api-key": [{ "api-key": "k", "fingerprint-profile": "oauth-cli", cloak: { mode: "Always" } }],
    });
    assert.equal(c["claude-api-key"][0]!["fingerprint-profile"], "claude-code-cli");
    assert.equal(c["claude-api-key"][0]!.cloak!.mode, "always");
  });

  test("disable-image-generation accepts its four states", () => {
    assert.equal(parse({ "disable-image-generation": true })["disable-image-generation"], true);
    assert.equal(parse({ "disable-image-generation": "Chat" })["disable-image-generation"], "chat");
    assert.equal(parse({ "disable-image-generation": "passthrough" })["disable-image-generation"], "passthrough");
    assert.equal(parse({ "disable-image-generation": "off" })["disable-image-generation"], false);
    assert.equal(issuesOf({ "disable-image-generation": "sometimes" })[0]!.path, "disable-image-generation");
  });
});

describe("configSchema plugins", () => {
  test("a list of names and {use, options} is normalised to specs", () => {
    const c = parse({
      plugins: ["request-logger", { use: "npm:@acme/switchyard-provider-foo@^1", options: { region: "eu" } }],
    });
    assert.deepEqual(c.plugins, [
      { use: "request-logger" },
      { use: "npm:@acme/switchyard-provider-foo@^1", options: { region: "eu" } },
    ]);
    assert.equal(isCpaNativePlugins(c.plugins), false);
  });

  test("a plugin map without `use` says it is required; null options are dropped", () => {
    assert.deepEqual(issuesOf({ plugins: [{ options: {} }] }), [{ path: "plugins.0.use", message: "is required" }]);
    assert.deepEqual(parse({ plugins: [{ use: "amp", options: null }] }).plugins, [{ use: "amp" }]);
  });

  test("CPA's native plugin map is kept and marked", () => {
    const c = parse({
      plugins: { enabled: true, dir: "plugins", configs: { example: { enabled: true, mode: "safe" } } },
    });
    assert.ok(isCpaNativePlugins(c.plugins));
    assert.equal(c.plugins.kind, "cpa-native");
    assert.equal(c.plugins.enabled, true);
    assert.deepEqual(c.plugins.configs, { example: { enabled: true, mode: "safe" } });
  });

  test("bad plugin items are rejected with their index", () => {
    const issues = issuesOf({ plugins: ["ok", { use: "" }, 3, { use: "x", options: ["not", "a", "map"] }] });
    assert.deepEqual(issues.map((i) => i.path), ["plugins.1.use", "plugins.2", "plugins.3.options"]);
    assert.equal(issuesOf({ plugins: "amp" })[0]!.path, "plugins");
  });
});

describe("configSchema models", () => {
  test("model entries with thinking support", () => {
    const c = parse({
      "openai-compatibility": [{
        name: "or",
        "base-url": "https://openrouter.ai/api/v1",
        models: [
          { name: " deepseek-v3.1 ", alias: "pool", thinking: { levels: ["low", "high"], "zero-allowed": "yes" } },
          { name: "glm-5", alias: "pool", "force-mapping": true, "max-context-length": -1 },
          { name: "", alias: "" },
        ],
      }],
    });
    const models = c["openai-compatibility"][0]!.models;
    assert.equal(models.length, 2, "a model with neither name nor alias is dropped");
    assert.equal(models[0]!.name, "deepseek-v3.1");
    assert.deepEqual(models[0]!.thinking, {
      "zero-allowed": true,
      "dynamic-allowed": false,
      levels: ["low", "high"],
    });
    assert.equal(models[1]!.thinking, undefined);
    assert.equal(models[1]!["force-mapping"], true);
    assert.equal(models[1]!["max-context-length"], 0);
  });
});

describe("configSchema ampcode", () => {
  test("keys of CPA's AMP block", () => {
    const c = parse({
      ampcode: {
        "upstream-url": "https://ampcode.com",
        "upstream-api-key": "amp-k",
        "upstream-api-keys": [{ "upstream-api-key": "u1", "api-keys": ["c1", "c1", " c2 "] }],
        "restrict-management-to-localhost": true,
        "model-mappings": [{ from: "claude-opus-4.5", to: "claude-sonnet-4" }, {
          from: "^gpt-.*",
          to: "x",
          regex: true,
        }],
        "force-model-mappings": true,
      },
    });
    assert.equal(c.ampcode["upstream-url"], "https://ampcode.com");
    assert.deepEqual(c.ampcode["upstream-api-keys"][0]!["api-keys"], ["c1", "c2"]);
    assert.equal(c.ampcode["model-mappings"][0]!.regex, false);
    assert.equal(c.ampcode["model-mappings"][1]!.regex, true);
    assert.equal(c.ampcode["force-model-mappings"], true);
  });
});
