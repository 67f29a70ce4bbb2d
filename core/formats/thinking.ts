/**
 * Reasoning ("thinking") levels and budgets shared by every format (behaviour.md §4.2): the model-name suffix
 * `model(high)` / `model(8192)` / `model(none)`, and the level ↔ budget tables.
 */
import type { IrReasoning, ReasoningLevel } from "./ir.ts";

export const REASONING_LEVELS: readonly ReasoningLevel[] = ["none", "auto", "minimal", "low", "medium", "high", "xhigh", "max"];

/** Level → token budget. */
export const LEVEL_BUDGET: Readonly<Record<ReasoningLevel, number>> = Object.freeze({
  none: 0,
  auto: -1,
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 32768,
  max: 128000,
});

/** Budget → the level whose range holds it. */
export function budgetToLevel(budget: number): ReasoningLevel {
  if (budget < 0) return "auto";
  if (budget === 0) return "none";
  if (budget <= 512) return "minimal";
  if (budget <= 1024) return "low";
  if (budget <= 8192) return "medium";
  if (budget <= 24576) return "high";
  return "xhigh";
}

export function isReasoningLevel(v: unknown): v is ReasoningLevel {
  return typeof v === "string" && (REASONING_LEVELS as readonly string[]).includes(v);
}

/** A reasoning request as a budget, whichever way it was asked. */
export function reasoningBudget(r: IrReasoning): number | undefined {
  if (r.budget !== undefined) return r.budget;
  if (r.level !== undefined) return LEVEL_BUDGET[r.level];
  return undefined;
}

/** A reasoning request as a level, whichever way it was asked. */
export function reasoningLevel(r: IrReasoning): ReasoningLevel | undefined {
  if (r.level !== undefined) return r.level;
  if (r.budget !== undefined) return budgetToLevel(r.budget);
  return undefined;
}

const SUFFIX = /^(.*)\(([^()]*)\)$/;

/**
 * Splits `model(suffix)`: the last parenthesised group, when it is a level, `-1` or a non-negative integer. Anything
 * else (including a model id that merely ends in parentheses) is left as the model name.
 */
export function parseThinkingSuffix(model: string): { base: string; reasoning?: IrReasoning } {
  const m = SUFFIX.exec(model);
  if (!m) return { base: model };
  const base = m[1]!;
  const raw = m[2]!.trim().toLowerCase();
  if (base === "") return { base: model };
  if (isReasoningLevel(raw)) return { base, reasoning: { level: raw } };
  if (raw === "-1") return { base, reasoning: { budget: -1 } };
  if (/^\d+$/.test(raw)) return { base, reasoning: { budget: Number(raw) } };
  return { base: model };
}

/** A model's declared reasoning support (mirrors `ModelThinking` of the plugin API; kept structural here). */
export interface ThinkingSupport {
  readonly min?: number;
  readonly max?: number;
  readonly zeroAllowed?: boolean;
  readonly dynamicAllowed?: boolean;
  readonly levels?: readonly string[];
}

/** Thrown for a same-family budget the model cannot take (the caller turns it into a 400). */
export class ReasoningRangeError extends RangeError {}

/**
 * Fits a reasoning request to the target model (behaviour.md §4.2):
 * - no declared support → the request is dropped (`undefined`): the model would reject or ignore it;
 * - a level-only model gets a budget turned into the nearest supported level, a level clamped to a supported one;
 * - a budget model gets levels as budgets; an out-of-range budget is clamped, unless client and upstream are the same
 *   family, where the client asked for something the model cannot do and gets a 400 (ReasoningRangeError);
 * - `auto` (-1) without dynamic support becomes the middle of the range; `none` (0) is always passed on.
 * `support === null` means a user-configured model with no catalogue entry: passed through untouched.
 */
export function fitReasoning(
  r: IrReasoning,
  support: ThinkingSupport | null | undefined,
  sameFamily: boolean,
): IrReasoning | undefined {
  if (support === null) return r;
  if (support === undefined) return undefined;
  const levels = support.levels?.filter(isReasoningLevel) ?? [];
  const hasBudget = support.min !== undefined || support.max !== undefined;
  if (levels.length > 0 && !hasBudget) {
    const wanted = reasoningLevel(r);
    if (wanted === undefined) return r;
    if (wanted === "none") return support.zeroAllowed || levels.includes("none") ? { ...r, level: "none", budget: undefined } : undefined;
    return { ...r, level: nearestLevel(wanted, levels), budget: undefined };
  }
  let budget = reasoningBudget(r);
  if (budget === undefined) return r;
  const min = support.min ?? 0;
  const max = support.max ?? Number.MAX_SAFE_INTEGER;
  if (budget === -1) {
    if (support.dynamicAllowed) return { ...r, budget: -1, level: undefined };
    budget = Math.round((min + Math.min(max, LEVEL_BUDGET.max)) / 2);
  } else if (budget === 0) {
    // An explicit "none" is passed on as 0 even where the catalogue does not list zero (behaviour.md vector 14).
    return { ...r, budget: 0, level: undefined };
  } else if (budget < min || budget > max) {
    if (sameFamily && r.budget !== undefined) {
      throw new ReasoningRangeError(`thinking budget ${budget} is outside the model's range ${min}..${max}`);
    }
    budget = Math.min(Math.max(budget, min), max);
  }
  // Keep a level when the model takes levels too and the client asked by level.
  if (r.level !== undefined && levels.includes(r.level)) return r;
  return { ...r, budget, level: undefined };
}

/** The supported level closest to `wanted` in the LEVEL_BUDGET order. */
function nearestLevel(wanted: ReasoningLevel, supported: readonly ReasoningLevel[]): ReasoningLevel {
  if (supported.includes(wanted)) return wanted;
  const target = LEVEL_BUDGET[wanted] < 0 ? LEVEL_BUDGET.medium : LEVEL_BUDGET[wanted];
  let best = supported[0]!;
  for (const l of supported) {
    if (Math.abs(LEVEL_BUDGET[l] - target) < Math.abs(LEVEL_BUDGET[best] - target)) best = l;
  }
  return best;
}
