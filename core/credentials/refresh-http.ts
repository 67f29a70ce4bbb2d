/**
 * How a token refresh reaches its provider. The runtime hands each refresh its upstream leg bound to the credential's
 * outbound proxy (the file's `proxy_url`, else the global `proxy-url`, else the environment's), so a refresh goes out
 * the same way the credential's requests do, as in CLIProxyAPI. Without a runtime (tests, embedders) the global
 * `fetch` serves.
 */
import type { UpstreamRequest } from "../plugin/types.ts";
import type { ByteSource, UpstreamResponse } from "../http/upstream-fetch.ts";

export type RefreshHttp = (req: UpstreamRequest, signal: AbortSignal) => Promise<UpstreamResponse>;

function bodyOf(res: Response): ByteSource {
  const reader = res.body?.getReader() ?? null;
  return {
    async read() {
      if (reader === null) return null;
      const r = await reader.read();
      return r.done ? null : r.value;
    },
    cancel() {
      reader?.cancel().catch(() => {});
    },
  };
}

/** The global `fetch` as a {@link RefreshHttp}. */
export const globalFetchHttp: RefreshHttp = async (req, signal) => {
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body as BodyInit | null, signal });
  return { status: res.status, headers: res.headers, body: bodyOf(res) };
};
