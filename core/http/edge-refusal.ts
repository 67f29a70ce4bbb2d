/**
 * Requests the edge refuses before routing (no or a wrong client key, an example key still configured). CLIProxyAPI's
 * request logger wraps its auth middleware, so these get a forced error log there too: the refusal is told to taps and
 * observers like any other failed request (without its body, which is never read). The client's answer is the edge's
 * own `{"error": …}` body either way.
 */
import type { WireFormat } from "../formats/wire-format.ts";
import type { Runtime } from "../runtime.ts";
import { rejectRequest } from "../stream/pipeline.ts";
import type { ProxyError } from "./proxy-error.ts";
import { RequestContext } from "./request-context.ts";
import type { ServeEnv } from "./app.ts";

/** The client format a guarded path speaks, for the context the observers see. */
function formatOfPath(path: string): WireFormat {
  if (path.startsWith("/v1beta")) return "gemini";
  if (path.startsWith("/v1/messages")) return "claude";
  if (path.startsWith("/v1/responses") || path.startsWith("/backend-api/codex/")) return "openai-responses";
  if (path === "/v1/completions") return "openai-completions";
  return "openai-chat";
}

/** `answer` as is, after telling the snapshot's taps and observers about the refusal (when it has any). */
export function refuseAtEdge(
  runtime: Runtime,
  request: Request,
  env: ServeEnv,
  path: string,
  answer: Response,
  error: ProxyError,
  body: string,
): Response {
  const hooks = runtime.store.current.hooks;
  // Fast path: nobody listens.
  if (hooks.tap === null && hooks.afterResponse === null && hooks.onError === null) return answer;
  const snapshot = runtime.store.acquire();
  const url = request.url;
  const q = url.indexOf("?");
  // The body of a request that failed authentication is not read: a client that is not allowed in must not make the
  // proxy wait for (or buffer) what it sends. The log has the request line and masked headers.
  const rc = new RequestContext({
    snapshot,
    format: formatOfPath(path),
    operation: "generate",
    request,
    remoteAddress: env.remoteAddress,
    body: {},
    rawBody: "",
    model: "",
    stream: false,
    signal: request.signal,
    query: new URLSearchParams(q === -1 ? "" : url.slice(q + 1)),
  });
  return rejectRequest(rc, error, () => runtime.store.release(snapshot), { response: answer, body });
}
