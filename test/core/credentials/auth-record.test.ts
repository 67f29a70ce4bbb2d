import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type AuthParseResult,
  type AuthRecord,
  parseAuthRecord,
  parseGoDuration,
  parseTimeValue,
  REMOVED_TYPES,
  sha256Hex,
} from "../../../core/credentials/auth-record.ts";

function parse(obj: unknown, id = "claude-a@example.com.json"): AuthParseResult {
  const text = typeof obj === "string" ? obj : JSON.stringify(obj);
  return parseAuthRecord({ id, path: `/auth/${id}`, text });
}

function record(obj: unknown): AuthRecord {
  const r = parse(obj);
  assert.equal(r.kind, "record", r.kind === "record" ? "" : `${r.kind}: ${r.reason}`);
  return (r as { record: AuthRecord }).record;
}

const T = Date.UTC(2026, 5, 1, 12, 0, 0); // 2026-06-01T12:00:00Z
const T_SECONDS = T / 1000;

describe("parseAuthRecord: common fields (§5.1)", () => {
  test("a Claude OAuth file: id, type lower-cased, label, expiry, last refresh, raw kept", () => {
    const text = JSON.stringify({
      type: " Claude ",
      email: "a@example.com",
      access_token: "sk-ant-oat-xxx",
      refresh_token: "r",
      expired: "2026-06-01T12:00:00Z",
      last_refresh: "2026-06-01T08:00:00+00:00",
    });
    const r = parseAuthRecord({ id: "claude-a@example.com.json", path: "/auth/claude-a@example.com.json", text });
    assert.equal(r.kind, "record");
    const rec = (r as { record: AuthRecord }).record;
    assert.equal(rec.id, "claude-a@example.com.json");
    assert.equal(rec.path, "/auth/claude-a@example.com.json");
    assert.equal(rec.type, "claude");
    assert.equal(rec.label, "a@example.com");
    assert.equal(rec.email, "a@example.com");
    assert.equal(rec.expiresAt, T);
    assert.equal(rec.lastRefresh, T - 4 * 3600_000);
    assert.equal(rec.disabled, false);
    assert.equal(rec.hash, sha256Hex(text));
    assert.equal(rec.raw["access_token"], "sk-ant-oat-xxx");
  });

  test("without an email the label is the type", () => {
    assert.equal(record({ type: "kimi", access_token: "x" }).label, "kimi");
  });

  test("routing fields: disabled, prefix, proxy_url, priority, weight, note, headers, excluded, retry, cooling", () => {
    const rec = record({
      type: "codex",
      disabled: true,
      prefix: " /team/ ",
      proxy_url: " socks5://127.0.0.1:1080 ",
      priority: "5",
      weight: 3,
      note: "  main account ",
      headers: { " X-A ": " 1 ", "X-Empty": " ", "": "v", "X-Num": 3 },
      excluded_models: ["gpt-5*", " ", 7, " o3 "],
      request_retry: "2",
      disable_cooling: "true",
    });
    assert.equal(rec.disabled, true);
    assert.equal(rec.prefix, "team");
    assert.equal(rec.proxyUrl, "socks5://127.0.0.1:1080");
    assert.equal(rec.priority, 5);
    assert.equal(rec.weight, 3);
    assert.equal(rec.note, "main account");
    assert.deepEqual(rec.headers, { "X-A": "1" });
    assert.deepEqual(rec.excludedModels, ["gpt-5*", "o3"]);
    assert.equal(rec.requestRetry, 2);
    assert.equal(rec.disableCooling, true);
  });

  test("malformed optional fields are simply absent", () => {
    const rec = record({
      type: "codex",
      disabled: "yes", // CPA reads only a real boolean
      prefix: "a/b",
      priority: "high",
      headers: ["x"],
      excluded_models: "gpt-5",
      request_retry: -1, // negative = use the global setting
      disable_cooling: "maybe",
    });
    assert.equal(rec.disabled, false);
    for (const k of ["prefix", "priority", "headers", "excludedModels", "requestRetry", "disableCooling"] as const) {
      assert.equal(rec[k], undefined, k);
    }
  });

  test("priority: a number is truncated, a digit string parsed", () => {
    assert.equal(record({ type: "claude", priority: 7.9 }).priority, 7);
    assert.equal(record({ type: "claude", priority: "-2" }).priority, -2);
  });

  test("model_aliases are sanitised like CPA's oauth-model-alias", () => {
    const rec = record({
      type: "claude",
      model_aliases: [
        { name: " claude-sonnet-4 ", alias: " sonnet ", fork: true, "display-name": " Sonnet " },
        { name: "claude-opus-4", alias: "SONNET" }, // duplicate alias (case-insensitive)
        { name: "x", alias: "X" }, // alias equal to name
        { name: "", alias: "empty" },
        { name: "claude-haiku", alias: "haiku", "force-mapping": true },
        "junk",
      ],
    });
    assert.deepEqual(rec.modelAliases, [
      { name: "claude-sonnet-4", alias: "sonnet", fork: true, displayName: "Sonnet", forceMapping: false },
      { name: "claude-haiku", alias: "haiku", fork: false, forceMapping: true },
    ]);
  });

  test("legacy hyphenated keys are renamed; an explicit snake_case key wins", () => {
    const rec = record({
      type: "claude",
      "proxy-url": "http://legacy:1",
      "excluded-models": ["a"],
      "request-retry": 1,
      "disable-cooling": true,
      "model-aliases": [{ name: "n", alias: "a" }],
      "base-url": "https://legacy",
      base_url: "https://canonical",
    });
    assert.equal(rec.proxyUrl, "http://legacy:1");
    assert.deepEqual(rec.excludedModels, ["a"]);
    assert.equal(rec.requestRetry, 1);
    assert.equal(rec.disableCooling, true);
    assert.equal(rec.modelAliases?.[0]?.alias, "a");
    assert.equal(rec.raw["base_url"], "https://canonical");
    assert.equal("base-url" in rec.raw, false);
    assert.equal("proxy-url" in rec.raw, false);
  });

  test("refresh_interval_seconds: seconds, numeric string, Go duration, alternative keys", () => {
    assert.equal(record({ type: "claude", refresh_interval_seconds: 600 }).refreshIntervalMs, 600_000);
    assert.equal(record({ type: "claude", refresh_interval_seconds: "120" }).refreshIntervalMs, 120_000);
    assert.equal(record({ type: "claude", refresh_interval_seconds: "1h30m" }).refreshIntervalMs, 5_400_000);
    assert.equal(record({ type: "claude", refreshInterval: "90s" }).refreshIntervalMs, 90_000);
    assert.equal(record({ type: "claude", refresh_interval_seconds: 0 }).refreshIntervalMs, undefined);
    assert.equal(record({ type: "claude", refresh_interval_seconds: "soon" }).refreshIntervalMs, undefined);
  });

  test("weight: ≤ 0 is 0, an empty string the default 1, non-integers and > 1e6 reject the file", () => {
    assert.equal(record({ type: "claude", weight: -3 }).weight, 0);
    assert.equal(record({ type: "claude", weight: "" }).weight, 1);
    assert.equal(record({ type: "claude", weight: " 12 " }).weight, 12);
    assert.equal(record({ type: "claude" }).weight, undefined);
    for (const bad of [1.5, "abc", 2_000_000, true, null]) {
      const r = parse({ type: "claude", weight: bad });
      assert.equal(r.kind, "error", `weight ${JSON.stringify(bad)}`);
      assert.match((r as { reason: string }).reason, /weight/);
    }
  });

  test("the record and its raw object are deeply frozen", () => {
    const rec = record({ type: "claude", token: { expiry: 1 }, list: [1] });
    assert.ok(Object.isFrozen(rec));
    assert.ok(Object.isFrozen(rec.raw));
    assert.ok(Object.isFrozen(rec.raw["token"]));
    assert.throws(() => {
      (rec.raw as Record<string, unknown>)["type"] = "x";
    }, TypeError);
  });

  test("a UTF-8 byte-order mark is tolerated", () => {
    assert.equal(record('\uFEFF{"type":"claude"}').type, "claude");
  });
});

