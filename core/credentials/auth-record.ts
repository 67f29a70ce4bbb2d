/**
 * One auth-dir JSON file as a credential record (behaviour.md §5.1).
 *
 * The record carries what every provider shares (type, label, routing fields, expiry, last refresh) already parsed,
 * and the whole JSON object, frozen, for the provider that owns the `type` to read its own fields (tokens, account
 * ids…). Nothing here knows a provider: a type is a lower-cased string.
 *
 * Parsing follows CLIProxyAPI's file synthesizer: legacy hyphenated keys are renamed to their snake_case form (an
 * explicit snake_case key wins), a `weight` that is not an integer in range rejects the file, other malformed optional
 * fields are simply absent, and the files of removed providers are skipped with a note.
 */
import { createHash } from "node:crypto";
import type { JsonObject, JsonValue } from "../formats/wire-format.ts";

/** A per-account model alias (`model_aliases` entry): requests for `alias` go upstream as `name`. */
export interface RecordModelAlias {
  /** The upstream model name. */
  readonly name: string;
  /** The id clients use. */
  readonly alias: string;
  /** Listed in addition to `name` rather than replacing it. */
  readonly fork: boolean;
  readonly displayName?: string;
  /** Rewrite the model in responses back to the alias. */
  readonly forceMapping: boolean;
}

export interface AuthRecord {
  /** The file's path relative to the auth dir (its name: only top-level files are read); lower-cased on Windows. */
  readonly id: string;
  /** Absolute path of the file. */
  readonly path: string;
  /** SHA-256 (hex) of the file's bytes. */
  readonly hash: string;
  /** Provider type, trimmed and lower-cased (`claude`, `codex`, …). */
  readonly type: string;
  /** Safe to log: the email when there is one, else the type. */
  readonly label: string;
  readonly email?: string;
  readonly disabled: boolean;
  /** Trimmed of `/`; absent when empty or containing `/`. */
  readonly prefix?: string;
  readonly proxyUrl?: string;
  readonly priority?: number;
  /** 0 (excluded from weighted routing) … 1 000 000; absent = default. */
  readonly weight?: number;
  readonly note?: string;
  /** Extra upstream headers (trimmed names and values, empties dropped). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly modelAliases?: readonly RecordModelAlias[];
  readonly excludedModels?: readonly string[];
  /** Per-credential `request-retry` override (≥ 0). */
  readonly requestRetry?: number;
  readonly disableCooling?: boolean;
  /** `refresh_interval_seconds` (or a Go duration string), in ms; refresh at least this often. */
  readonly refreshIntervalMs?: number;
  /** Token expiry, ms since the epoch. */
  readonly expiresAt?: number;
  /** When the tokens were last refreshed, ms since the epoch. */
  readonly lastRefresh?: number;
  /** The whole file (legacy keys normalised), deeply frozen: provider-specific fields are read from here. */
  readonly raw: Readonly<JsonObject>;
}

/**
 * The outcome for one file. `skipped` is a file that is fine but not a credential this proxy serves (a removed
 * provider); `error` is a file that is broken. Neither is ever fatal.
 */
export type AuthParseResult =
  | { readonly kind: "record"; readonly record: AuthRecord }
  | { readonly kind: "skipped"; readonly type: string; readonly reason: string }
  | { readonly kind: "error"; readonly reason: string };

/** Types CLIProxyAPI no longer serves: their files are skipped with a note (CPA maps `gemini` to `gemini-cli`). */
export const REMOVED_TYPES: ReadonlySet<string> = new Set(["gemini", "gemini-cli", "qwen", "iflow"]);

/** Legacy key → canonical key (CPA `CanonicalCredentialMetadataKey`). */
const LEGACY_KEYS: Readonly<Record<string, string>> = {
  "api-key": "api_key",
  "base-url": "base_url",
  "disable-cooling": "disable_cooling",
  "excluded-models": "excluded_models",
  "fingerprint-profile": "fingerprint_profile",
  "model-aliases": "model_aliases",
  "proxy-url": "proxy_url",
  "request-retry": "request_retry",
  "request-scoped-errors": "request_scoped_errors",
  "tool-prefix-disabled": "tool_prefix_disabled",
};

const EXPIRY_KEYS = ["expired", "expire", "expires_at", "expiresAt", "expiry", "expires"] as const;
const LAST_REFRESH_KEYS = ["last_refresh", "lastRefresh", "last_refreshed_at", "lastRefreshedAt"] as const;
const REFRESH_INTERVAL_KEYS = [
  "refresh_interval_seconds",
  "refreshIntervalSeconds",
  "refresh_interval",
  "refreshInterval",
];

export const MAX_WEIGHT = 1_000_000;

