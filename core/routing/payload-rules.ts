/**
 * CLIProxyAPI's `payload:` rules (behaviour.md §2.4), compiled once per snapshot and applied to the upstream body
 * after translation: `default` fills paths the body does not have, `override` sets them, `filter` removes them. The
 * `-raw` variants take JSON text as values. A rule applies when one of its `models` entries matches: model name
 * (wildcards), upstream protocol, client protocol, client headers and body conditions. For each path the first
 * matching rule wins.
 *
 * Paths use gjson's dotted syntax (`reasoning.effort`, `messages.0.content`, `a\.b` for a literal dot).
 */
import type { PayloadFilterRule, PayloadModelRule, PayloadRule, SwitchyardConfig } from "../config/schema.ts";
import type { JsonObject, JsonValue, WireFormat } from "../formats/wire-format.ts";
import { compileModelPatterns, type ModelPredicate } from "./model-pattern.ts";

/** CLIProxyAPI protocol names: the upstream side (`protocol`) and the client side (`from-protocol`). */
export function upstreamProtocol(format: WireFormat, provider: string): string {
  if (format === "claude") return "claude";
  if (format === "gemini") return provider === "antigravity" ? "antigravity" : "gemini";
  if (format === "openai-responses") return "codex";
  return "openai";
}

export function clientProtocol(format: WireFormat): string {
  if (format === "openai-responses") return "responses";
  if (format === "claude" || format === "gemini") return format;
  return "openai";
}

export interface PayloadContext {
  /** The upstream model name; a rule's `name` may also match the model the client asked for. */
  readonly model: string;
  readonly requestedModel: string;
  readonly protocol: string;
  readonly fromProtocol: string;
  readonly headers: Headers;
}

type Path = readonly string[];

