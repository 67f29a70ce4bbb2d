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
