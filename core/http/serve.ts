/**
 * Serving on whichever runtime we are on: `Deno.serve`, `Bun.serve`, or `@hono/node-server` on Node. Every adapter
 * passes the client's socket address (never a forwarded header) and supports a graceful, bounded shutdown.
 */
import type { ServeEnv, SwitchyardApp } from "./app.ts";

export interface ServeOptions {
  readonly hostname: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** PEM cert and key for HTTPS. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface RunningServer {
  readonly hostname: string;
  readonly port: number;
  /** The base URL clients use (`http://127.0.0.1:8317`). */
  readonly url: string;
  /** Stops accepting, lets in-flight responses finish for up to `graceMs`, then closes what is left. */
  shutdown(graceMs?: number): Promise<void>;
}

export type RuntimeName = "deno" | "bun" | "node";

interface DenoLike {
  serve(
    options: {
      hostname: string;
      port: number;
      cert?: string;
      key?: string;
      onListen?: (addr: { hostname: string; port: number }) => void;
    },
    handler: (req: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void>; addr: { hostname: string; port: number } };
}

interface BunServer {
  readonly port: number;
  readonly hostname: string;
  stop(closeActiveConnections?: boolean): Promise<void>;
  requestIP(req: Request): { address: string } | null;
  readonly pendingRequests: number;
}
interface BunLike {
  serve(options: {
    hostname: string;
    port: number;
    tls?: { cert: string; key: string };
    idleTimeout?: number;
    fetch(req: Request, server: BunServer): Response | Promise<Response>;
  }): BunServer;
}

export function detectRuntime(): RuntimeName {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined) return "bun";
  return "node";
}

function displayHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "::" || hostname === "") return "127.0.0.1";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

function timeout(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    (t as { unref?: () => void }).unref?.();
  });
}

export async function serve(app: SwitchyardApp, options: ServeOptions): Promise<RunningServer> {
  const scheme = options.tls ? "https" : "http";
  const runtime = detectRuntime();
  if (runtime === "deno") {
    const Deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
    let resolveAddr!: (a: { hostname: string; port: number }) => void;
    const listening = new Promise<{ hostname: string; port: number }>((r) => (resolveAddr = r));
    const server = Deno.serve(
      { hostname: options.hostname, port: options.port, ...options.tls, onListen: resolveAddr },
      (req, info) => app.fetch(req, { remoteAddress: info.remoteAddr.hostname } satisfies ServeEnv),
    );
    const addr = await listening;
    return {
      hostname: addr.hostname,
      port: addr.port,
      url: `${scheme}://${displayHost(addr.hostname)}:${addr.port}`,
      async shutdown(graceMs = 10_000) {
        await Promise.race([server.shutdown(), timeout(graceMs)]);
      },
    };
  }
  if (runtime === "bun") {
    const Bun = (globalThis as unknown as { Bun: BunLike }).Bun;
    const server = Bun.serve({
      hostname: options.hostname,
      port: options.port,
      ...(options.tls ? { tls: { cert: options.tls.cert, key: options.tls.key } } : {}),
      // Long generations can be silent for a while; Bun's default idle timeout (10 s) would cut them.
      idleTimeout: 255,
      fetch: (req, srv) => app.fetch(req, { remoteAddress: srv.requestIP(req)?.address ?? null }),
    });
    return {
      hostname: server.hostname,
      port: server.port,
      url: `${scheme}://${displayHost(server.hostname)}:${server.port}`,
      async shutdown(graceMs = 10_000) {
        const graceful = server.stop(false);
        await Promise.race([graceful, timeout(graceMs)]);
        await server.stop(true);
      },
    };
  }
  const { serveNode } = await import("./serve-node.ts");
  return serveNode(app, options);
}
