/**
 * OpenAI `usage` ↔ IR usage (behaviour.md §4.3). OpenAI's `prompt_tokens` already counts cached tokens and
 * `completion_tokens` counts reasoning tokens, which is exactly the IR's convention: no arithmetic either way.
 */
import type { IrUsage } from "../ir.ts";
import type { JsonObject } from "../wire-format.ts";
import { num, obj } from "./json.ts";

export function usageFromOpenAI(u: JsonObject): IrUsage {
  const input = num(u.prompt_tokens) ?? num(u.input_tokens) ?? 0;
  const output = num(u.completion_tokens) ?? num(u.output_tokens) ?? 0;
  const usage: { -readonly [K in keyof IrUsage]: IrUsage[K] } = { input, output };
  const prompt = obj(u.prompt_tokens_details);
  // Zero counts are dropped: OpenAI always reports `cached_tokens: 0`, and the IR reads absence as none.
  const cached = prompt ? num(prompt.cached_tokens) : undefined;
  if (cached) usage.cacheRead = cached;
  // CLIProxyAPI's own extension (Claude upstreams behind another proxy report cache writes this way).
  const created = prompt ? num(prompt.cached_creation_tokens) : undefined;
  if (created) usage.cacheCreation = created;
  const completion = obj(u.completion_tokens_details);
  const reasoning = completion ? num(completion.reasoning_tokens) : undefined;
  if (reasoning) usage.reasoning = reasoning;
  return usage;
}

/**
 * IR usage → OpenAI `usage`. `prompt_tokens_details` appears when the source reported caching (vector 20: Claude
 * input 10 + cache_read 5 + cache_creation 2 → prompt 17, cached 5), `completion_tokens_details` when it reported
 * reasoning (vector 22).
 */
export function usageToOpenAI(u: IrUsage): JsonObject {
  const out: JsonObject = { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output };
  if (u.cacheRead !== undefined || u.cacheCreation !== undefined) {
    const details: JsonObject = { cached_tokens: u.cacheRead ?? 0 };
    if (u.cacheCreation !== undefined) details.cached_creation_tokens = u.cacheCreation;
    out.prompt_tokens_details = details;
  }
  if (u.reasoning !== undefined) out.completion_tokens_details = { reasoning_tokens: u.reasoning };
  return out;
}
