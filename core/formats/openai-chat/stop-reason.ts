/** `finish_reason` ↔ IR stop reason (behaviour.md §4.4). */
import type { IrStopReason } from "../ir.ts";

/**
 * OpenAI `finish_reason` → IR. When the answer carried tool calls, a plain `stop` becomes `tool_use` (several
 * OpenAI-compatible servers say `stop` there, and a Claude client would then not run the tools); `tool_calls` without
 * any call becomes `end_turn`, as CLIProxyAPI does.
 */
export function stopReasonFromOpenAI(reason: string, sawToolCall: boolean): IrStopReason {
  switch (reason) {
    case "length":
    case "max_tokens": // what CLIProxyAPI itself sends for Gemini upstreams
      return "max_tokens";
    case "content_filter":
      return "content_filter";
    default: // stop, tool_calls, function_call, anything unknown
      return sawToolCall ? "tool_use" : "end_turn";
  }
}

/**
 * IR → OpenAI `finish_reason`. `gemini` is set when the source was Gemini (it reported a native reason): CLIProxyAPI
 * then says `max_tokens` instead of `length` (vector 22). Emitted tool calls always finish as `tool_calls`, so agents
 * that wait for it run them even when the source said end_turn.
 */
export function finishReasonToOpenAI(
  stop: IrStopReason | null | undefined,
  sawToolCall: boolean,
  gemini: boolean,
): string {
  switch (stop) {
    case "max_tokens":
      return gemini ? "max_tokens" : "length";
    case "content_filter":
    case "refusal":
      return "content_filter";
    case "tool_use":
      return "tool_calls";
  }
  return sawToolCall ? "tool_calls" : "stop";
}

/** Legacy Completions knows no tool calls: a turn that stopped for one simply stopped. */
export function completionsFinishReason(stop: IrStopReason | null | undefined, gemini: boolean): string {
  const reason = finishReasonToOpenAI(stop, false, gemini);
  return reason === "tool_calls" ? "stop" : reason;
}
