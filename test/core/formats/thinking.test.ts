import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { budgetToLevel, fitReasoning, LEVEL_BUDGET, parseThinkingSuffix, ReasoningRangeError } from "../../../core/formats/thinking.ts";

const GEMINI_25_PRO = { min: 128, max: 32768, dynamicAllowed: true };
const CLAUDE_BUDGET = { min: 1024, max: 128000, zeroAllowed: true };
const LEVELS_ONLY = { levels: ["low", "medium", "high"] };

describe("thinking suffix and tables", () => {
  test("parseThinkingSuffix() takes levels, -1 and budgets; other parentheses stay in the name", () => {
    assert.deepEqual(parseThinkingSuffix("gemini-2.5-pro(8192)"), { base: "gemini-2.5-pro", reasoning: { budget: 8192 } });
    assert.deepEqual(parseThinkingSuffix("m(high)"), { base: "m", reasoning: { level: "high" } });
    assert.deepEqual(parseThinkingSuffix("m(none)"), { base: "m", reasoning: { level: "none" } });
    assert.deepEqual(parseThinkingSuffix("m(-1)"), { base: "m", reasoning: { budget: -1 } });
    assert.deepEqual(parseThinkingSuffix("m(beta)"), { base: "m(beta)" });
    assert.deepEqual(parseThinkingSuffix("plain"), { base: "plain" });
  });

  test("level ↔ budget tables (behaviour.md §4.2)", () => {
    assert.deepEqual(LEVEL_BUDGET, { none: 0, auto: -1, minimal: 512, low: 1024, medium: 8192, high: 24576, xhigh: 32768, max: 128000 });
    assert.deepEqual([-1, 0, 512, 1000, 8000, 20000, 50000].map(budgetToLevel), ["auto", "none", "minimal", "low", "medium", "high", "xhigh"]);
  });
});

describe("fitReasoning()", () => {
  test("vector 14: (8192) and (none) reach a Gemini budget model as asked; (high) on a budget-only Claude model is 24576", () => {
    assert.deepEqual(fitReasoning({ budget: 8192 }, GEMINI_25_PRO, false), { budget: 8192, level: undefined });
    assert.equal(fitReasoning({ level: "none" }, GEMINI_25_PRO, false)?.budget, 0);
    assert.equal(fitReasoning({ level: "high" }, CLAUDE_BUDGET, true)?.budget, 24576);
  });

  test("vector 16: a cross-family budget is clamped; the same family out of range is the client's error", () => {
    assert.equal(fitReasoning({ budget: 50000 }, GEMINI_25_PRO, false)?.budget, 32768);
    assert.throws(() => fitReasoning({ budget: 50000 }, GEMINI_25_PRO, true), ReasoningRangeError);
  });

  test("level-only models get the nearest supported level; budget requests become levels", () => {
    assert.equal(fitReasoning({ level: "xhigh" }, LEVELS_ONLY, false)?.level, "high");
    assert.equal(fitReasoning({ level: "minimal" }, LEVELS_ONLY, false)?.level, "low");
    assert.equal(fitReasoning({ budget: 8000 }, LEVELS_ONLY, false)?.level, "medium");
  });

  test("auto without dynamic support becomes mid-range; unknown support passes through; none declared drops it", () => {
    const b = fitReasoning({ level: "auto" }, { min: 1024, max: 32000 }, false)?.budget;
    assert.equal(b, Math.round((1024 + 32000) / 2));
    assert.deepEqual(fitReasoning({ budget: 7 }, null, true), { budget: 7 });
    assert.equal(fitReasoning({ level: "high" }, undefined, false), undefined);
  });
});
