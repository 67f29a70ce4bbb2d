/**
 * Zod schema for a CLIProxyAPI (CPA) `config.yaml`, plus Switchyard's own keys.
 *
 * The output keeps CPA's kebab-case key names so the management API can address keys exactly as they appear in
 * the file. Every object is loose: keys we do not know are kept, so a real CPA config always loads, while a wrong
 * value for a key we do know is rejected. Defaults and sanitising follow CPA's loader
 * (`internal/config/config_load.go`, `config_normalization.go`, `vertex_compat.go`, `weight.go`).
 *
 * camelCase fields in the output (`routing.sessionAffinityTtlMs`) are derived values, never read from YAML.
 *
 * @module
 */
import { z } from "zod";

// ---------------------------------------------------------------------------------------------------------------
// Constants from CPA (internal/config/config_defaults.go, internal/credentialweight/weight.go)

export const DEFAULT_PORT = 8317;
export const DEFAULT_AUTH_DIR = "~/.cli-proxy-api";
export const DEFAULT_PPROF_ADDR = "127.0.0.1:8316";
export const DEFAULT_PANEL_GITHUB_REPOSITORY = "https://github.com/router-for-me/Cli-Proxy-API-Management-Center";
export const DEFAULT_AUTH_AUTO_REFRESH_WORKERS = 16;
export const DEFAULT_SESSION_AFFINITY_TTL = "1h";
export const DEFAULT_MAX_BODY_SIZE_MB = 32;
export const MAX_CREDENTIAL_WEIGHT = 1_000_000;

export const ROUTING_STRATEGIES = ["round-robin", "weighted-round-robin", "fill-first"] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

/** Accepted spellings, as CPA's `normalizeRoutingStrategy` (management/config_basic.go) reads them. */
const STRATEGY_ALIASES: Readonly<Record<string, RoutingStrategy>> = {
  "": "round-robin",
  "round-robin": "round-robin",
  roundrobin: "round-robin",
  rr: "round-robin",
  "weighted-round-robin": "weighted-round-robin",
  weightedroundrobin: "weighted-round-robin",
  wrr: "weighted-round-robin",
  "fill-first": "fill-first",
  fillfirst: "fill-first",
  ff: "fill-first",
};

export const REQUEST_SCOPED_ACTIONS = ["stop", "stop-and-cooldown", "continue", "continue-and-cooldown"] as const;

// ---------------------------------------------------------------------------------------------------------------
// Go duration strings ("1h", "30m", "2h30m", "1.5s", "300ms")

