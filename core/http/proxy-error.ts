/**
 * The one error type that crosses the pipeline. It knows its HTTP status and, when it came from an upstream, the body
 * the upstream sent, so each client format can render it the way CLIProxyAPI does (behaviour.md §1.4).
 */
export type ProxyErrorCode =
  | "bad_request"
  | "unauthorized"
  | "unsafe_example_api_key"
  | "invalid_json"
  | "body_too_large"
  | "model_not_found"
  | "model_cooldown"
  | "client_closed"
  | "not_implemented"
  | "upstream_error"
  | "upstream_unreachable"
  | "upstream_stream_error"
  | "auth_unavailable"
  | "plugin_error"
  | "internal_error";

export interface ProxyErrorOptions {
  /** OpenAI-style `error.type`; defaults by status. */
  type?: string;
  /** OpenAI-style `error.code`. */
  code?: string;
  /** OpenAI-style `error.param`. */
  param?: string;
  /** The upstream's own error body, returned verbatim where the client format allows. */
  upstreamBody?: string;
  /** Headers to add to the client response (for example `Retry-After`). */
  headers?: Record<string, string>;
  /** Plugin and hook that threw, when a plugin is the cause. */
  plugin?: string;
  hook?: string;
  cause?: unknown;
}

export class ProxyError extends Error {
  readonly status: number;
  readonly kind: ProxyErrorCode;
  readonly type: string | undefined;
  readonly code: string | undefined;
  readonly param: string | undefined;
  readonly upstreamBody: string | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly plugin: string | undefined;
  readonly hook: string | undefined;

  constructor(status: number, kind: ProxyErrorCode, message: string, options: ProxyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ProxyError";
    this.status = status;
    this.kind = kind;
    this.type = options.type;
    this.code = options.code;
    this.param = options.param;
    this.upstreamBody = options.upstreamBody;
    this.headers = options.headers;
    this.plugin = options.plugin;
    this.hook = options.hook;
  }
}

/** Wraps anything thrown into a ProxyError, keeping ProxyErrors as they are. */
export function toProxyError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ProxyError(500, "internal_error", `Internal error: ${message}`, { cause: err });
}
