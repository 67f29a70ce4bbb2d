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
    // Anthropic's own API wants x-api-key for keys; OAuth tokens, relays and gateways expect Bearer.
    if (!data.oauth && new URL(data.baseUrl).hostname === "api.anthropic.com") headers.set("x-api-key", data.apiKey);
    else headers.set("authorization", `Bearer ${data.apiKey}`);
  }
  const beta = client.get("anthropic-beta");
  // Subscription (OAuth) tokens are only accepted with the OAuth beta.
  const betas = data.oauth ? [OAUTH_BETA, ...(beta ? beta.split(",").map((b) => b.trim()).filter((b) => b !== OAUTH_BETA) : [])] : beta ? [beta] : [];
  if (betas.length > 0) headers.set("anthropic-beta", betas.join(","));
  if (call.stream) headers.set("accept", "text/event-stream");
  applyHeaders(headers, data, client);
  const path = call.operation === "count-tokens" ? "/v1/messages/count_tokens?beta=true" : "/v1/messages?beta=true";
  let body = call.operation === "count-tokens" ? withoutStream(call.body) : { ...call.body, stream: call.stream };
  if (data.oauth) body = withClaudeCodeIdentity(body);
  return { url: data.baseUrl + path, method: "POST", headers, body: JSON.stringify(body) };
}

const OAUTH_BETA = "oauth-2025-04-20";
const CLAUDE_CODE_IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude.";

/**
 * Anthropic serves subscription tokens to Claude Code: the system prompt must open with its identity line. Claude
 * Code already sends it; other clients get it prepended (CLIProxyAPI "cloaks" more; this is the minimum that works).
 */
function withClaudeCodeIdentity(body: UpstreamCall["body"]): UpstreamCall["body"] {
  const system = body.system;
  const first = Array.isArray(system) ? system[0] : system;
  const firstText = typeof first === "string"
    ? first
    : first && typeof first === "object" && !Array.isArray(first) && typeof first.text === "string"
    ? first.text
    : "";
  if (firstText.startsWith(CLAUDE_CODE_IDENTITY)) return body;
  const identity = { type: "text", text: CLAUDE_CODE_IDENTITY };
  const rest = system === undefined || system === "" ? [] : Array.isArray(system) ? system : [{ type: "text", text: String(system) }];
  return { ...body, system: [identity, ...rest] };
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
