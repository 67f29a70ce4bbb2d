/**
 * Shared pieces of the HTTP-edge tests (client auth, routes, stream pipeline): test plugins written into the
 * Switchyard temp dir, a scriptable loopback upstream for tests that must observe the upstream connection itself,
 * and small readers for responses and SSE text. Not a test file (run-all only picks up *.test.ts).
 */
import { serve, type RunningServer } from "../../../core/http/serve.ts";

// ---------------------------------------------------------------------------------------------------------------
// Test plugins (plain ESM, so every runtime imports them from the temp dir without a TypeScript step)

/** Records every afterResponse summary to `globalThis.__switchyardEdgeSummaries`, tagged with `x-test-id`. */
export const RECORDER_PLUGIN = `
export default {
  name: "edge-test-recorder",
  version: "1.0.0",
  core: "^1.0.0",
  setup() {
    const store = (globalThis.__switchyardEdgeSummaries ??= []);
    return {
      afterResponse(rc, summary) {
        store.push({
          testId: rc.request.headers.get("x-test-id"),
          model: rc.model,
          status: summary.status,
          stream: summary.stream,
          usage: summary.usage,
          // What a plugin that copies or serialises the summary sees.
          spreadUsage: { ...summary }.usage,
          jsonUsage: JSON.parse(JSON.stringify({ ...summary, error: null })).usage,
          attempts: summary.attempts,
          cancelled: summary.cancelled,
          error: summary.error ? { status: summary.error.status, message: summary.error.message } : null,
        });
      },
    };
  },
};
`;

/**
 * A provider that passes Claude and Gemini requests straight through to a base URL (the shape a native Claude or
 * Gemini provider has): Claude → POST {base}/v1/messages; Gemini → POST {base}/v1beta/models/{m}:{action}, with
 * the client's \`alt\` forwarded (none on a stream ⇒ alt=sse).
 */
export const NATIVE_PROVIDER_PLUGIN = `
export default {
  name: "edge-test-native",
  version: "1.0.0",
  core: "^1.0.0",
  setup(ctx) {
    const base = ctx.options.base;
    const adapter = {
      id: "edge-native",
      formats: ["claude", "gemini"],
      buildRequest(call) {
        const headers = new Headers({ "content-type": "application/json" });
        if (call.format === "claude") {
          return { url: base + "/v1/messages", method: "POST", headers, body: JSON.stringify(call.body) };
        }
        const action = call.operation === "count-tokens" ? "countTokens"
          : call.stream ? "streamGenerateContent" : "generateContent";
        let alt = call.rc.query.get("alt");
        if (call.stream && !alt) alt = "sse";
        const url = base + "/v1beta/models/" + call.upstreamModel + ":" + action + (alt ? "?alt=" + alt : "");
        const { model, ...rest } = call.body;
        return { url, method: "POST", headers, body: JSON.stringify(rest) };
      },
    };
    ctx.registerProvider(adapter, [{
      id: "edge-native:0",
      provider: "edge-native",
      label: "edge native",
      priority: 0,
      weight: 1,
      models: ctx.options.models.map((m) => ({ id: m, upstream: m + "-upstream" })),
      data: {},
    }]);
  },
};
`;

export interface RecordedSummary {
  testId: string | null;
  model: string;
  status: number;
  stream: boolean;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number } | null;
  attempts: number;
  cancelled: boolean;
  error: { status: number; message: string } | null;
}

/** Summaries the recorder plugin saw for one test id. */
export function summariesFor(testId: string): RecordedSummary[] {
  const all = ((globalThis as { __switchyardEdgeSummaries?: RecordedSummary[] }).__switchyardEdgeSummaries ??= []);
  return all.filter((s) => s.testId === testId);
}

let idCounter = 0;
/** A unique `x-test-id` value. */
export function testId(label: string): string {
  return `${label}-${++idCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// A scriptable upstream whose connection the test can watch

export interface ScriptedUpstream {
  readonly url: string;
  /** Requests received, in order. */
  readonly requests: { path: string; body: string }[];
  close(): Promise<void>;
}

/** Serves `respond(request)` on 127.0.0.1:0; the body is read first and recorded. */
export async function startScriptedUpstream(
  respond: (request: Request, body: string) => Response | Promise<Response>,
): Promise<ScriptedUpstream> {
  const requests: { path: string; body: string }[] = [];
  const server: RunningServer = await serve({
    async fetch(request: Request): Promise<Response> {
      const body = await request.text();
      requests.push({ path: new URL(request.url).pathname, body });
      return await respond(request, body);
    },
  }, { hostname: "127.0.0.1", port: 0 });
  return { url: server.url, requests, close: () => server.shutdown(500) };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading responses

/** Reads a stream to the end as text (bounded by the stream itself). */
export async function readText(res: Response): Promise<string> {
  return new TextDecoder().decode(await res.arrayBuffer());
}

/** SSE text split into frames (each without its trailing blank line); the text must end at a frame boundary. */
export function sseFrames(text: string): string[] {
  const parts = text.split("\n\n");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` is true, at most `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
