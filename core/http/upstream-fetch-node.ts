/**
 * Node's upstream leg over `node:http`/`node:https` with keep-alive agents, direct or through an outbound proxy
 * (`proxy-url`: HTTP(S) forwarding and CONNECT, SOCKS5; see proxy/node-tunnel.ts). Deno and Bun use it for the proxy
 * schemes their own `fetch` cannot do.
 */
import http from "node:http";
import https from "node:https";
import type { IncomingMessage } from "node:http";
import tls from "node:tls";
import { ForwardAgent, TunnelAgent } from "./proxy/node-tunnel.ts";
import { envProxies, processEnv } from "./proxy/env-proxy.ts";
import { isDirectProxy, type ProxyEndpoint, proxyEndpoint, proxyErrorMessage } from "./proxy/url.ts";
import type { ByteSource, UpstreamFetch, UpstreamFetchOptions, UpstreamResponse } from "./upstream-fetch.ts";

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
    if (Array.isArray(v)) { for (const item of v) h.append(key, item); }
    else h.set(key, v);
  }
  return h;
}

/** How requests through one proxy URL are sent; built on first use, then looked up by the URL string. */
class ProxyRoute {
  readonly ep: ProxyEndpoint;
  readonly #opts: UpstreamFetchOptions;
  #forward: ForwardAgent | null = null;
  #plainTunnel: TunnelAgent | null = null;
  #tlsTunnel: TunnelAgent | null = null;

  constructor(ep: ProxyEndpoint, opts: UpstreamFetchOptions) {
    this.ep = ep;
    this.#opts = opts;
  }

  /** `http:` targets through an HTTP(S) proxy go in absolute form over pooled proxy connections. */
  get forwards(): boolean {
    return (this.ep.scheme === "http" || this.ep.scheme === "https") && this.#opts.forceConnect !== true;
  }

  forwardAgent(): ForwardAgent {
    return (this.#forward ??= new ForwardAgent(this.ep, { ca: this.#opts.caCerts }));
  }

  tunnelAgent(secure: boolean): TunnelAgent {
    if (secure) return (this.#tlsTunnel ??= new TunnelAgent(this.ep, true, { ca: this.#opts.caCerts }));
    return (this.#plainTunnel ??= new TunnelAgent(this.ep, false, { ca: this.#opts.caCerts }));
  }
}

/** A proxy that answers 407 to a forwarded request refused it: that is no upstream answer, fail the attempt. */
function refusedByProxy(ep: ProxyEndpoint, res: IncomingMessage): Error {
  res.resume();
  return new Error(
    `proxy ${ep.masked} refused the request: 407 ${res.statusMessage || "Proxy Authentication Required"}`,
  );
}

/**
 * A `node:http` upstream fetch with its own agents. `caCerts` adds trusted roots (tests; private CAs); `forceConnect`
 * tunnels `http:` targets through HTTP(S) proxies with CONNECT instead of sending them in absolute form.
 */
export function createNodeHttpFetch(opts: UpstreamFetchOptions = {}): UpstreamFetch {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const ca = opts.caCerts && opts.caCerts.length > 0 ? [...tls.rootCertificates, ...opts.caCerts] : undefined;
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 1024, ca });
  /** Proxy URL string → its route; null for `direct` / `none`. */
  const routes = new Map<string, ProxyRoute | null>();
  /** node:http ignores HTTP(S)_PROXY: a request with no configured proxy asks the environment here, as Go does. */
  const fromEnv = envProxies(opts.env ?? processEnv());

  const routeFor = (proxy: string): ProxyRoute | null => {
    let route = routes.get(proxy);
    if (route === undefined) {
      route = isDirectProxy(proxy) ? null : new ProxyRoute(proxyEndpoint(proxy), opts);
      routes.set(proxy, route);
    }
    return route;
  };

  return (req, signal, proxy) => {
    return new Promise<UpstreamResponse>((resolve, reject) => {
      const url = new URL(req.url);
      const secure = url.protocol === "https:";
      const headers: Record<string, string> = {};
      req.headers.forEach((value, key) => {
        headers[key] = value;
      });
      const body = typeof req.body === "string" ? Buffer.from(req.body) : req.body;
      if (body) headers["content-length"] = String(body.byteLength);
      const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
      const port = url.port || (secure ? 443 : 80);
      let route: ProxyRoute | null = null;
      const chosen = proxy ?? (fromEnv === null ? null : fromEnv(url));
      if (chosen !== null) {
        try {
          route = routeFor(chosen);
        } catch (err) {
          reject(proxy === null ? new Error(`the environment's proxy for ${url.protocol} is unusable: ${errorText(err)}`) : err);
          return;
        }
      }
      let options: http.RequestOptions;
      if (route === null) {
        options = {
          method: req.method,
          hostname,
          port,
          path: url.pathname + url.search,
          headers,
          agent: secure ? httpsAgent : httpAgent,
          signal,
        };
      } else {
        // The request is addressed to the proxy or tunnelled: name the target ourselves (no `:443` for https).
        headers.host ??= url.host;
        if (!secure && route.forwards) {
          if (route.ep.authorization !== null) headers["proxy-authorization"] = route.ep.authorization;
          options = {
            method: req.method,
            hostname: route.ep.hostname,
            port: route.ep.port,
            path: url.href,
            headers,
            agent: route.forwardAgent(),
            signal,
          };
        } else {
          options = {
            method: req.method,
            hostname,
            port,
            path: url.pathname + url.search,
            headers,
            agent: route.tunnelAgent(secure),
            signal,
          };
        }
      }
      // Tunnelled TLS is set up by the agent: the request itself is plain HTTP/1.1 over the socket it hands back.
      const outgoing = (secure && route === null ? https : http).request(options, (res) => {
        if (route !== null && res.statusCode === 407) {
          reject(refusedByProxy(route.ep, res));
          return;
        }
        resolve({ status: res.statusCode ?? 502, headers: toHeaders(res.headers), body: new IncomingSource(res) });
      });
      outgoing.on(
        "error",
        route === null ? reject : (err) => {
          if (signal.aborted) reject(err);
          else reject(new Error(proxyErrorMessage(route.ep, err)));
        },
      );
      outgoing.end(body ?? undefined);
    });
  };
}

/** The default `node:http` leg (system roots, HTTP(S) proxies forward `http:` targets). */
export const nodeHttpFetch: UpstreamFetch = createNodeHttpFetch();

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
