/**
 * `request-scoped-errors` (per key entry and openai-compatibility entry; `oauth-request-scoped-errors` per channel):
 * rules that decide, before the default classification, what a failed attempt means (behaviour.md §2.3, §3.3).
 *
 * A rule matches when the upstream status equals `status` and the error body contains one of `match` (substrings) or
 * matches one of `match-regexr` (regular expressions), first matching rule wins:
 * - `stop`: the error goes to the client at once, no cooldown, no further credential or round;
 * - `stop-and-cooldown`: the same, and the credential cools for the model;
 * - `continue`: the next credential is tried, this one is not cooled;
 * - `continue-and-cooldown`: the next credential is tried and this one cools.
 * A cooling action cools even when `disable-cooling` is set, for the duration the status would normally earn, or the
 * transient default (60 s) when that is none — as CLIProxyAPI's `force_cooldown` does.
 *
 * Rules are compiled once, when the credentials of a snapshot are built; matching is a few `includes` / `test` calls.
 */
import type { RequestScopedErrorRule } from "../config/schema.ts";

export type ScopedAction = "stop" | "stop-and-cooldown" | "continue" | "continue-and-cooldown";

interface CompiledRule {
  readonly status: number;
  readonly match: readonly string[];
  readonly regexes: readonly RegExp[];
  readonly action: ScopedAction;
}

/** `stop` and `stop-and-cooldown` end the request. */
export function actionStops(action: ScopedAction): boolean {
  return action === "stop" || action === "stop-and-cooldown";
}

/** `stop-and-cooldown` and `continue-and-cooldown` cool the credential. */
export function actionCools(action: ScopedAction): boolean {
  return action === "stop-and-cooldown" || action === "continue-and-cooldown";
}

/**
 * A Go (RE2) pattern as a JS RegExp: a leading flag group such as `(?i)` or `(?is)` becomes JS flags, `\A` / `\z`
 * become anchors. Null when the pattern does not compile (CLIProxyAPI skips such patterns too).
 */
export function compileGoRegexp(pattern: string): RegExp | null {
  let source = pattern;
  let flags = "";
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead) {
    source = source.slice(lead[0].length);
    for (const f of lead[1]!) if (f !== "U" && !flags.includes(f)) flags += f;
  }
  source = source.replace(/(^|[^\\])\\A/g, "$1^").replace(/(^|[^\\])\\z/g, "$1$(?![\\s\\S])");
  try {
    return new RegExp(source, flags);
  } catch {
    return null;
  }
}

export class ScopedErrorRules {
  readonly #rules: readonly CompiledRule[];
  /** `match-regexr` patterns that did not compile and are ignored (for a startup warning). */
  readonly invalidPatterns: readonly string[];

  private constructor(rules: readonly CompiledRule[], invalid: readonly string[]) {
    this.#rules = rules;
    this.invalidPatterns = invalid;
  }

  /** Compiles a rule list; undefined when no usable rule remains (the credential then carries nothing). */
  static compile(rules: readonly RequestScopedErrorRule[] | undefined): ScopedErrorRules | undefined {
    if (!rules || rules.length === 0) return undefined;
    const out: CompiledRule[] = [];
    const invalid: string[] = [];
    for (const r of rules) {
      const match = r.match.filter((m) => m !== "");
      const regexes: RegExp[] = [];
      for (const p of r["match-regexr"]) {
        if (p === "") continue;
        const re = compileGoRegexp(p);
        if (re === null) invalid.push(p);
        else regexes.push(re);
      }
      if (r.status <= 0 || (match.length === 0 && regexes.length === 0)) continue;
      out.push(Object.freeze({ status: r.status, match, regexes, action: r.action }));
    }
    return out.length === 0 ? undefined : new ScopedErrorRules(Object.freeze(out), Object.freeze(invalid));
  }

  get size(): number {
    return this.#rules.length;
  }

  /** The action of the first rule matching this failure, or null to fall back to the default classification. */
  match(status: number, body: string): ScopedAction | null {
    for (const r of this.#rules) {
      if (r.status !== status) continue;
      for (const m of r.match) if (body.includes(m)) return r.action;
      for (const re of r.regexes) if (re.test(body)) return r.action;
    }
    return null;
  }
}
