/**
 * What the Codex backend (`chatgpt.com/backend-api/codex/responses`) needs beyond the standard Responses API, for the
 * codex provider to apply to any Responses body it sends, rendered or passed through (behaviour.md §4.1 last column):
 * always streamed and unstored, encrypted reasoning included, and no fields it rejects.
 *
 * Cross-format renders should also use `CODEX_RENDER_OPTIONS` (request.ts): system text as a developer message and
 * `reasoning.effort` defaulting to "medium".
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../../core/formats/wire-format.ts";

/** Fields the Codex backend rejects ("Unsupported parameter"). */
const REJECTED = [
  "max_output_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "truncation",
  "user",
  "context_management",
  "prompt_cache_retention",
  "prompt_cache_options",
] as const;

/** `system` input messages become `developer` ones (the backend refuses the system role). */
function developerRoles(input: JsonValue | undefined): JsonValue | undefined {
  if (!Array.isArray(input) || !input.some((m) => isJsonObject(m) && m.role === "system")) return input;
  return input.map((m) => (isJsonObject(m) && m.role === "system" ? { ...m, role: "developer" } : m));
}

/** A copy of a Responses request body fit for the Codex backend. */
export function applyCodexBackendQuirks(body: JsonObject): JsonObject {
  const out: JsonObject = { ...body };
  for (const key of REJECTED) delete out[key];
  // Only the priority tier is accepted; other tiers are the default behaviour anyway.
  if (out.service_tier !== undefined && out.service_tier !== "priority") delete out.service_tier;
  if (typeof out.input === "string") {
    out.input = [{ type: "message", role: "user", content: [{ type: "input_text", text: out.input }] }];
  } else {
    const input = developerRoles(out.input);
    if (input !== undefined) out.input = input;
  }
  if (typeof out.instructions !== "string") out.instructions = "";
  out.stream = true;
  out.store = false;
  out.parallel_tool_calls = true;
  out.include = ["reasoning.encrypted_content"];
  return out;
}
