/**
 * Legacy `/v1/completions` ↔ IR, the way CLIProxyAPI serves it: the prompt becomes one user message of a chat, and
 * the answer is re-shaped to `text_completion` with `choices[].text`. Streams use the Chat parser and renderer
 * (their chunks differ only in the choice's shape).
 */
import type { IrPart, IrRequest, IrResponse, RenderContext } from "../ir.ts";
import type { JsonObject } from "../wire-format.ts";
import { type Mutable, nowSeconds, num, obj, randomId, str } from "./json.ts";
import { parseSampling } from "./request.ts";
import { renderSampling } from "./request-render.ts";
import { firstChoice } from "./response.ts";
import { completionsFinishReason, stopReasonFromOpenAI } from "./stop-reason.ts";
import { usageFromOpenAI, usageToOpenAI } from "./usage.ts";

const MAPPED = new Set([
  "model",
  "prompt",
  "stream",
  "stream_options",
  "max_tokens",
  "temperature",
  "top_p",
  "top_k",
  "stop",
  "n",
  "seed",
  "presence_penalty",
  "frequency_penalty",
  "user",
]);

/** CLIProxyAPI's stand-in for an empty prompt. */
const EMPTY_PROMPT = "Complete this:";

export function parseCompletionsRequest(body: JsonObject): IrRequest {
  const prompt = body.prompt;
  // An array is a batch of prompts; the IR holds one conversation, so the first prompt is answered.
  const text = (typeof prompt === "string" ? prompt : Array.isArray(prompt) ? str(prompt[0]) : undefined) ||
    EMPTY_PROMPT;
  const ir: Mutable<IrRequest> = {
    model: str(body.model) ?? "",
    stream: body.stream === true,
    system: [],
    messages: [{ role: "user", content: [{ type: "text", text }] }],
    tools: [],
    sampling: parseSampling(body),
    extra: null,
  };
  const user = str(body.user);
  if (user) ir.user = user;
  // logprobs, echo, suffix, best_of, logit_bias…: a Chat render takes logprobs and echo (as CLIProxyAPI does).
  let extra: JsonObject | null = null;
  for (const key of Object.keys(body)) {
    if (!MAPPED.has(key)) (extra ??= {})[key] = body[key]!;
  }
  if (extra) ir.extra = { format: "openai-completions", fields: extra };
  return ir;
}

/** For a Completions upstream: the conversation flattened into one prompt. */
export function renderCompletionsRequest(ir: IrRequest, ctx: RenderContext): JsonObject {
  let prompt = "";
  const add = (t: string) => {
    if (t) prompt += prompt ? `\n\n${t}` : t;
  };
  for (const p of ir.system) add(p.text);
  for (const m of ir.messages) for (const p of m.content) if (p.type === "text") add(p.text);
  const out: JsonObject = { model: ctx.model, prompt: prompt || EMPTY_PROMPT };
  renderSampling(ir.sampling, out);
  if (ir.user) out.user = ir.user;
  out.stream = ctx.stream;
  if (ctx.stream) out.stream_options = { include_usage: true };
  if (ir.extra?.format === "openai-completions") {
    for (const [k, v] of Object.entries(ir.extra.fields)) if (!(k in out)) out[k] = v;
  }
  return out;
}

export function parseCompletionsResponse(body: JsonObject): IrResponse {
  const choice = firstChoice(body);
  const text = choice && str(choice.text);
  const content: IrPart[] = text ? [{ type: "text", text }] : [];
  const reason = choice && str(choice.finish_reason);
  const out: Mutable<IrResponse> = {
    id: str(body.id) ?? "",
    model: str(body.model) ?? "",
    created: num(body.created) ?? nowSeconds(),
    content,
    stopReason: reason ? stopReasonFromOpenAI(reason, false) : null,
  };
  const usage = obj(body.usage);
  if (usage) out.usage = usageFromOpenAI(usage);
  return out;
}

export function renderCompletionsResponse(ir: IrResponse, ctx: RenderContext): JsonObject {
  let text = "";
  for (const p of ir.content) if (p.type === "text") text += p.text;
  return {
    id: ir.id || randomId("cmpl-"),
    object: "text_completion",
    created: ir.created,
    model: ctx.model || ir.model,
    choices: [{
      index: 0,
      text,
      logprobs: null,
      finish_reason: completionsFinishReason(ir.stopReason, ir.nativeStopReason !== undefined),
    }],
    usage: usageToOpenAI(ir.usage ?? { input: 0, output: 0 }),
  };
}