const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3, // U+00B5
  "μs": 1e-3, // U+03BC
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION_RE = /^[-+]?(?:0|(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;
const DURATION_PART_RE = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** Parses a Go `time.ParseDuration` string to milliseconds; `null` when it is not one. */
export function parseGoDuration(text: string): number | null {
  const s = text.trim();
  if (s === "" || !DURATION_RE.test(s)) return null;
  const sign = s.startsWith("-") ? -1 : 1;
  let ms = 0;
  for (const m of s.matchAll(DURATION_PART_RE)) ms += Number(m[1]) * (DURATION_UNIT_MS[m[2] as string] as number);
  return sign * ms;
}

// ---------------------------------------------------------------------------------------------------------------
// Scalar helpers. YAML `key:` with no value is null; CPA's yaml.v3 then leaves the Go default, so null means
// "absent" everywhere below.

function nullToUndefined(v: unknown): unknown {
  return v === null ? undefined : v;
}

// yaml.v3 accepts YAML 1.1 booleans when the Go field is a bool; the `yaml` package parses YAML 1.2, where these
// are plain strings, so they are mapped back here.
const YAML11_TRUE = new Set(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"]);
const YAML11_FALSE = new Set(["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"]);

function coerceBool(v: unknown): unknown {
  if (v === null) return undefined;
  if (typeof v === "string") {
    const t = v.trim();
    if (YAML11_TRUE.has(t)) return true;
    if (YAML11_FALSE.has(t)) return false;
  }
  return v;
}

// yaml.v3 stores any scalar's text in a Go string field (`api-key: 12345` is "12345").
function coerceString(v: unknown): unknown {
  if (v === null) return undefined;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return v;
}

const MSG_BOOL = "must be true or false";
const MSG_STRING = "must be a string";
const MSG_NUMBER = "must be a number";
const MSG_INT = "must be a whole number";
const MSG_LIST = "must be a list";
const MSG_MAP = "must be a map";

function bool(def: boolean) {
  return z.preprocess(coerceBool, z.boolean({ error: MSG_BOOL }).default(def));
}

function optionalBool() {
  return z.preprocess(coerceBool, z.boolean({ error: MSG_BOOL }).optional());
}

/** A trimmed string; numbers and booleans are taken as their text, as yaml.v3 does. */
function str(def = "") {
  return z.preprocess(coerceString, z.string({ error: MSG_STRING }).trim().default(def));
}

interface IntBounds {
  readonly min?: number;
  readonly max?: number;
}

function rangeMessage({ min, max }: IntBounds): string {
  if (min !== undefined && max !== undefined) return `must be between ${min} and ${max}`;
  if (min !== undefined) return `must be at least ${min}`;
  return `must be at most ${max}`;
}

function intBase(bounds: IntBounds = {}) {
  let s = z.number({ error: MSG_NUMBER }).int({ error: MSG_INT });
  const msg = rangeMessage(bounds);
  if (bounds.min !== undefined) s = s.min(bounds.min, { error: msg });
  if (bounds.max !== undefined) s = s.max(bounds.max, { error: msg });
  return s;
}

function int(def: number, bounds?: IntBounds) {
  return z.preprocess(nullToUndefined, intBase(bounds).default(def));
}

function optionalInt(bounds?: IntBounds) {
  return z.preprocess(nullToUndefined, intBase(bounds).optional());
}

/** An int that CPA repairs rather than rejects: values matching `when` become `to`. */
function clampedInt(def: number, when: (n: number) => boolean, to: number | ((n: number) => number)) {
  return int(def).transform((n) => (when(n) ? (typeof to === "number" ? to : to(n)) : n));
}

function list<T extends z.ZodType>(item: T) {
  return z.preprocess(nullToUndefined, z.array(item, { error: MSG_LIST }).default(() => []));
}

function obj<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.looseObject(shape, { error: MSG_MAP });
}

/** A nested map block whose absence (or null) yields all its defaults. */
function block<S extends z.core.$ZodLooseShape>(shape: S) {
  const o = obj(shape);
  return z.preprocess(nullToUndefined, o.prefault({} as z.input<typeof o>));
}

function record<T extends z.ZodType>(value: T) {
  return z.preprocess(nullToUndefined, z.record(z.string(), value, { error: MSG_MAP }).default(() => ({})));
}

const anyMap = z.record(z.string(), z.unknown(), { error: MSG_MAP });

// ---------------------------------------------------------------------------------------------------------------
// Sanitisers (CPA internal/config/config_normalization.go)

/** Trimmed, non-empty, first occurrence kept (CPA `normalizeKeys` for api-keys). */
function uniqueTrimmed(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    if (v === "" || seen.has(v)) continue;
    seen.add(v);
    out.push(v);
  }
  return out;
}

/** CPA `NormalizeExcludedModels`: trim, lower-case, drop empty, dedupe. */
function normalizeExcludedModels(values: readonly string[]): string[] {
  return uniqueTrimmed(values.map((v) => v.toLowerCase()));
}

/** CPA `NormalizeHeaders`: trim names and values, drop pairs where either is empty. */
function normalizeHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const key = k.trim();
    if (key !== "" && v !== "") out[key] = v;
  }
  return out;
}

