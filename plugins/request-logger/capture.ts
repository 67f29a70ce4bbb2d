/**
 * Per-request capture: the {@link RequestTap} the plugin hands the pipeline. It runs on the hot path, so it only
 * stores references (the core never reuses a chunk it passed to a tap) and counts bytes; every string is built later
 * by the writer. Captured body bytes are capped per request ({@link MAX_CAPTURE_BYTES}); what is left out is counted
 * and noted in the log.
 *
 * With `request-log` off the capture is "errors only", as CLIProxyAPI captures while off: request info, upstream
 * requests and statuses are kept (references), but body bytes only of upstream attempts that failed (status ≥ 400)
 * and of a client response with status ≥ 400 — enough for a forced error log, nothing for a request that succeeds.
 */
import type { RequestContext } from "../../core/http/request-context.ts";
import type { RequestTap, ResponseSummary, RouteTarget, UpstreamRequest } from "../../core/plugin/types.ts";
import type { AttemptLog, LogEntry } from "./entry.ts";

/** Body bytes kept per request (CLIProxyAPI caps deferred captures at 32 MiB too). */
export const MAX_CAPTURE_BYTES = 32 * 1024 * 1024;

const NO_CHUNKS: readonly Uint8Array[] = Object.freeze([]);

class AttemptCapture {
  readonly index: number;
  readonly requestedAt: number;
  readonly up: UpstreamRequest;
  readonly target: RouteTarget;
  status: number | null = null;
  respondedAt: number | null = null;
  headers: Headers | null = null;
  /** Allocated on the first kept chunk. */
  chunks: Uint8Array[] | null = null;

  constructor(index: number, requestedAt: number, up: UpstreamRequest, target: RouteTarget) {
    this.index = index;
    this.requestedAt = requestedAt;
    this.up = up;
    this.target = target;
  }
}

/** `http://host/v1/x?y=1` → `/v1/x?y=1`. */
export function pathAndQuery(url: string): string {
  const scheme = url.indexOf("//");
  if (scheme === -1) return url;
  const slash = url.indexOf("/", scheme + 2);
  if (slash === -1) {
    const q = url.indexOf("?", scheme + 2);
    return q === -1 ? "/" : "/" + url.slice(q);
  }
  return url.slice(slash);
}

export class RequestCapture implements RequestTap {
  readonly rc: RequestContext;
  /** `request-log` was on when the request started: everything is captured. */
  readonly full: boolean;
  /** Epoch ms when the request arrived. */
  readonly startedAt: number;
  /** The client's body exactly as it arrived (a plugin may replace `rc.body` later; the log shows what was sent). */
  readonly body: string;
  readonly attempts: AttemptCapture[] = [];
  clientStatus = 0;
  clientHeaders: Headers | null = null;
  /** Allocated on the first kept chunk. */
  clientChunks: Uint8Array[] | null = null;
  /** Body bytes kept so far. */
  bytes = 0;
  /** Body bytes left out by the cap. */
  truncated = 0;
  readonly #now: () => number;
  readonly #limit: number;

  constructor(rc: RequestContext, full: boolean, now: () => number, limit = MAX_CAPTURE_BYTES) {
    this.rc = rc;
    this.full = full;
    this.#now = now;
    this.#limit = limit;
    // rc.startedAt is performance.now() at entry: turn it into epoch ms without another clock read per request.
    this.startedAt = Math.round(performance.timeOrigin + rc.startedAt);
    this.body = rc.rawBody;
  }

  upstreamRequest(attempt: number, up: UpstreamRequest, target: RouteTarget): void {
    this.attempts.push(new AttemptCapture(attempt, this.#now(), up, target));
  }

  upstreamResponse(attempt: number, status: number, headers: Headers): void {
    const a = this.#attempt(attempt);
    if (a === undefined) return;
    a.status = status;
    a.respondedAt = this.#now();
    a.headers = headers;
  }

  upstreamChunk(attempt: number, chunk: Uint8Array): void {
    const a = this.#attempt(attempt);
    if (a === undefined) return;
    if (!this.full && (a.status === null || a.status < 400)) return;
    if (this.#fits(chunk)) (a.chunks ??= []).push(this.#fitted(chunk));
  }

  clientHead(status: number, headers: Headers): void {
    this.clientStatus = status;
    this.clientHeaders = headers;
  }

  clientChunk(chunk: Uint8Array): void {
    if (!this.full && this.clientStatus < 400) return;
    if (this.#fits(chunk)) (this.clientChunks ??= []).push(this.#fitted(chunk));
  }

  #attempt(n: number): AttemptCapture | undefined {
    // Attempts arrive in order; the last one is almost always the one meant.
    const last = this.attempts[this.attempts.length - 1];
    if (last !== undefined && last.index === n) return last;
    for (const a of this.attempts) if (a.index === n) return a;
    return undefined;
  }

  /** Counts `chunk` against the cap; false when none of it can be kept. */
  #fits(chunk: Uint8Array): boolean {
    const n = chunk.byteLength;
    const room = this.#limit - this.bytes;
    if (n <= room) return true;
    this.truncated += n - Math.max(room, 0);
    return room > 0;
  }

  /** The part of `chunk` that is kept (all of it below the cap); updates the count. */
  #fitted(chunk: Uint8Array): Uint8Array {
    const room = this.#limit - this.bytes;
    if (chunk.byteLength <= room) {
      this.bytes += chunk.byteLength;
      return chunk;
    }
    this.bytes += room;
    return chunk.subarray(0, room);
  }

  /** The entry to enqueue, built from references (the emitter snapshots it). */
  toEntry(summary: ResponseSummary, forced: boolean): LogEntry {
    const rc = this.rc;
    const attempts: AttemptLog[] = [];
    for (const a of this.attempts) {
      attempts.push({
        index: a.index,
        requestedAt: a.requestedAt,
        url: a.up.url,
        method: a.up.method,
        headers: a.up.headers,
        body: a.up.body,
        provider: a.target.provider.id,
        authId: a.target.credential.id,
        authLabel: a.target.credential.label,
        status: a.status,
        respondedAt: a.respondedAt,
        responseHeaders: a.headers,
        responseBody: a.chunks ?? NO_CHUNKS,
      });
    }
    const err = summary.error;
    return {
      forced,
      requestId: rc.id,
      timestamp: this.startedAt,
      url: pathAndQuery(rc.request.url),
      method: rc.request.method,
      requestHeaders: rc.request.headers,
      requestBody: this.body,
      attempts,
      errors: err === null ? [] : [{ status: err.status, message: err.upstreamBody ?? err.message }],
      status: this.clientStatus !== 0 ? this.clientStatus : summary.status,
      responseHeaders: this.clientHeaders,
      responseBody: this.clientChunks ?? NO_CHUNKS,
      stream: rc.stream,
      truncatedBytes: this.truncated,
    };
  }
}
