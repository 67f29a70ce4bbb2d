/**
 * The HTTP edge: CORS, client auth, mounted plugin apps, and the client routes of behaviour.md §1.1. Each proxied
 * request leases the current snapshot at entry and keeps it until its last byte.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { FORMAT_PROFILES } from "../formats/profiles.ts";
import { isJsonObject, type JsonObject, type Operation, type WireFormat } from "../formats/wire-format.ts";
import type { Runtime } from "../runtime.ts";
import { proxyRequest, rejectRequest, renderError } from "../stream/pipeline.ts";
import { checkClientAuth } from "./client-auth.ts";
import { refuseAtEdge } from "./edge-refusal.ts";
import { readBody } from "./read-body.ts";
import { ProxyError } from "./proxy-error.ts";
import { RequestContext } from "./request-context.ts";
import {
  claudeModelList,
  geminiModel,
  geminiModelList,
  openAIModel,
  openAIModelList,
  uncloakModelId,
} from "./model-list.ts";
import type { Snapshot } from "../config/snapshot.ts";

/** What the serve adapters pass alongside each request. */
export interface ServeEnv {
  readonly remoteAddress: string | null;
}

type AppEnv = { Bindings: ServeEnv };

const CORS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
  "access-control-allow-headers": "*",
});

/** Path prefixes that need a client API key (CLIProxyAPI guards exactly these). */
function isGuarded(path: string): boolean {
  return path.startsWith("/v1/") || path.startsWith("/v1beta/") || path.startsWith("/openai/v1/") ||
    path.startsWith("/backend-api/codex/") || path === "/v1" || path === "/v1beta";
}

function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "access-control-allow-origin": "*", ...headers },
  });
}

export interface SwitchyardApp {
  fetch(request: Request, env?: ServeEnv): Promise<Response>;
}

export function createApp(runtime: Runtime): SwitchyardApp {
  const routes = buildRoutes(runtime);
  return {
    async fetch(request: Request, env: ServeEnv = { remoteAddress: null }): Promise<Response> {
      if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: CORS_HEADERS });
      const snapshot = runtime.store.current;
      const url = request.url;
      const path = pathOf(url);
      // Mounted plugin apps (management, AMP) come first; there are few, so a linear scan is cheapest.
      for (const mount of snapshot.mounts) {
        if (path === mount.prefix || path.startsWith(mount.prefix + "/")) {
          return await mount.app.fetch(request, env);
        }
      }
      if (isGuarded(path)) {
        const auth = snapshot.clientAuth;
        if (auth.unsafeExample) {
          const body = {
            error: "unsafe_example_api_key",
            message: "api-keys still contains an example key (your-api-key-N): replace it before using the proxy",
          };
          return refuseAtEdge(
            runtime,
            request,
            env,
            path,
            json(body, 403, { "x-cpa-safe-mode": "true" }),
            new ProxyError(403, "unsafe_example_api_key", body.message),
            JSON.stringify(body),
          );
        }
        // Fast path: an open proxy (empty api-keys) skips header inspection entirely.
        if (!auth.open) {
          const result = checkClientAuth(auth, request.headers, url);
          if (result !== "ok") {
            const message = result === "missing" ? "Missing API key" : "Invalid API key";
            const error = new ProxyError(401, "unauthorized", message);
            const body = JSON.stringify({ error: message });
            return refuseAtEdge(runtime, request, env, path, json({ error: message }, 401), error, body);
          }
        }
      }
      return await routes.fetch(request, env);
    },
  };
}

/** The path of an absolute URL without building a URL object. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  let end = url.length;
  const q = url.indexOf("?", start);
  if (q !== -1) end = q;
  const h = url.indexOf("#", start);
  if (h !== -1 && h < end) end = h;
  return url.slice(start, end);
}

function buildRoutes(runtime: Runtime): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Through json(), like every other route, so the root answer carries the CORS header too.
  app.get("/", () =>
    json({
      message: "CLI Proxy API Server",
      server: "switchyard",
      endpoints: [
        "POST /v1/chat/completions",
        "POST /v1/completions",
        "POST /v1/responses",
        "POST /v1/messages",
        "POST /v1/messages/count_tokens",
        "GET /v1/models",
        "GET /v1beta/models",
        "POST /v1beta/models/{model}:{generateContent|streamGenerateContent|countTokens}",
      ],
    }));
  app.on(["GET", "HEAD"], "/healthz", () => json({ status: "ok" }));

  app.get("/v1/models", (c) => {
    const s = runtime.store.current;
    const ua = c.req.header("user-agent") ?? "";
    if (c.req.header("anthropic-version") || ua.startsWith("claude-cli")) {
      return json(claudeModelList(s.models.models, !s.config["claude-code"]["disable-cloaking-model-list"]));
    }
    return json(openAIModelList(s.models.models));
  });

  app.post("/v1/chat/completions", (c) => {
    // CLIProxyAPI accepts Responses-shaped bodies on the chat route; the format is decided from the body.
    return proxy(runtime, c, "openai-chat", "generate", (body) => (
      !("messages" in body) && ("input" in body || "instructions" in body) ? "openai-responses" : "openai-chat"
    ));
  });
  app.post("/v1/completions", (c) => proxy(runtime, c, "openai-completions", "generate"));
  app.post("/v1/responses", (c) => proxy(runtime, c, "openai-responses", "generate"));
  app.post("/v1/responses/compact", (c) =>
    proxy(runtime, c, "openai-responses", "generate", undefined, (body) => {
      if (body.stream === true) {
        throw new ProxyError(400, "bad_request", "Streaming not supported for compact responses");
      }
    }));
  app.post("/v1/messages", (c) => proxy(runtime, c, "claude", "generate"));
  app.post("/v1/messages/count_tokens", (c) => proxy(runtime, c, "claude", "count-tokens"));

  app.get("/v1beta/models", () => json(geminiModelList(runtime.store.current.models.models)));
  app.get("/v1beta/models/:model", (c) => geminiGet(runtime, c.req.param("model")));
  app.post("/v1beta/models/:action", (c) => gemini(runtime, c));

  // The current Google SDK calls /v1/models/{m}:{action}; only Gemini clients send x-goog-api-key there.
  app.post("/v1/models/:action", (c) => {
    if (!c.req.header("x-goog-api-key") && !c.req.query("key")) return notFound(c.req.path);
    return gemini(runtime, c);
  });
  app.get("/v1/models/:model", (c) => {
    const id = c.req.param("model");
    if (c.req.header("x-goog-api-key")) return geminiGet(runtime, id);
    const found = runtime.store.current.models.models.find((m) => m.id === id);
    if (!found) {
      return renderError(
        FORMAT_PROFILES["openai-chat"],
        new ProxyError(404, "model_not_found", `The model '${id}' does not exist`),
      );
    }
    return json(openAIModel(found));
  });

  app.notFound((c) => json({ error: { message: "Not Found", type: "not_found" } }, 404));
  app.onError((err, c) => {
    runtime.log.error(`Unhandled error on ${c.req.method} ${c.req.path}: ${err.message}`);
    return json({ error: { message: "Internal server error", type: "server_error" } }, 500);
  });
  return app;
}

/** CLIProxyAPI's GeminiHandler answer for a path it cannot split into `model:method`. */
function notFound(path: string): Response {
  return json({ error: { message: `${path} not found.`, type: "invalid_request_error" } }, 404);
}