const stringList = () => list(str()).transform(uniqueTrimmed);
const headerMap = () => record(str()).transform(normalizeHeaders);
const excludedModels = () => list(str()).transform(normalizeExcludedModels);

/**
 * Model prefix: one path segment, surrounding slashes dropped (CPA `normalizeModelPrefix`). CPA silently blanks a
 * prefix containing "/", which quietly un-namespaces the credential; we reject it instead.
 */
const prefix = () =>
  str().transform((p, ctx) => {
    const t = p.replace(/^\/+|\/+$/g, "").trim();
    if (t.includes("/")) {
      ctx.issues.push({ code: "custom", message: "must be a single path segment without '/'", input: p });
      return z.NEVER;
    }
    return t;
  });

/**
 * Credential weight: an integer at most 1,000,000; omitted means 1. CPA accepts zero and negative values and
 * normalises them to 0, which excludes the credential from weighted-round-robin; we keep that so such configs load.
 */
const weight = () => int(1, { max: MAX_CREDENTIAL_WEIGHT }).transform((w) => (w <= 0 ? 0 : w));

/** Per-entry request-retry override: omitted or negative inherits the global value (undefined here). */
const retryOverride = () => optionalInt().transform((n) => (n === undefined || n < 0 ? undefined : n));

// ---------------------------------------------------------------------------------------------------------------
// Shared entry pieces

const requestScopedAction = z.preprocess(
  (v) => (typeof v === "string" ? v.trim().toLowerCase() : v === null ? undefined : v),
  z.enum(["", ...REQUEST_SCOPED_ACTIONS], { error: `must be one of ${REQUEST_SCOPED_ACTIONS.join(", ")}` })
    .default(""),
);

const requestScopedErrorRule = obj({
  status: int(0),
  match: list(str()),
  "match-regexr": list(str()),
  action: requestScopedAction,
});
export type RequestScopedErrorRule = z.output<typeof requestScopedErrorRule> & {
  readonly action: (typeof REQUEST_SCOPED_ACTIONS)[number];
};

/** CPA `SanitizeOAuthRequestScopedErrors`: drop empty patterns, then rules without status, pattern or action. */
function sanitizeRules(rules: readonly z.output<typeof requestScopedErrorRule>[]): RequestScopedErrorRule[] {
  const out: RequestScopedErrorRule[] = [];
  for (const r of rules) {
    const match = r.match.filter((m) => m !== "");
    const matchRegexr = r["match-regexr"].filter((m) => m !== "");
    if (r.status <= 0 || (match.length === 0 && matchRegexr.length === 0) || r.action === "") continue;
    out.push({ ...r, match, "match-regexr": matchRegexr, action: r.action });
  }
  return out;
}

const requestScopedErrors = () => list(requestScopedErrorRule).transform(sanitizeRules);

const thinkingSupport = obj({
  min: optionalInt(),
  max: optionalInt(),
  "zero-allowed": bool(false),
  "dynamic-allowed": bool(false),
  levels: stringList(),
});
export type ThinkingSupport = z.output<typeof thinkingSupport>;

const modelEntry = obj({
  name: str(),
  alias: str(),
  "display-name": str(),
  "max-context-length": clampedInt(0, (n) => n < 0, 0),
  "force-mapping": bool(false),
  "is-compat": bool(false),
  image: bool(false),
  "input-modalities": stringList(),
  "output-modalities": stringList(),
  thinking: z.preprocess(nullToUndefined, thinkingSupport.optional()),
});
/** A configured model: upstream `name`, client-visible `alias` (empty = the name itself). */
export type ModelEntry = z.output<typeof modelEntry>;

/** CPA skips models with neither name nor alias when building the catalogue. */
const modelList = () => list(modelEntry).transform((ms) => ms.filter((m) => m.name !== "" || m.alias !== ""));

