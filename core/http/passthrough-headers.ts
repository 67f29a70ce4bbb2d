/**
 * `passthrough-headers: true` (behaviour.md §1.3): upstream response headers reach the client, minus hop-by-hop
 * headers, `Set-Cookie`, `Content-Length`, `Content-Encoding` (the body may be re-encoded or re-framed), CORS headers
 * (Switchyard sets its own) and the headers other gateways add about themselves.
 */
const DROPPED: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "set-cookie",
  "content-length",
  "content-encoding",
  "content-type",
]);

const DROPPED_PREFIXES = ["access-control-", "x-litellm-", "helicone-", "x-portkey-", "cf-aig-", "x-kong-", "x-bt-"];

/** Copies the upstream headers a client may see onto `target` (which keeps its own content-type and CORS). */
export function copyPassthroughHeaders(upstream: Headers, target: Record<string, string>): void {
  upstream.forEach((value, key) => {
    const k = key.toLowerCase();
    if (DROPPED.has(k)) return;
    for (const p of DROPPED_PREFIXES) if (k.startsWith(p)) return;
    target[k] = value;
  });
}

/** The client response's headers: `base` itself (shared, no allocation) unless pass-through is on. */
export function responseHeaders(
  base: Readonly<Record<string, string>>,
  upstream: Headers | null,
  passthrough: boolean,
): Readonly<Record<string, string>> {
  // Fast path: the common configuration sends the shared frozen header set.
  if (!passthrough || upstream === null) return base;
  const out: Record<string, string> = {};
  copyPassthroughHeaders(upstream, out);
  return Object.assign(out, base);
}