function geminiGet(runtime: Runtime, id: string): Response {
  const model = id.startsWith("models/") ? id.slice(7) : id;
  const found = runtime.store.current.models.models.find((m) => m.id === model);
  if (!found) return json({ error: { message: "Not Found", type: "not_found" } }, 404);
  return json(geminiModel(found));
}

const GEMINI_ACTIONS: Readonly<Record<string, { stream: boolean; operation: Operation }>> = {
  generateContent: { stream: false, operation: "generate" },
  streamGenerateContent: { stream: true, operation: "generate" },
  countTokens: { stream: false, operation: "count-tokens" },
};

function gemini(runtime: Runtime, c: Context<AppEnv>): Promise<Response> | Response {
  const raw = c.req.param("action") ?? "";
  const parts = raw.split(":");
  if (parts.length !== 2) return notFound(c.req.path);
  const [model, action] = parts as [string, string];
  const spec = GEMINI_ACTIONS[action];
  if (!spec) return notFound(c.req.path);
  return proxy(runtime, c, "gemini", spec.operation, undefined, undefined, { model, stream: spec.stream });
}

async function proxy(
  runtime: Runtime,
  c: Context<AppEnv>,
  format: WireFormat,
  operation: Operation,
  pickFormat?: (body: JsonObject) => WireFormat,
  validate?: (body: JsonObject) => void,
  fromPath?: { model: string; stream: boolean },
): Promise<Response> {
  const request = c.req.raw;
  const snapshot: Snapshot = runtime.store.acquire();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    runtime.store.release(snapshot);
  };
  let profile = FORMAT_PROFILES[format];
  let text = "";
  try {
    text = await readBody(request, snapshot.settings.maxBodyBytes);
    let body: unknown;
    try {
      body = text === "" && fromPath ? {} : JSON.parse(text);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new ProxyError(400, "invalid_json", `Invalid JSON body: ${detail}`, { type: "invalid_request_error" });
    }
    if (!isJsonObject(body)) {
      throw new ProxyError(400, "bad_request", "Request body must be a JSON object", { type: "invalid_request_error" });
    }
    if (pickFormat) {
      format = pickFormat(body);
      profile = FORMAT_PROFILES[format];
    }
    validate?.(body);
    let model = fromPath ? fromPath.model : body.model;
    // Claude clients may send back a cloaked id from the Claude-shaped model list.
    if (format === "claude" && typeof model === "string") model = uncloakModelId(model);
    if (typeof model !== "string" || model === "") {
      throw new ProxyError(400, "bad_request", "Missing required field: model", {
        type: "invalid_request_error",
        param: "model",
      });
    }
    const rc = new RequestContext({
      snapshot,
      format,
      operation,
      request,
      remoteAddress: c.env?.remoteAddress ?? null,
      body,
      rawBody: text,
      model,
      stream: fromPath ? fromPath.stream : body.stream === true,
      signal: request.signal,
      query: new URLSearchParams(request.url.includes("?") ? request.url.slice(request.url.indexOf("?") + 1) : ""),
    });
    return await proxyRequest(rc, runtime, release);
  } catch (err) {
    if (!(err instanceof ProxyError)) {
      release();
      throw err;
    }
    // Rejected before the pipeline (bad JSON, too large, no model): observers still hear of it, so the request
    // logger writes its forced error log as CLIProxyAPI does.
    const hooks = snapshot.hooks;
    if (hooks.tap === null && hooks.afterResponse === null && hooks.onError === null) {
      release();
      return renderError(profile, err);
    }
    const rc = new RequestContext({
      snapshot,
      format,
      operation,
      request,
      remoteAddress: c.env?.remoteAddress ?? null,
      body: {},
      rawBody: text,
      model: fromPath?.model ?? "",
      stream: false,
      signal: request.signal,
      query: new URLSearchParams(request.url.includes("?") ? request.url.slice(request.url.indexOf("?") + 1) : ""),
    });
    return rejectRequest(rc, err, release);
  }
}