const keyEntryShape = {
  "api-key": str(),
  priority: int(0),
  weight: weight(),
  prefix: prefix(),
  "base-url": str(),
  "proxy-url": str(),
  headers: headerMap(),
  models: modelList(),
  "excluded-models": excludedModels(),
  "disable-cooling": optionalBool(),
  "request-retry": retryOverride(),
  "request-scoped-errors": requestScopedErrors(),
};

const apiKeyEntry = obj(keyEntryShape);
/** One entry of `gemini-api-key`, `interactions-api-key` or `vertex-api-key` (the fields every key list shares). */
export type ApiKeyEntry = z.output<typeof apiKeyEntry>;

const cloakConfig = obj({
  mode: z.preprocess(
    (v) => (typeof v === "string" ? v.trim().toLowerCase() : v === null ? undefined : v),
    z.enum(["", "auto", "always", "never"], { error: "must be one of auto, always, never" }).default(""),
  ),
  "strict-mode": bool(false),
  "sensitive-words": stringList(),
  "cache-user-id": optionalBool(),
});

const claudeKeyEntry = obj({
  ...keyEntryShape,
  "rebuild-mid-system-message": bool(false),
  cloak: z.preprocess(nullToUndefined, cloakConfig.optional()),
  // CPA keeps an unrecognised profile as written and falls back at request time; only the legacy alias is mapped.
  "fingerprint-profile": str().transform((p) => (p.toLowerCase() === "oauth-cli" ? "claude-code-cli" : p)),
  "experimental-cch-signing": bool(false),
});
export type ClaudeKeyEntry = z.output<typeof claudeKeyEntry>;

const codexKeyEntry = obj({
  ...keyEntryShape,
  websockets: bool(false),
  "alpha-search": bool(false),
});
/** One entry of `codex-api-key` or `xai-api-key` (CPA uses one struct for both). */
export type CodexKeyEntry = z.output<typeof codexKeyEntry>;

function headersDedupId(h: Readonly<Record<string, string>>): string {
  return Object.keys(h).sort().map((k) => `${k}\u0000${h[k]}`).join("\u0000");
}

