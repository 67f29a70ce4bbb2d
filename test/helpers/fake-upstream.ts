/**
 * A loopback fake of an LLM provider for tests: records every request it receives and answers with whatever the test
 * scripts — JSON, an SSE stream (optionally slow, or cut mid-way), or an error status.
 */
import { serve, type RunningServer } from "../../core/http/serve.ts";

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly search: string;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON body, or null. */
  readonly json: Record<string, unknown> | null;
}

export type FakeReply =
  | { kind: "json"; status?: number; body: unknown; headers?: Record<string, string> }
  | { kind: "text"; status: number; body: string; headers?: Record<string, string> }
  /** Exactly these bytes (e.g. not valid UTF-8). */
  | { kind: "bytes"; status?: number; body: Uint8Array; headers?: Record<string, string> }
  | {
    kind: "sse";
    /** Raw SSE text pieces written one after another. */
    chunks: readonly string[];
    /** Delay before each chunk after the first (ms). */
    delayMs?: number;
    /** Delay before the first chunk (ms). */
    firstDelayMs?: number;
    /** After the chunks, destroy the connection instead of ending cleanly. */
    cut?: boolean;
  };

export type FakeHandler = (req: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>;

export interface FakeUpstream {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the handler (for scripted sequences). */
  handle(handler: FakeHandler): void;
  close(): Promise<void>;
}

const utf8 = new TextEncoder();

export async function startFakeUpstream(handler: FakeHandler): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  let current = handler;
  const server: RunningServer = await serve({
    async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      const text = await request.text();
      let json: Record<string, unknown> | null = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      const rec: RecordedRequest = {
        method: request.method,
        path: url.pathname,
        search: url.search,
        headers: request.headers,
        text,
        json,
      };
      requests.push(rec);
      const reply = await current(rec, requests.length - 1);
      if (reply.kind === "json") {
        return new Response(JSON.stringify(reply.body), {
          status: reply.status ?? 200,
          headers: { "content-type": "application/json", ...reply.headers },
        });
      }
      if (reply.kind === "bytes") {
        return new Response(reply.body as Uint8Array<ArrayBuffer>, {
          status: reply.status ?? 200,
          headers: { "content-type": "application/json", ...reply.headers },
        });
      }
      if (reply.kind === "text") {
        const nullBody = reply.status === 204 || reply.status === 205 || reply.status === 304;
        return new Response(nullBody ? null : reply.body, { status: reply.status, headers: reply.headers });
      }
      let i = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const delay = i === 0 ? reply.firstDelayMs ?? 0 : reply.delayMs ?? 0;
          if (delay > 0) await new Promise((r) => (timer = setTimeout(r, delay)));
          if (i < reply.chunks.length) {
            controller.enqueue(utf8.encode(reply.chunks[i++]!));
            return;
          }
          if (reply.cut) controller.error(new Error("fake upstream cut the stream"));
          else controller.close();
        },
        cancel() {
          clearTimeout(timer);
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
    },
  }, { hostname: "127.0.0.1", port: 0 });
  return {
    url: server.url,
    requests,
    handle(h) {
      current = h;
    },
    close: () => server.shutdown(500),
  };
}

/** An OpenAI chat.completion body. */
export function chatCompletion(text: string, model = "upstream-model") {
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 1700000000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
  };
}

/** SSE chunks of an OpenAI chat stream: role, one chunk per piece, finish, usage, [DONE]. */
export function chatStreamChunks(pieces: readonly string[], model = "upstream-model"): string[] {
  const base = { id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1700000000, model };
  const frame = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  return [
    frame({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }], usage: null }),
    ...pieces.map((p) =>
      frame({ ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }], usage: null })
    ),
    frame({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: null }),
    frame({ ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: pieces.length, total_tokens: 5 + pieces.length } }),
    "data: [DONE]\n\n",
  ];
}
