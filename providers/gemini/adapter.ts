/**
 * Gemini API upstream (behaviour.md §5.4): `{base}/v1beta/models/{model}:{generateContent|streamGenerateContent|
 * countTokens}`, `?alt=sse` for streams, `x-goog-api-key`. The model travels in the URL, never in the body.
 */
import type { JsonObject } from "../../core/formats/wire-format.ts";
import type { ProviderAdapter, UpstreamCall, UpstreamRequest } from "../../core/plugin/types.ts";
import { applyHeaders, type KeyCredentialData } from "../shared/key-entries.ts";

export const GEMINI_PROVIDER = "gemini";
export const GEMINI_BASE = "https://generativelanguage.googleapis.com";

/** The action path segment and query for a call. */
export function geminiAction(call: UpstreamCall): string {
  if (call.operation === "count-tokens") return "countTokens";
  return call.stream ? "streamGenerateContent?alt=sse" : "generateContent";
}

/** The Gemini body: no `model` field; countTokens wants `{contents}` (or a generateContentRequest). */
export function geminiBody(call: UpstreamCall): JsonObject {
  const { model: _model, ...rest } = call.body;
  if (call.operation !== "count-tokens") return rest;
  return rest.contents !== undefined ? { contents: rest.contents } : rest;
}

function buildRequest(call: UpstreamCall<KeyCredentialData>): UpstreamRequest {
  const data = call.credential.data;
  const headers = new Headers({ "content-type": "application/json" });
  if (data.apiKey) headers.set("x-goog-api-key", data.apiKey);
  applyHeaders(headers, data, call.rc.request.headers);
  const url = `${data.baseUrl}/v1beta/models/${encodeURIComponent(call.upstreamModel)}:${geminiAction(call)}`;
  return { url, method: "POST", headers, body: JSON.stringify(geminiBody(call)) };
}

export const geminiAdapter: ProviderAdapter<KeyCredentialData> = {
  id: GEMINI_PROVIDER,
  formats: ["gemini"],
  countsTokens: true,
  buildRequest,
};
