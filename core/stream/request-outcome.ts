/**
 * The end of a request: guarantees `onError`, `afterResponse` and the snapshot release run exactly once, after the last
 * byte (or when the client leaves), and carries the request's byte taps.
 */
import type { Usage } from "../formats/wire-format.ts";
import type { ProxyError } from "../http/proxy-error.ts";
import type { RequestContext } from "../http/request-context.ts";
import { runAfterResponse, runOnError } from "../plugin/hooks.ts";
import type { RequestTap, ResponseSummary } from "../plugin/types.ts";

export class RequestOutcome {
  readonly #rc: RequestContext;
  readonly #done: () => void;
  /** Taps of plugins that record bodies; null (the common case) costs nothing per chunk. */
  readonly taps: readonly RequestTap[] | null;
  attempts = 0;
  firstByteAt: number | null = null;
  #finished = false;

  constructor(rc: RequestContext, done: () => void, taps: readonly RequestTap[] | null) {
    this.#rc = rc;
    this.#done = done;
    this.taps = taps;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Tells the taps what the client receives: head once, then each body chunk. */
  clientHead(status: number, headers: Headers): void {
    if (this.taps === null) return;
    for (const t of this.taps) t.clientHead?.(status, headers);
  }

  clientChunk(chunk: Uint8Array): void {
    if (this.taps === null) return;
    for (const t of this.taps) t.clientChunk?.(chunk);
  }

  /**
   * `usage` may be a function: it then runs only if an observer reads `summary.usage` (a non-stream answer's usage
   * costs a JSON.parse of the whole body, which most observers never need).
   */
  finish(status: number, usage: Usage | null | (() => Usage | null), error: ProxyError | null, cancelled: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    const rc = this.#rc;
    try {
      if (error) runOnError(rc.snapshot.hooks.onError, error, rc);
      const hooks = rc.snapshot.hooks.afterResponse;
      // Fast path: no observer, no summary object.
      if (hooks !== null) {
        const firstByteMs = this.firstByteAt === null ? null : this.firstByteAt - rc.startedAt;
        const durationMs = performance.now() - rc.startedAt;
        const base = { status, stream: rc.stream, attempts: this.attempts, firstByteMs, durationMs, error, cancelled };
        const summary: ResponseSummary = typeof usage === "function" ? withLazyUsage(base, usage) : { ...base, usage };
        runAfterResponse(hooks, rc, summary);
      }
    } finally {
      this.#done();
    }
  }
}

/**
 * `base` plus a `usage` worked out on first read, once. The getter is an own enumerable property of a plain object, so
 * a plugin that spreads or serialises the summary still sees `usage`.
 */
function withLazyUsage(base: Omit<ResponseSummary, "usage">, compute: () => Usage | null): ResponseSummary {
  let usage: Usage | null | undefined;
  return {
    ...base,
    get usage() {
      if (usage === undefined) usage = compute();
      return usage;
    },
  };
}
