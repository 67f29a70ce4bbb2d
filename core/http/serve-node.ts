/** Node's serve adapter, over `@hono/node-server`. */
import { serve as honoServe } from "@hono/node-server";
import type { Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { SwitchyardApp } from "./app.ts";
import type { RunningServer, ServeOptions } from "./serve.ts";

interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string } };
}

export function serveNode(app: SwitchyardApp, options: ServeOptions): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = honoServe(
      {
        fetch: (req: Request, env: NodeBindings) =>
          app.fetch(req, { remoteAddress: env?.incoming?.socket?.remoteAddress ?? null }),
        hostname: options.hostname,
        port: options.port,
        ...(options.tls
          ? { createServer: createHttpsServer, serverOptions: { cert: options.tls.cert, key: options.tls.key } }
          : {}),
      },
      (info: AddressInfo) => {
        const host = info.address === "::" || info.address === "0.0.0.0" ? "127.0.0.1" : info.address;
        const shown = host.includes(":") ? `[${host}]` : host;
        resolve({
          hostname: info.address,
          port: info.port,
          url: `${options.tls ? "https" : "http"}://${shown}:${info.port}`,
          shutdown(graceMs = 10_000) {
            return new Promise<void>((done) => {
              const s = server as Server;
              s.close(() => done());
              // Idle keep-alive sockets would hold close() open; in-flight ones get the grace period.
              s.closeIdleConnections?.();
              const t = setTimeout(() => {
                s.closeAllConnections?.();
                done();
              }, graceMs);
              t.unref?.();
            });
          },
        });
      },
    );
    (server as Server).once("error", reject);
  });
}