export interface AuthSource {
  /** Path relative to the auth dir. */
  readonly id: string;
  /** Absolute path. */
  readonly path: string;
  /** The file's content. */
  readonly text: string;
  /** SHA-256 hex of the bytes, when the caller already has it. */
  readonly hash?: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Parses one auth file. Never throws. */
export function parseAuthRecord(source: AuthSource): AuthParseResult {
  let text = source.text;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") return { kind: "error", reason: "the file is empty" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { kind: "error", reason: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { kind: "error", reason: "not a JSON object" };
  }
  const raw = normalizeKeys(parsed as JsonObject);
  const typeValue = raw["type"];
  const type = typeof typeValue === "string" ? typeValue.trim().toLowerCase() : "";
  if (type === "") return { kind: "error", reason: 'no "type" field: cannot tell which provider it belongs to' };
  if (REMOVED_TYPES.has(type)) {
    return { kind: "skipped", type, reason: `type "${type}" is a provider CLIProxyAPI removed; the file is skipped` };
  }
  let weight: number | undefined;
  if ("weight" in raw) {
    const w = parseWeight(raw["weight"]);
    if (typeof w === "string") return { kind: "error", reason: `invalid weight: ${w}` };
    weight = w;
  }

  const email = trimmed(raw["email"]);
  const record: AuthRecord = {
    id: source.id,
    path: source.path,
    hash: source.hash ?? sha256Hex(source.text),
    type,
    label: email ?? type,
    ...(email !== undefined && { email }),
    disabled: raw["disabled"] === true,
    ...optional("prefix", parsePrefix(raw["prefix"])),
    ...optional("proxyUrl", trimmed(raw["proxy_url"])),
    ...optional("priority", parsePriority(raw["priority"])),
    ...optional("weight", weight),
    ...optional("note", trimmed(raw["note"])),
    ...optional("headers", parseHeaders(raw["headers"])),
    ...optional("modelAliases", parseModelAliases(raw["model_aliases"])),
    ...optional("excludedModels", parseStringList(raw["excluded_models"])),
    ...optional("requestRetry", parseRequestRetry(raw["request_retry"])),
    ...optional("disableCooling", parseBool(raw["disable_cooling"])),
    ...optional("refreshIntervalMs", firstDuration(raw, REFRESH_INTERVAL_KEYS)),
    ...optional("expiresAt", expiryOf(raw)),
    ...optional("lastRefresh", firstTime(raw, LAST_REFRESH_KEYS)),
    raw,
  };
  return { kind: "record", record: deepFreeze(record) };
}

/** Freezes `v` and everything reachable from it. */
function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== "object" || Object.isFrozen(v)) return v;
  Object.freeze(v);
  for (const value of Object.values(v)) deepFreeze(value);
  return v;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Renames legacy hyphenated keys; an explicitly present canonical key wins. Returns a fresh object. */
function normalizeKeys(obj: JsonObject): JsonObject {
  const out: JsonObject = { ...obj };
  for (const [legacy, canonical] of Object.entries(LEGACY_KEYS)) {
    if (!(legacy in out)) continue;
    if (!(canonical in out)) out[canonical] = out[legacy]!;
    delete out[legacy];
  }
  return out;
}

function trimmed(v: JsonValue | undefined): string | undefined {
  if (typeof v !== "string") return undefined;
  const t = v.trim();
  return t === "" ? undefined : t;
}

function parsePrefix(v: JsonValue | undefined): string | undefined {
  if (typeof v !== "string") return undefined;
  const t = v.trim().replace(/^\/+|\/+$/g, "");
  return t === "" || t.includes("/") ? undefined : t;
}

function parsePriority(v: JsonValue | undefined): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "string" && /^[+-]?\d+$/.test(v.trim())) return Number.parseInt(v.trim(), 10);
  return undefined;
}

/** CPA `credentialweight.ParseValue`: an integer; ≤ 0 means 0; above the maximum is an error. */
function parseWeight(v: JsonValue | undefined): number | string {
  let n: number;
  if (typeof v === "number") {
    if (!Number.isFinite(v) || !Number.isInteger(v)) return "must be an integer";
    n = v;
  } else if (typeof v === "string") {
    const t = v.trim();
    if (t === "") return 1;
    if (!/^[+-]?\d+$/.test(t)) return "must be an integer";
    n = Number.parseInt(t, 10);
  } else {
    return "must be an integer";
  }
  if (n <= 0) return 0;
  if (n > MAX_WEIGHT) return `must not exceed ${MAX_WEIGHT}`;
  return n;
}

function parseHeaders(v: JsonValue | undefined): Record<string, string> | undefined {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  const out: Record<string, string> = {};
  let any = false;
  for (const [k, value] of Object.entries(v)) {
    const name = k.trim();
    const val = typeof value === "string" ? value.trim() : "";
    if (name === "" || val === "") continue;
    out[name] = val;
    any = true;
  }
  return any ? out : undefined;
}

