/** Node's upstream leg over `node:http`/`node:https` with keep-alive agents. */
import http from "node:http";
import https from "node:https";
import type { IncomingMessage } from "node:http";
import type { ByteSource, UpstreamFetch, UpstreamResponse } from "./upstream-fetch.ts";

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 1024 });

/** Chunks buffered ahead of the reader before the socket is paused. */
const HIGH_WATER = 16;

/** Adapts an IncomingMessage to a pull-based source; pauses the socket when the reader falls behind. */
class IncomingSource implements ByteSource {
  readonly #res: IncomingMessage;
  readonly #queue: Uint8Array[] = [];
  #ended = false;
  #error: Error | null = null;
  #waiting: { resolve: (c: Uint8Array | null) => void; reject: (e: Error) => void } | null = null;

  constructor(res: IncomingMessage) {
    this.#res = res;
    res.on("data", (chunk: Uint8Array) => {
      const w = this.#waiting;
      // Fast path: a reader is waiting, hand the chunk over without queueing.
      if (w) {
        this.#waiting = null;
        w.resolve(chunk);
        return;
      }
      this.#queue.push(chunk);
      if (this.#queue.length >= HIGH_WATER) res.pause();
    });
    res.on("end", () => {
      this.#ended = true;
      this.#settle();
    });
    res.on("error", (err) => this.#fail(err));
    res.on("close", () => {
      if (!this.#ended) this.#fail(new Error("Upstream connection closed before the response ended"));
    });
  }

  #fail(err: Error): void {
    if (this.#error || this.#ended) return;
    this.#error = err;
    this.#settle();
  }

  #settle(): void {
    const w = this.#waiting;
    if (!w || this.#queue.length > 0) return;
    this.#waiting = null;
    if (this.#error) w.reject(this.#error);
    else if (this.#ended) w.resolve(null);
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) {
      if (this.#queue.length < HIGH_WATER / 2 && this.#res.isPaused()) this.#res.resume();
      return Promise.resolve(chunk);
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    if (this.#res.isPaused()) this.#res.resume();
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  cancel(): void {
    this.#queue.length = 0;
    if (!this.#ended) this.#res.destroy();
  }
}

function toHeaders(raw: IncomingMessage["headers"]): Headers {
  const h = new Headers();
  for (const key in raw) {
    const v = raw[key];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) h.append(key, item);
    else h.set(key, v);
  }
  return h;
}

export const nodeHttpFetch: UpstreamFetch = (req, signal) => {
  return new Promise<UpstreamResponse>((resolve, reject) => {
    const url = new URL(req.url);
    const secure = url.protocol === "https:";
    const headers: Record<string, string> = {};
    req.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const body = typeof req.body === "string" ? Buffer.from(req.body) : req.body;
    if (body) headers["content-length"] = String(body.byteLength);
    const options: http.RequestOptions = {
      method: req.method,
      hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port || (secure ? 443 : 80),
      path: url.pathname + url.search,
      headers,
      agent: secure ? httpsAgent : httpAgent,
      signal,
    };
    const outgoing = (secure ? https : http).request(options, (res) => {
      resolve({ status: res.statusCode ?? 502, headers: toHeaders(res.headers), body: new IncomingSource(res) });
    });
    outgoing.on("error", reject);
    outgoing.end(body ?? undefined);
  });
};