describe("parseAuthRecord: expiry forms", () => {
  const cases: [string, unknown, number | undefined][] = [
    ["RFC 3339 Z", "2026-06-01T12:00:00Z", T],
    ["RFC 3339 offset", "2026-06-01T14:00:00+02:00", T],
    ["RFC 3339 nanoseconds", "2026-06-01T12:00:00.123456789Z", T + 123],
    ["lower-case t and z", "2026-06-01t12:00:00z", T],
    ["date and time, UTC", "2026-06-01 12:00:00", T],
    ["date and minutes, UTC", "2026-06-01 12:00", T],
    ["unix seconds", T_SECONDS, T],
    ["unix seconds, fractional", T_SECONDS + 0.9, T],
    ["unix milliseconds", T, T],
    ["unix seconds as digits", String(T_SECONDS), T],
    ["unix milliseconds as digits", String(T), T],
    ["zero means none", 0, undefined],
    ["not a time", "tomorrow", undefined],
    ["a date alone is not RFC 3339", "2026-06-01", undefined],
    ["boolean", true, undefined],
  ];
  for (const [name, value, want] of cases) {
    test(name, () => {
      assert.equal(record({ type: "claude", expired: value }).expiresAt, want);
    });
  }

  test("every key name is read: expired, expire, expires_at, expiresAt, expiry, expires", () => {
    for (const key of ["expired", "expire", "expires_at", "expiresAt", "expiry", "expires"]) {
      assert.equal(record({ type: "claude", [key]: T_SECONDS }).expiresAt, T, key);
    }
  });

  test("the first key in CPA's order wins; an unparseable one is passed over", () => {
    assert.equal(record({ type: "claude", expires: T_SECONDS + 60, expired: T_SECONDS }).expiresAt, T);
    assert.equal(record({ type: "claude", expired: "soon", expiry: T_SECONDS }).expiresAt, T);
  });

  test("nested token object (legacy files): token.expiry, Token.expires_at", () => {
    assert.equal(record({ type: "claude", token: { access_token: "x", expiry: "2026-06-01T12:00:00Z" } }).expiresAt, T);
    assert.equal(record({ type: "claude", Token: { expires_at: T } }).expiresAt, T);
    assert.equal(record({ type: "claude", expired: T_SECONDS, token: { expiry: 5 } }).expiresAt, T, "top level first");
  });

  test("last_refresh and its alternative names", () => {
    assert.equal(record({ type: "claude", last_refresh: "2026-06-01T12:00:00Z" }).lastRefresh, T);
    assert.equal(record({ type: "claude", lastRefresh: T_SECONDS }).lastRefresh, T);
    assert.equal(record({ type: "claude", last_refreshed_at: T }).lastRefresh, T);
    assert.equal(record({ type: "claude" }).lastRefresh, undefined);
  });

  test("parseTimeValue and parseGoDuration directly", () => {
    assert.equal(parseTimeValue(-5), null);
    assert.equal(parseTimeValue(""), undefined);
    assert.equal(parseGoDuration("1.5h"), 5_400_000);
    assert.equal(parseGoDuration("250ms"), 250);
    assert.equal(parseGoDuration("5"), undefined);
    assert.equal(parseGoDuration("1x"), undefined);
  });
});

