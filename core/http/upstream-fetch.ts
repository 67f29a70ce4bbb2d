/**
 * The upstream leg, per runtime. Deno and Bun use their native `fetch` (their fast path). Node uses `node:http`
 * directly: on a 2-core machine a proxy whose upstream leg uses `node:http` instead of undici's `fetch` serves ~2.3×
 * more requests/s, and reading the IncomingMessage without a web-stream layer saves a copy per chunk.
 */
import type { UpstreamRequest } from "../plugin/types.ts";

/** A pull-based byte source: the pipeline reads only when the client is ready (backpressure end to end). */
export interface ByteSource {
  /** Resolves with the next chunk, or null at the end. Rejects when the connection fails. */
  read(): Promise<Uint8Array | null>;
  /** Stops reading and releases the connection. */
  cancel(): void;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: ByteSource;
}

/**
 * Sends one upstream request. `proxy` is the effective outbound proxy URL for this call (already resolved from the
 * credential's and the global `proxy-url`), or null for a direct connection.
 */
export type UpstreamFetch = (req: UpstreamRequest, signal: AbortSignal, proxy: string | null) => Promise<UpstreamResponse>;

/** Reads a whole body as text (error bodies, non-stream answers). */
export async function readAllText(body: ByteSource, limit = 64 * 1024 * 1024): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const chunk = await body.read();
    if (chunk === null) break;
    size += chunk.byteLength;
    if (size > limit) {
      body.cancel();
      throw new Error(`Upstream body larger than ${limit} bytes`);
    }
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

function fromWebStream(stream: ReadableStream<Uint8Array> | null): ByteSource {
  if (stream === null) return { read: () => Promise.resolve(null), cancel() {} };
  const reader = stream.getReader();
  return {
    async read() {
      const r = await reader.read();
      return r.done ? null : r.value;
    },
    cancel() {
      reader.cancel().catch(() => {});
    },
  };
}

export const fetchUpstream: UpstreamFetch = async (req, signal) => {
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body as BodyInit | null,
    signal,
    redirect: "manual",
  });
  return { status: res.status, headers: res.headers, body: fromWebStream(res.body) };
};

const isNode = typeof (globalThis as { Deno?: unknown }).Deno === "undefined" &&
  typeof (globalThis as { Bun?: unknown }).Bun === "undefined";

let selected: UpstreamFetch | undefined;

/** The upstream fetch for the running runtime, chosen once. */
export async function runtimeUpstreamFetch(): Promise<UpstreamFetch> {
  if (selected) return selected;
  selected = isNode ? (await import("./upstream-fetch-node.ts")).nodeHttpFetch : fetchUpstream;
  return selected;
}
