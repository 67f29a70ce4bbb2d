/** Builds upstream requests for OpenAI-compatible endpoints: Bearer auth, `{base}/chat/completions` or `/completions`. */
import type { ProviderAdapter, UpstreamCall, UpstreamRequest } from "../../core/plugin/types.ts";
import { type CompatCredentialData, PROVIDER_ID } from "./credentials.ts";
import { applyHeaders } from "../shared/key-entries.ts";

const PATHS = { "openai-chat": "/chat/completions", "openai-completions": "/completions" } as const;

function buildRequest(call: UpstreamCall<CompatCredentialData>): UpstreamRequest {
  const data = call.credential.data;
  const path = call.format === "openai-completions" ? PATHS["openai-completions"] : PATHS["openai-chat"];
  const headers = new Headers({ "content-type": "application/json" });
  if (data.apiKey) headers.set("authorization", `Bearer ${data.apiKey}`);
  if (call.stream) headers.set("accept", "text/event-stream");
  applyHeaders(headers, data, call.rc.request.headers);
  // Streams ask for the final usage chunk, so accounting sees token counts (CLIProxyAPI does the same).
  const body = call.stream
    ? {
      ...call.body,
      stream_options: {
        ...(typeof call.body.stream_options === "object" && call.body.stream_options !== null &&
            !Array.isArray(call.body.stream_options)
          ? call.body.stream_options
          : {}),
        include_usage: true,
      },
    }
    : call.body;
  return { url: data.baseUrl + path, method: "POST", headers, body: JSON.stringify(body) };
}

export const openAICompatibleAdapter: ProviderAdapter<CompatCredentialData> = {
  id: PROVIDER_ID,
  formats: ["openai-chat", "openai-completions"],
  buildRequest,
};
