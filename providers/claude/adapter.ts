/**
 * Claude Messages upstream (behaviour.md §5.4): `POST {base}/v1/messages?beta=true`, `x-api-key` for
 * api.anthropic.com and Bearer elsewhere, `anthropic-version`, the client's `anthropic-beta` passed on; token counts
 * via `/v1/messages/count_tokens`.
 */
import type { ProviderAdapter, UpstreamCall, UpstreamRequest } from "../../core/plugin/types.ts";
import { applyHeaders, type KeyCredentialData } from "../shared/key-entries.ts";

export const CLAUDE_PROVIDER = "claude";
export const ANTHROPIC_BASE = "https://api.anthropic.com";
const ANTHROPIC_VERSION = "2023-06-01";

function buildRequest(call: UpstreamCall<KeyCredentialData>): UpstreamRequest {
  const data = call.credential.data;
  const client = call.rc.request.headers;
  const headers = new Headers({ "content-type": "application/json", "anthropic-version": ANTHROPIC_VERSION });
  if (data.apiKey) {
    // Anthropic's own API wants x-api-key; relays and gateways in front of Claude expect Bearer.
    if (new URL(data.baseUrl).hostname === "api.anthropic.com") headers.set("x-api-key", data.apiKey);
    else headers.set("authorization", `Bearer ${data.apiKey}`);
  }
  const beta = client.get("anthropic-beta");
  if (beta) headers.set("anthropic-beta", beta);
  if (call.stream) headers.set("accept", "text/event-stream");
  applyHeaders(headers, data, client);
  const path = call.operation === "count-tokens" ? "/v1/messages/count_tokens?beta=true" : "/v1/messages?beta=true";
  const body = call.operation === "count-tokens" ? withoutStream(call.body) : { ...call.body, stream: call.stream };
  return { url: data.baseUrl + path, method: "POST", headers, body: JSON.stringify(body) };
}

/** count_tokens rejects generation-only fields. */
function withoutStream(body: UpstreamCall["body"]): UpstreamCall["body"] {
  const { stream: _s, max_tokens: _m, ...rest } = body;
  return rest;
}

export const claudeAdapter: ProviderAdapter<KeyCredentialData> = {
  id: CLAUDE_PROVIDER,
  formats: ["claude"],
  countsTokens: true,
  buildRequest,
};
