/**
 * Vertex AI in API-key ("express") mode: `{base}/v1/publishers/google/models/{model}:{action}` with the key in
 * `x-goog-api-key`; the body is Gemini's. Service-account (project/location) auth arrives with the auth directory.
 */
import type { ProviderAdapter, UpstreamCall, UpstreamRequest } from "../../core/plugin/types.ts";
import { geminiAction, geminiBody } from "../gemini/adapter.ts";
import { applyHeaders, type KeyCredentialData } from "../shared/key-entries.ts";

export const VERTEX_PROVIDER = "vertex";
export const VERTEX_BASE = "https://aiplatform.googleapis.com";

function buildRequest(call: UpstreamCall<KeyCredentialData>): UpstreamRequest {
  const data = call.credential.data;
  const headers = new Headers({ "content-type": "application/json" });
  if (data.apiKey) headers.set("x-goog-api-key", data.apiKey);
  applyHeaders(headers, data, call.rc.request.headers);
  const model = encodeURIComponent(call.upstreamModel);
  const url = `${data.baseUrl}/v1/publishers/google/models/${model}:${geminiAction(call)}`;
  return { url, method: "POST", headers, body: JSON.stringify(geminiBody(call)) };
}

export const vertexAdapter: ProviderAdapter<KeyCredentialData> = {
  id: VERTEX_PROVIDER,
  formats: ["gemini"],
  countsTokens: true,
  buildRequest,
};