/** Splits a gjson-style path on unescaped dots. */
export function parsePath(path: string): Path {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === "\\" && i + 1 < path.length) {
      cur += path[++i];
    } else if (ch === ".") {
      out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

function isIndex(key: string): boolean {
  return /^\d+$/.test(key);
}

export function getPath(root: JsonValue, path: Path): JsonValue | undefined {
  let cur: JsonValue | undefined = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = Array.isArray(cur) ? (isIndex(key) ? cur[Number(key)] : undefined) : cur[key];
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Sets a value, creating objects (or arrays for numeric keys) on the way. Never mutates shared input: see clone. */
export function setPath(root: JsonObject, path: Path, value: JsonValue): void {
  let cur: JsonValue = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const nextIsIndex = isIndex(path[i + 1]!);
    if (Array.isArray(cur)) {
      const idx = Number(key);
      if (cur[idx] === null || typeof cur[idx] !== "object") cur[idx] = nextIsIndex ? [] : {};
      cur = cur[idx]!;
    } else if (cur !== null && typeof cur === "object") {
      const obj: JsonObject = cur;
      if (obj[key] === null || typeof obj[key] !== "object") obj[key] = nextIsIndex ? [] : {};
      cur = obj[key]!;
    } else {
      return;
    }
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(cur)) cur[Number(last)] = value;
  else if (cur !== null && typeof cur === "object") cur[last] = value;
}

export function deletePath(root: JsonObject, path: Path): void {
  const parent = getPath(root, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) {
    if (isIndex(last)) parent.splice(Number(last), 1);
  } else if (parent !== null && typeof parent === "object" && parent !== undefined) {
    delete parent[last];
  }
}

interface CompiledMatcher {
  readonly model: ModelPredicate;
  readonly protocol: string;
  readonly fromProtocol: string;
  readonly headers: readonly (readonly [string, ModelPredicate])[];
  readonly match: readonly (readonly [Path, JsonValue])[];
  readonly notMatch: readonly (readonly [Path, JsonValue])[];
  readonly exist: readonly Path[];
  readonly notExist: readonly Path[];
}

interface CompiledRule {
  readonly matchers: readonly CompiledMatcher[];
  readonly params: readonly (readonly [Path, JsonValue])[];
}

function compileMatcher(m: PayloadModelRule): CompiledMatcher {
  const pairs = (maps: readonly Record<string, unknown>[]) =>
    maps.flatMap((map) => Object.entries(map).map(([k, v]) => [parsePath(k), v as JsonValue] as const));
  return {
    model: m.name ? compileModelPatterns([m.name]) : () => true,
    protocol: m.protocol.toLowerCase(),
    fromProtocol: m["from-protocol"].toLowerCase(),
    headers: Object.entries(m.headers).map(([k, v]) => [k, compileModelPatterns([v])] as const),
    match: pairs(m.match),
    notMatch: pairs(m["not-match"]),
    exist: m.exist.map(parsePath),
    notExist: m["not-exist"].map(parsePath),
  };
}

function sameJson(a: JsonValue | undefined, b: JsonValue): boolean {
  if (a === undefined) return false;
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function matches(m: CompiledMatcher, ctx: PayloadContext, body: JsonObject): boolean {
  if (!m.model(ctx.model) && !m.model(ctx.requestedModel)) return false;
  if (m.protocol && m.protocol !== ctx.protocol) return false;
  if (m.fromProtocol && m.fromProtocol !== ctx.fromProtocol) return false;
  for (const [name, pred] of m.headers) {
    const v = ctx.headers.get(name);
    if (v === null || !pred(v)) return false;
  }
  for (const [path, value] of m.match) if (!sameJson(getPath(body, path), value)) return false;
  for (const [path, value] of m.notMatch) if (sameJson(getPath(body, path), value)) return false;
  for (const path of m.exist) if (getPath(body, path) === undefined) return false;
  for (const path of m.notExist) if (getPath(body, path) !== undefined) return false;
  return true;
}

function compileRules(rules: readonly PayloadRule[], raw: boolean): CompiledRule[] {
  return rules.map((r) => ({
    matchers: r.models.map(compileMatcher),
    params: Object.entries(r.params).map(([k, v]) => {
      // Raw values are JSON text, validated by the config schema.
      const value = raw && typeof v === "string" ? (JSON.parse(v) as JsonValue) : (v as JsonValue);
      return [parsePath(k), value] as const;
    }),
  }));
}

function compileFilters(rules: readonly PayloadFilterRule[]): CompiledRule[] {
  return rules.map((r) => ({ matchers: r.models.map(compileMatcher), params: r.params.map((p) => [parsePath(p), null]) }));
}

export class PayloadRules {
  readonly #defaults: readonly CompiledRule[];
  readonly #overrides: readonly CompiledRule[];
  readonly #filters: readonly CompiledRule[];

  private constructor(defaults: CompiledRule[], overrides: CompiledRule[], filters: CompiledRule[]) {
    this.#defaults = defaults;
    this.#overrides = overrides;
    this.#filters = filters;
  }

  /** Null when the config has no rules: the pipeline then skips this step entirely. */
  static compile(payload: SwitchyardConfig["payload"]): PayloadRules | null {
    const defaults = [...compileRules(payload.default, false), ...compileRules(payload["default-raw"], true)];
    const overrides = [...compileRules(payload.override, false), ...compileRules(payload["override-raw"], true)];
    const filters = compileFilters(payload.filter);
    if (defaults.length + overrides.length + filters.length === 0) return null;
    return new PayloadRules(defaults, overrides, filters);
  }

  /** Returns the body with the rules applied (a copy when anything changed; `body` itself is never mutated). */
  apply(body: JsonObject, ctx: PayloadContext): JsonObject {
    let out: JsonObject | null = null;
    const writable = () => (out ??= structuredClone(body));
    const done = new Set<string>();
    // Defaults only fill paths absent from the translated original.
    for (const rule of this.#defaults) {
      if (!rule.matchers.some((m) => matches(m, ctx, body))) continue;
      for (const [path, value] of rule.params) {
        const key = path.join("\u0000");
        if (done.has(key) || getPath(body, path) !== undefined) continue;
        done.add(key);
        setPath(writable(), path, structuredClone(value));
      }
    }
    done.clear();
    for (const rule of this.#overrides) {
      if (!rule.matchers.some((m) => matches(m, ctx, body))) continue;
      for (const [path, value] of rule.params) {
        const key = path.join("\u0000");
        if (done.has(key)) continue;
        done.add(key);
        setPath(writable(), path, structuredClone(value));
      }
    }
    for (const rule of this.#filters) {
      if (!rule.matchers.some((m) => matches(m, ctx, body))) continue;
      for (const [path] of rule.params) deletePath(writable(), path);
    }
    return out ?? body;
  }
}
