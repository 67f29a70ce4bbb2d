/**
 * Requests the edge refuses before routing (no or a wrong client key, an example key still configured). CLIProxyAPI's
 * request logger wraps its auth middleware, so these get a forced error log there too: the refusal is told to taps and
 * observers like any other failed request. The client's answer is the edge's own `{"error": …}` body either way.
 */
import type { WireFormat } from "../formats/wire-format.ts";
import { isJsonObject } from "../formats/wire-format.ts";
import type { Runtime } from "../runtime.ts";
import { rejectRequest } from "../stream/pipeline.ts";
import type { ProxyError } from "./proxy-error.ts";
import { readBody } from "./read-body.ts";
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
export async function refuseAtEdge(
  runtime: Runtime,
  request: Request,
  env: ServeEnv,
  path: string,
  answer: Response,
  error: ProxyError,
): Promise<Response> {
  const hooks = runtime.store.current.hooks;
  // Fast path: nobody listens, so the body is never read.
  if (hooks.tap === null && hooks.afterResponse === null && hooks.onError === null) return answer;
  const snapshot = runtime.store.acquire();
  const body = await answer.text();
  const response = new Response(body, { status: answer.status, headers: answer.headers });
  let text = "";
  try {
    text = await readBody(request, snapshot.settings.maxBodyBytes);
  } catch {
    // Too large or cut off: the refusal is logged without the body.
  }
  let model = "";
  let stream = false;
  if (text !== "") {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isJsonObject(parsed)) {
        if (typeof parsed.model === "string") model = parsed.model;
        stream = parsed.stream === true;
      }
    } catch {
      // Not JSON: logged as sent.
    }
  }
  const url = request.url;
  const q = url.indexOf("?");
  const rc = new RequestContext({
    snapshot,
    format: formatOfPath(path),
    operation: "generate",
    request,
    remoteAddress: env.remoteAddress,
    body: {},
    rawBody: text,
    model,
    stream,
    signal: request.signal,
    query: new URLSearchParams(q === -1 ? "" : url.slice(q + 1)),
  });
  return rejectRequest(rc, error, () => runtime.store.release(snapshot), { response, body });
}
