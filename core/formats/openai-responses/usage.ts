/**
 * Usage and stop reasons of a Responses `response` object (behaviour.md §4.3, §4.4): `input_tokens` already counts
 * cached tokens and `output_tokens` reasoning ones, exactly as the IR does, so both directions are field copies.
 */
import type { IrStopReason, IrUsage } from "../ir.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";

function num(v: JsonValue | undefined): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/** `response.usage` → IR usage; undefined when the upstream sent none. */
export function irUsageFromResponses(u: JsonValue | undefined): IrUsage | undefined {
  if (!isJsonObject(u)) return undefined;
  const inDetails = isJsonObject(u.input_tokens_details) ? u.input_tokens_details : undefined;
  const outDetails = isJsonObject(u.output_tokens_details) ? u.output_tokens_details : undefined;
  const cached = num(inDetails?.cached_tokens);
  const reasoning = num(outDetails?.reasoning_tokens);
  const usage: { -readonly [K in keyof IrUsage]: IrUsage[K] } = {
    input: num(u.input_tokens),
    output: num(u.output_tokens),
  };
  if (cached > 0) usage.cacheRead = cached;
  if (reasoning > 0) usage.reasoning = reasoning;
  return usage;
}

/** IR usage → `response.usage`, with the detail objects the real API always sends. */
export function responsesUsage(u: IrUsage): JsonObject {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cacheRead ?? 0 },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
    total_tokens: u.input + u.output,
  };
}

/**
 * `status` + `incomplete_details.reason` → IR stop reason. A completed response that called a function stops for
 * tool use; `failed`, `cancelled` and still-running states have none.
 */
export function stopReasonOf(
  status: string | undefined,
  incompleteReason: string | undefined,
  calledTool: boolean,
): IrStopReason | null {
  switch (status) {
    case "completed":
    case undefined:
      return calledTool ? "tool_use" : "end_turn";
    case "incomplete":
      if (incompleteReason === "max_output_tokens") return "max_tokens";
      if (incompleteReason === "content_filter") return "content_filter";
      return calledTool ? "tool_use" : "end_turn";
    default:
      return null;
  }
}

/**
 * IR stop reason → the `incomplete_details.reason` of an incomplete response, or null for a completed one. Claude's
 * `refusal` (its safety classifier stopped the turn) is the Responses content filter.
 */
export function incompleteReasonOf(stop: IrStopReason | null | undefined): string | null {
  switch (stop) {
    case "max_tokens":
      return "max_output_tokens";
    case "content_filter":
    case "refusal":
      return "content_filter";
    default:
      return null;
  }
}