describe("parseAuthRecord: skipped and broken files are reported, never thrown", () => {
  test("removed providers are skipped with a note", () => {
    for (const type of ["gemini", "gemini-cli", "qwen", "iflow", "QWEN"]) {
      const r = parse({ type, access_token: "x" });
      assert.equal(r.kind, "skipped", type);
      assert.equal((r as { type: string }).type, type.toLowerCase());
      assert.match((r as { reason: string }).reason, /removed/);
    }
    assert.ok(REMOVED_TYPES.has("iflow"));
  });

  test("junk: invalid JSON, not an object, no type, empty", () => {
    const bad: [string, RegExp][] = [
      ["{not json", /invalid JSON/],
      ['{"type":"claude"', /invalid JSON/],
      ["[1,2]", /not a JSON object/],
      ["null", /not a JSON object/],
      ['"claude"', /not a JSON object/],
      ['{"email":"a@b"}', /no "type"/],
      ['{"type":""}', /no "type"/],
      ['{"type":42}', /no "type"/],
      ["", /empty/],
      ["   \n", /empty/],
    ];
    for (const [text, reason] of bad) {
      const r = parse(text);
      assert.equal(r.kind, "error", text);
      assert.match((r as { reason: string }).reason, reason, text);
    }
  });

  test("an unknown type still parses: whether a provider claims it is the directory's business", () => {
    assert.equal(record({ type: "acme-llm" }).type, "acme-llm");
  });
});
