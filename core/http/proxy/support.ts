/**
 * Which proxy schemes each runtime can use, and how: its own `fetch` ("native") or Switchyard's `node:http` leg with
 * its CONNECT / SOCKS5 client ("node"; Deno and Bun implement `node:http`, `node:net` and `node:tls`). Checked when a
 * snapshot is built, so a config the runtime cannot serve fails at startup / reload, never at request time.
 *
 * Measured against the loopback fakes in test/helpers/fake-proxy.ts:
 * - Node: every scheme through the `node:http` leg (Node's upstream leg is `node:http` anyway).
 * - Deno 2.9: `Deno.createHttpClient({ proxy })` does http, https and socks5h; its `socks5://` sends the target's
 *   name to the proxy instead of resolving it locally, so `socks5` uses the node leg; and through an `https://` proxy
 *   it sends `http:` targets without `Proxy-Authorization` (CONNECT is fine), so an `https://` proxy with credentials
 *   uses the node leg too.
 * - Bun 1.4: `fetch(url, { proxy })` does http and https and rejects socks URLs (`UnsupportedProxyProtocol`), so
 *   socks5 and socks5h use the node leg.
 */
import type { ConfigIssue } from "../../config/load.ts";
import { isDirectProxy, maskProxyUrl, parseProxyUrl, type ProxyEndpoint, type ProxyScheme } from "./url.ts";

export type ProxyRuntime = "deno" | "bun" | "node";
export type ProxyLeg = "native" | "node";

export function currentProxyRuntime(): ProxyRuntime {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  return g.Deno !== undefined ? "deno" : g.Bun !== undefined ? "bun" : "node";
}

const LEGS: Record<ProxyRuntime, Record<ProxyScheme, ProxyLeg | null>> = {
  node: { http: "node", https: "node", socks5: "node", socks5h: "node" },
  deno: { http: "native", https: "native", socks5: "node", socks5h: "native" },
  bun: { http: "native", https: "native", socks5: "node", socks5h: "node" },
};

/** How `scheme` is served on `runtime`, or null when it cannot be. */
export function proxyLeg(scheme: ProxyScheme, runtime: ProxyRuntime = currentProxyRuntime()): ProxyLeg | null {
  return LEGS[runtime][scheme];
}

/** How this proxy is served on `runtime` (the scheme's leg, with the runtime's known exceptions). */
export function proxyLegFor(ep: ProxyEndpoint, runtime: ProxyRuntime = currentProxyRuntime()): ProxyLeg | null {
  if (runtime === "deno" && ep.scheme === "https" && ep.authorization !== null) return "node";
  return LEGS[runtime][ep.scheme];
}

/**
 * Why a `proxy-url` value cannot be used on this runtime, or null when it can. `""` (inherit) and `direct` / `none`
 * are fine. The message never contains the URL (the caller names it, masked).
 */
export function checkProxySupport(value: string, runtime: ProxyRuntime = currentProxyRuntime()): string | null {
  if (value.trim() === "" || isDirectProxy(value)) return null;
  const parsed = parseProxyUrl(value);
  if (typeof parsed === "string") return parsed;
  if (proxyLegFor(parsed, runtime) === null) return `${parsed.scheme} proxies are not supported on ${runtime}`;
  return null;
}

function walk(value: unknown, path: string, visit: (path: string, value: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, visit));
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const [key, v] of Object.entries(value)) {
    const p = path === "" ? key : `${path}.${key}`;
    if ((key === "proxy-url" || key === "proxy_url") && typeof v === "string") visit(p, v);
    else walk(v, p, visit);
  }
}

/**
 * Every unusable proxy URL of a config, one issue each, named by its key path (`proxy-url`,
 * `openai-compatibility[0].api-key-entries[1].proxy-url`), plus those of credentials that did not come from a config
 * key (auth files, third-party providers), named by credential id. Messages carry the URL masked.
 */
export function proxyConfigIssues(
  config: unknown,
  credentials: Iterable<{ readonly id: string; readonly proxyUrl?: string }>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const check = (path: string, value: string) => {
    seen.add(value);
    const problem = checkProxySupport(value);
    if (problem !== null) issues.push({ path, message: `"${maskProxyUrl(value)}": ${problem}` });
  };
  walk(config, "", check);
  for (const c of credentials) {
    if (c.proxyUrl !== undefined && !seen.has(c.proxyUrl)) check(`credential ${c.id} proxy-url`, c.proxyUrl);
  }
  return issues;
}
