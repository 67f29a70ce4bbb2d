/**
 * Responses-API upstreams: the Codex backend (`codex-api-key`) and xAI (`xai-api-key`), both `POST {base}/responses`
 * with Bearer auth and always streamed (a non-stream client gets the assembled `response.completed`).
 *
 * The Codex backend is stricter than the public Responses API (behaviour.md §4.1): it wants `store:false`, the
 * encrypted reasoning back, no sampling or output-length fields, an `instructions` string, and a reasoning effort
 * (`medium` when the client set none, vector 15).
 */
import { isJsonObject, type JsonObject } from "../../core/formats/wire-format.ts";
import { applyCodexBackendQuirks } from "./backend-quirks.ts";
import type { ProviderAdapter, UpstreamCall, UpstreamRequest } from "../../core/plugin/types.ts";
import { applyHeaders, type KeyCredentialData } from "../shared/key-entries.ts";

export const CODEX_PROVIDER = "codex";
export const XAI_PROVIDER = "xai";
export const XAI_BASE = "https://api.x.ai/v1";

/**
 * A Responses body fit for the Codex backend, with a reasoning effort (`medium` when the client set none).
 *
 * `translated`: the body was rendered from another client format. Such a client asked for thinking in its own terms
 * (Claude `thinking`, Chat `reasoning_effort`, Gemini `thinkingConfig`) and expects to see it, but the backend sends
 * reasoning text only when a summary is requested — without one the client would get an empty thinking block. As
 * CLIProxyAPI's translators to Codex do, a summary is asked for unless the render already chose one.
 */
export function codexBody(body: JsonObject, translated = false): JsonObject {
  const out = applyCodexBackendQuirks(body);
  const reasoning = isJsonObject(out.reasoning) ? out.reasoning : {};
  const effort = typeof reasoning.effort === "string" ? reasoning.effort : "medium";
  const next: JsonObject = { ...reasoning, effort };
  if (translated && effort !== "none" && reasoning.summary === undefined) next.summary = "auto";
  out.reasoning = next;
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
  buildRequest: (call) => responsesRequest(call, codexBody(call.body, call.rc.format !== "openai-responses")),
};

export const xaiAdapter: ProviderAdapter<KeyCredentialData> = {
  id: XAI_PROVIDER,
  formats: ["openai-responses"],
  streamOnly: true,
  buildRequest: (call) => responsesRequest(call, { ...call.body, stream: true }),
};