/** CPA `SanitizeOAuthModelAlias`: trimmed, both names required and different, aliases unique (case-insensitive). */
function parseModelAliases(v: JsonValue | undefined): RecordModelAlias[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const seen = new Set<string>();
  const out: RecordModelAlias[] = [];
  for (const entry of v) {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) continue;
    const name = trimmed(entry["name"]);
    const alias = trimmed(entry["alias"]);
    if (name === undefined || alias === undefined || name.toLowerCase() === alias.toLowerCase()) continue;
    const key = alias.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const displayName = trimmed(entry["display-name"] ?? entry["display_name"]);
    out.push({
      name,
      alias,
      fork: entry["fork"] === true,
      ...(displayName !== undefined && { displayName }),
      forceMapping: (entry["force-mapping"] ?? entry["force_mapping"]) === true,
    });
  }
  return out.length > 0 ? out : undefined;
}

function parseStringList(v: JsonValue | undefined): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out = v.flatMap((s) => (typeof s === "string" && s.trim() !== "" ? [s.trim()] : []));
  return out.length > 0 ? out : undefined;
}

function parseInteger(v: JsonValue | undefined): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "string" && /^[+-]?\d+$/.test(v.trim())) return Number.parseInt(v.trim(), 10);
  return undefined;
}

/** A negative value means "use the global setting", as in CPA. */
function parseRequestRetry(v: JsonValue | undefined): number | undefined {
  const n = parseInteger(v);
  return n === undefined || n < 0 ? undefined : n;
}

/** Go `strconv.ParseBool` plus numbers (non-zero is true), as CPA's `parseBoolAny`. */
function parseBool(v: JsonValue | undefined): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") {
    const t = v.trim();
    if (["1", "t", "T", "true", "TRUE", "True"].includes(t)) return true;
    if (["0", "f", "F", "false", "FALSE", "False"].includes(t)) return false;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Durations and times

const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration string (`90s`, `1h30m`, `1.5h`) in ms, or undefined. */
export function parseGoDuration(s: string): number | undefined {
  const t = s.trim();
  if (t === "" || t === "0") return t === "0" ? 0 : undefined;
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(t);
  if (!m) return undefined;
  let total = 0;
  for (const part of t.replace(/^[+-]/, "").matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * DURATION_UNIT_MS[part[2]!]!;
  }
  return m[1] === "-" ? -total : total;
}

/** CPA `parseDurationValue`: a number of seconds, or a Go duration / number-of-seconds string. Positive only. */
function durationMs(v: JsonValue | undefined): number | undefined {
  let ms: number | undefined;
  if (typeof v === "number" && Number.isFinite(v)) ms = v * 1000;
  else if (typeof v === "string") {
    ms = parseGoDuration(v);
    if (ms === undefined && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v.trim())) ms = Number(v.trim()) * 1000;
  }
  return ms !== undefined && ms > 0 ? ms : undefined;
}

function firstDuration(obj: JsonObject, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    if (!(k in obj)) continue;
    const ms = durationMs(obj[k]);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;
const SPACED = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})(:\d{2})?$/;

/**
 * A time as CPA's `parseTimeValue` reads it: an RFC 3339 string, `YYYY-MM-DD HH:MM[:SS]` (UTC), or unix time as a
 * number or digit string — seconds, or milliseconds when above 10^12. Returns `null` for a value that parses to "no
 * time" (zero or negative) and undefined for one that is not a time at all.
 */
export function parseTimeValue(v: JsonValue | undefined): number | null | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? unixToMs(Math.trunc(v)) : undefined;
  if (typeof v !== "string") return undefined;
  const s = v.trim();
  if (s === "") return undefined;
  let m = RFC3339.exec(s);
  if (m) {
    // Millisecond precision: JavaScriptCore rejects longer fractions that V8 accepts.
    const frac = m[3] ? `.${m[3].slice(0, 3).padEnd(3, "0")}` : "";
    const zone = m[4] === "z" ? "Z" : m[4];
    const ms = Date.parse(`${m[1]}T${m[2]}${frac}${zone}`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  m = SPACED.exec(s);
  if (m) {
    const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? ":00"}Z`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (/^[+-]?\d+$/.test(s)) return unixToMs(Number.parseInt(s, 10));
  return undefined;
}

function unixToMs(raw: number): number | null {
  if (raw <= 0) return null;
  return raw > 1_000_000_000_000 ? raw : raw * 1000;
}

/** The first key holding a time value decides (a zero value means "none", as in CPA). */
function firstTime(obj: JsonObject, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    if (!(k in obj)) continue;
    const t = parseTimeValue(obj[k]);
    if (t === null) return undefined;
    if (t !== undefined) return t;
  }
  return undefined;
}

/** Expiry from the top-level keys, else from a nested `token` (or `Token`) object (legacy files). */
function expiryOf(obj: JsonObject): number | undefined {
  for (const k of EXPIRY_KEYS) {
    if (!(k in obj)) continue;
    const t = parseTimeValue(obj[k]);
    if (t === null) return undefined;
    if (t !== undefined) return t;
  }
  for (const k of ["token", "Token"]) {
    const nested = obj[k];
    if (nested !== null && typeof nested === "object" && !Array.isArray(nested)) {
      const t = expiryOf(nested);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}