/** CPA `sanitizeGeminiKeyEntries`: drop entries with neither key nor base-url; dedupe on key+base+proxy+prefix+headers. */
function sanitizeGeminiKeys(entries: readonly ApiKeyEntry[]): ApiKeyEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    if (e["api-key"] === "" && e["base-url"] === "") return false;
    const id = [e["api-key"], e["base-url"], e["proxy-url"], e.prefix, headersDedupId(e.headers)].join("\u0000");
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** CPA `SanitizeVertexCompatKeys`: key required, models need name and alias, dedupe on key+base-url. */
function sanitizeVertexKeys(entries: readonly ApiKeyEntry[]): ApiKeyEntry[] {
  const seen = new Set<string>();
  const out: ApiKeyEntry[] = [];
  for (const e of entries) {
    if (e["api-key"] === "") continue;
    const id = `${e["api-key"]}|${e["base-url"]}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ ...e, models: e.models.filter((m) => m.name !== "" && m.alias !== "") });
  }
  return out;
}

/** CPA `sanitizeCodexKeyEntries`: entries without base-url are dropped. */
function sanitizeCodexKeys(entries: readonly CodexKeyEntry[]): CodexKeyEntry[] {
  return entries.filter((e) => e["base-url"] !== "");
}

/** The CPA config synthesiser skips Claude entries with neither key nor base-url. */
function sanitizeClaudeKeys(entries: readonly ClaudeKeyEntry[]): ClaudeKeyEntry[] {
  return entries.filter((e) => e["api-key"] !== "" || e["base-url"] !== "");
}

// ---------------------------------------------------------------------------------------------------------------
// openai-compatibility

const openAICompatibilityKey = obj({
  "api-key": str(),
  weight: weight(),
  "proxy-url": str(),
});
/** One `api-key-entries` item; an empty key is kept (keyless upstreams, as CPA allows). */
export type OpenAICompatibilityKeyEntry = z.output<typeof openAICompatibilityKey>;

const openAICompatibilityEntry = obj({
  name: str(),
  priority: int(0),
  disabled: bool(false),
  prefix: prefix(),
  "base-url": str(),
  "api-key-entries": list(openAICompatibilityKey),
  models: modelList(),
  headers: headerMap(),
  "excluded-models": excludedModels(),
  "support-prompt-cache-key": bool(false),
  "disable-cooling": optionalBool(),
  "request-retry": retryOverride(),
  "request-scoped-errors": requestScopedErrors(),
});
export type OpenAICompatibilityEntry = z.output<typeof openAICompatibilityEntry>;

// ---------------------------------------------------------------------------------------------------------------
// payload rules

const payloadModelRule = obj({
  name: str(),
  protocol: str(),
  "from-protocol": str(),
  headers: record(str()),
  match: list(anyMap),
  "not-match": list(anyMap),
  exist: list(str()),
  "not-exist": list(str()),
});
export type PayloadModelRule = z.output<typeof payloadModelRule>;

const payloadRule = obj({
  models: list(payloadModelRule),
  params: z.preprocess(nullToUndefined, anyMap.default(() => ({}))),
});
export type PayloadRule = z.output<typeof payloadRule>;

const payloadFilterRule = obj({
  models: list(payloadModelRule),
  params: list(str()).transform((ps) => ps.filter((p) => p !== "")),
});
export type PayloadFilterRule = z.output<typeof payloadFilterRule>;

/**
 * Raw rules carry JSON text. CPA drops a rule whose text is not valid JSON with a warning; a silently missing
 * rule is hard to notice, so we reject it with its path instead.
 */
const rawPayloadRules = () =>
  list(payloadRule).superRefine((rules, ctx) => {
    rules.forEach((rule, i) => {
      for (const [key, value] of Object.entries(rule.params)) {
        if (typeof value !== "string") continue;
        let ok = value.trim() !== "";
        if (ok) {
          try {
            JSON.parse(value);
          } catch {
            ok = false;
          }
        }
        if (!ok) {
          ctx.addIssue({ code: "custom", message: "must be valid JSON text", path: [i, "params", key], input: value });
        }
      }
    });
  });

// ---------------------------------------------------------------------------------------------------------------
// OAuth channel maps

const oauthModelAliasEntry = obj({
  name: str(),
  alias: str(),
  fork: bool(false),
  "display-name": str(),
  "force-mapping": bool(false),
});
export type OAuthModelAliasEntry = z.output<typeof oauthModelAliasEntry>;

/** Lower-cased, trimmed channel names; empty channels dropped (CPA does this for all three OAuth maps). */
function byChannel<T, U>(
  input: Readonly<Record<string, T[]>>,
  clean: (items: T[]) => U[],
): Record<string, U[]> {
  const out: Record<string, U[]> = {};
  for (const [raw, items] of Object.entries(input)) {
    const channel = raw.trim().toLowerCase();
    if (channel === "") continue;
    const cleaned = clean(items);
    if (cleaned.length === 0) continue;
    out[channel] = [...(out[channel] ?? []), ...cleaned];
  }
  return out;
}

/** CPA `SanitizeOAuthModelAlias`: needs name and alias, alias differs from name, alias unique per channel. */
function sanitizeAliases(entries: OAuthModelAliasEntry[]): OAuthModelAliasEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    if (e.name === "" || e.alias === "" || e.name.toLowerCase() === e.alias.toLowerCase()) return false;
    const key = e.alias.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// ampcode (CPA commit e0cb43f38, internal/config/config.go `AmpCode`)

const ampModelMapping = obj({
  from: str(),
  to: str(),
  regex: bool(false),
});
export type AmpModelMapping = z.output<typeof ampModelMapping>;

const ampUpstreamApiKeyEntry = obj({
  "upstream-api-key": str(),
  "api-keys": stringList(),
});

const ampCode = block({
  "upstream-url": str(),
  "upstream-api-key": str(),
  "upstream-api-keys": list(ampUpstreamApiKeyEntry),
  "restrict-management-to-localhost": bool(false),
  "model-mappings": list(ampModelMapping),
  "force-model-mappings": bool(false),
});
export type AmpCodeConfig = z.output<typeof ampCode>;

// ---------------------------------------------------------------------------------------------------------------
// plugins: Switchyard's list, or CPA's native-plugin map (kept, marked unsupported)

const pluginName = z.string().trim().min(1, { error: "must not be empty" });

const pluginObject = obj({
  use: z.preprocess(nullToUndefined, z.string({ error: MSG_STRING }).trim().min(1, { error: "must not be empty" })),
  options: z.preprocess(nullToUndefined, anyMap.optional()),
});

/** A plugin to enable: a built-in name or a module specifier (`npm:…`, `jsr:…`, a file path) and its options. */
export interface PluginSpec {
  readonly use: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

const cpaNativePlugins = obj({
  enabled: bool(false),
  dir: str("plugins").transform((d) => d === "" ? "plugins" : d),
  "store-sources": stringList(),
  configs: record(z.unknown()),
});

/**
 * CPA's own `plugins:` block (native .so/.dll plugins). Switchyard cannot load those; the block is kept so the
 * file round-trips, and `kind` lets the caller report it as not supported.
 */
export type CpaNativePluginsConfig = z.output<typeof cpaNativePlugins> & { readonly kind: "cpa-native" };

export type PluginsValue = readonly PluginSpec[] | CpaNativePluginsConfig | undefined;

type Ctx = z.core.$RefinementCtx;

/** Parses `v` with `schema` and re-reports its issues under the current path; `z.NEVER` on failure. */
function parseInto<T extends z.ZodType>(schema: T, v: unknown, ctx: Ctx, at: PropertyKey[] = []): z.output<T> {
  const r = schema.safeParse(v, { reportInput: true });
  if (r.success) return r.data;
  for (const issue of r.error.issues) {
    const missing = issue.code === "invalid_type" && issue.input === undefined;
    ctx.issues.push({
      code: "custom",
      message: missing ? "is required" : issue.message,
      path: [...at, ...issue.path],
      input: issue.input,
    });
  }
  return z.NEVER;
}

// Dispatch on shape instead of z.union so the message names the actual problem (a union reports only its own).
const plugins = z.unknown().transform((v, ctx): PluginsValue => {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const out: PluginSpec[] = [];
    v.forEach((item: unknown, i) => {
      if (typeof item === "string") out.push({ use: parseInto(pluginName, item, ctx, [i]) });
      else if (item !== null && typeof item === "object" && !Array.isArray(item)) {
        const { options, ...rest } = parseInto(pluginObject, item, ctx, [i]);
        out.push(options === undefined ? rest : { ...rest, options });
      } else {
        ctx.issues.push({
          code: "custom",
          message: "must be a plugin name or a map with `use`",
          path: [i],
          input: item,
        });
      }
    });
    return out;
  }
  if (typeof v === "object") return { ...parseInto(cpaNativePlugins, v, ctx), kind: "cpa-native" as const };
  ctx.issues.push({ code: "custom", message: "must be a list of plugins", input: v });
  return z.NEVER;
}).optional();

/** True when `plugins:` holds CPA's native-plugin map rather than a Switchyard plugin list. */
export function isCpaNativePlugins(v: PluginsValue): v is CpaNativePluginsConfig {
  return v !== undefined && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------------------------
// routing

const routingStrategy = z.preprocess(
  (v) => {
    if (v === null || v === undefined) return undefined;
    if (typeof v !== "string") return v;
    return STRATEGY_ALIASES[v.trim().toLowerCase()] ?? v;
  },
  z.enum(ROUTING_STRATEGIES, { error: `must be one of ${ROUTING_STRATEGIES.join(", ")}` }).default("round-robin"),
);

const sessionAffinityTtl = str(DEFAULT_SESSION_AFFINITY_TTL).transform((s, ctx) => {
  const text = s === "" ? DEFAULT_SESSION_AFFINITY_TTL : s;
  const ms = parseGoDuration(text);
  if (ms === null) {
    ctx.issues.push({ code: "custom", message: "must be a duration such as 1h, 30m or 90s", input: s });
    return z.NEVER;
  }
  if (ms <= 0) {
    ctx.issues.push({ code: "custom", message: "must be a positive duration", input: s });
    return z.NEVER;
  }
  return text;
});

const routing = block({
  strategy: routingStrategy,
  "session-affinity": bool(false),
  "session-affinity-ttl": sessionAffinityTtl,
}).transform((r) => ({
  ...r,
  /** Derived: `session-affinity-ttl` in milliseconds. */
  sessionAffinityTtlMs: parseGoDuration(r["session-affinity-ttl"]) as number,
}));
export type RoutingConfig = z.output<typeof routing>;

// ---------------------------------------------------------------------------------------------------------------
// disable-image-generation: false | true | "chat" | "passthrough" (CPA disable_image_generation_mode.go)

const IMAGE_GEN_OFF = new Set(["", "false", "0", "off", "no"]);
const IMAGE_GEN_ALL = new Set(["true", "1", "on", "yes"]);

const disableImageGeneration = z.preprocess(
  (v) => {
    if (v === null || v === undefined) return undefined;
    if (typeof v !== "string") return v;
    const s = v.trim().toLowerCase();
    return IMAGE_GEN_OFF.has(s) ? false : IMAGE_GEN_ALL.has(s) ? true : s;
  },
  z.union([z.boolean(), z.literal("chat"), z.literal("passthrough")], {
    error: "must be one of false, true, chat, passthrough",
  }).default(false),
);

// ---------------------------------------------------------------------------------------------------------------
// The whole config

export const configSchema = obj({
  // server
  host: str(""),
  port: int(DEFAULT_PORT, { min: 0, max: 65535 }),
  tls: block({ enable: bool(false), cert: str(), key: str() }),
  "auth-dir": str(DEFAULT_AUTH_DIR).transform((d) => (d === "" ? DEFAULT_AUTH_DIR : d)),
  "api-keys": stringList(),
  "proxy-url": str(),
  "passthrough-headers": bool(false),
  "ws-auth": bool(true),

  // logging
  "request-log": bool(false),
  debug: bool(false),
  "commercial-mode": bool(false),
  "logging-to-file": bool(false),
  "logs-max-total-size-mb": clampedInt(0, (n) => n < 0, 0),
  "error-logs-max-files": clampedInt(10, (n) => n < 0, 10),
  "usage-statistics-enabled": bool(false),
  "redis-usage-queue-retention-seconds": clampedInt(60, (n) => n <= 0 || n > 3600, (n) => (n <= 0 ? 60 : 3600)),

  "remote-management": block({
    "allow-remote": bool(false),
    "secret-key": str(),
    "disable-control-panel": bool(false),
    "disable-auto-update-panel": bool(false),
    "panel-github-repository": str(DEFAULT_PANEL_GITHUB_REPOSITORY).transform((r) =>
      r === "" ? DEFAULT_PANEL_GITHUB_REPOSITORY : r
    ),
  }),
  pprof: block({
    enable: bool(false),
    addr: str(DEFAULT_PPROF_ADDR).transform((a) => (a === "" ? DEFAULT_PPROF_ADDR : a)),
  }),

  // routing, retry, cooldown, streaming
  routing,
  "request-retry": clampedInt(0, (n) => n < 0, 0),
  "max-retry-credentials": clampedInt(0, (n) => n < 0, 0),
  "max-retry-interval": int(0),
  "disable-cooling": bool(false),
  "transient-error-cooldown-seconds": int(0),
  "save-cooldown-status": bool(false),
  "auth-auto-refresh-workers": clampedInt(
    DEFAULT_AUTH_AUTO_REFRESH_WORKERS,
    (n) => n <= 0,
    DEFAULT_AUTH_AUTO_REFRESH_WORKERS,
  ),
  "force-model-prefix": bool(false),
  "quota-exceeded": block({
    "switch-project": bool(false),
    "switch-preview-model": bool(false),
    "antigravity-credits": bool(false),
  }),
  streaming: block({
    "keepalive-seconds": clampedInt(0, (n) => n < 0, 0),
    "bootstrap-retries": clampedInt(0, (n) => n < 0, 0),
  }),
  "nonstream-keepalive-interval": clampedInt(0, (n) => n < 0, 0),

  // providers
  "gemini-api-key": list(apiKeyEntry).transform(sanitizeGeminiKeys),
  "interactions-api-key": list(apiKeyEntry).transform(sanitizeGeminiKeys),
  "vertex-api-key": list(apiKeyEntry).transform(sanitizeVertexKeys),
  "claude-api-key": list(claudeKeyEntry).transform(sanitizeClaudeKeys),
  "codex-api-key": list(codexKeyEntry).transform(sanitizeCodexKeys),
  // CPA forces alpha-search off for xAI keys.
  "xai-api-key": list(codexKeyEntry).transform((es) =>
    sanitizeCodexKeys(es).map((e) => ({ ...e, "alpha-search": false }))
  ),
  "openai-compatibility": list(openAICompatibilityEntry).transform((es) => es.filter((e) => e["base-url"] !== "")),

  // aliases, exclusions, payload rules
  "oauth-model-alias": record(list(oauthModelAliasEntry)).transform((m) => byChannel(m, sanitizeAliases)),
  "oauth-excluded-models": record(list(str())).transform((m) => byChannel(m, normalizeExcludedModels)),
  "oauth-request-scoped-errors": record(list(requestScopedErrorRule)).transform((m) => byChannel(m, sanitizeRules)),
  payload: block({
    default: list(payloadRule),
    "default-raw": rawPayloadRules(),
    override: list(payloadRule),
    "override-raw": rawPayloadRules(),
    filter: list(payloadFilterRule),
  }),

  // provider-wide behaviour
  "claude-header-defaults": block({
    "user-agent": str(),
    "package-version": str(),
    "runtime-version": str(),
    os: str(),
    arch: str(),
    timeout: str(),
    timezone: str(),
    "stabilize-device-profile": optionalBool(),
  }),
  "codex-header-defaults": block({ "user-agent": str(), "beta-features": str() }),
  "disable-claude-cloak-mode": bool(false),
  "claude-code": block({ "disable-cloaking-model-list": bool(false) }),
  codex: block({
    "identity-confuse": bool(false),
    "disable-codex-cloaking": bool(false),
    "stream-bootstrap-buffering": bool(false),
    "optimize-multi-agent-v2": bool(false),
  }),
  xai: block({ "inject-x-search": bool(false) }),
  antigravity: block({ "sensitive-words": stringList() }),
  "antigravity-signature-cache-enabled": bool(true),
  "antigravity-signature-bypass-strict": bool(false),
  "disable-image-generation": disableImageGeneration,
  "gpt-image-2-base-model": str(),
  "video-result-auth-cache-ttl": str(),

  ampcode: ampCode,

  // Switchyard's own keys
  plugins,
  "max-body-size-mb": z.preprocess(
    nullToUndefined,
    z.number({ error: MSG_NUMBER }).positive({ error: "must be greater than 0" }).default(DEFAULT_MAX_BODY_SIZE_MB),
  ),
});

export type SwitchyardConfig = z.output<typeof configSchema>;
