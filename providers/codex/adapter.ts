/**
 * Responses-API upstreams: the Codex backend (`codex-api-key`) and xAI (`xai-api-key`), both `POST {base}/responses`
 * with Bearer auth and always streamed (a non-stream client gets the assembled `response.completed`).
 *
 * The Codex backend is stricter than the public Responses API (behaviour.md §4.1): it wants `store:false`, the
 * encrypted reasoning back, no sampling or output-length fields, an `instructions` string, and a reasoning effort
 * (`medium` when the client set none, vector 15).
 */
import type { JsonObject } from "../../core/formats/wire-format.ts";
import type { ProviderAdapter, UpstreamCall, UpstreamRequest } from "../../core/plugin/types.ts";
import { applyHeaders, type KeyCredentialData } from "../shared/key-entries.ts";

export const CODEX_PROVIDER = "codex";
export const XAI_PROVIDER = "xai";
export const XAI_BASE = "https://api.x.ai/v1";

const CODEX_DROPPED = ["max_output_tokens", "max_tokens", "temperature", "top_p", "truncation", "user", "service_tier"];

export function codexBody(body: JsonObject): JsonObject {
  const out: JsonObject = { ...body, stream: true, store: false, parallel_tool_calls: true };
  for (const key of CODEX_DROPPED) delete out[key];
  if (typeof out.instructions !== "string") out.instructions = "";
  const include = Array.isArray(out.include) ? out.include.filter((v) => typeof v === "string") : [];
  if (!include.includes("reasoning.encrypted_content")) include.push("reasoning.encrypted_content");
  out.include = include;
  const reasoning = typeof out.reasoning === "object" && out.reasoning !== null && !Array.isArray(out.reasoning)
    ? out.reasoning
    : {};
  out.reasoning = { ...reasoning, effort: typeof reasoning.effort === "string" ? reasoning.effort : "medium" };
  return out;
}

function responsesRequest(call: UpstreamCall<KeyCredentialData>, body: JsonObject): UpstreamRequest {
  const data = call.credential.data;
  const headers = new Headers({ "content-type": "application/json", accept: "text/event-stream" });
  if (data.apiKey) headers.set("authorization", `Bearer ${data.apiKey}`);
  applyHeaders(headers, data, call.rc.request.headers);
  return { url: `${data.baseUrl}/responses`, method: "POST", headers, body: JSON.stringify(body) };
}

export const codexAdapter: ProviderAdapter<KeyCredentialData> = {
  id: CODEX_PROVIDER,
  formats: ["openai-responses"],
  streamOnly: true,
  buildRequest: (call) => responsesRequest(call, codexBody(call.body)),
};

export const xaiAdapter: ProviderAdapter<KeyCredentialData> = {
  id: XAI_PROVIDER,
  formats: ["openai-responses"],
  streamOnly: true,
  buildRequest: (call) => responsesRequest(call, { ...call.body, stream: true }),
};
