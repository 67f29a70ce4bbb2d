/**
 * Which runtime is executing the tests. Deno and Bun both also provide `process`, so look for their own globals
 * first; Node 20 has neither.
 *
 *   import { runtime } from "../harness/runtime.ts";
 *   test("uses node:http upstream", { skip: runtime !== "node" }, () => { … });
 */
export type Runtime = "deno" | "bun" | "node";

const g = globalThis as { Deno?: { version?: { deno?: unknown } }; Bun?: { version?: unknown } };

export const runtime: Runtime = typeof g.Deno?.version?.deno === "string"
  ? "deno"
  : typeof g.Bun?.version === "string"
  ? "bun"
  : "node";

/** Version of the running runtime ("2.9.6", "1.4.5", "20.20.2"). */
export const runtimeVersion: string = runtime === "deno"
  ? String(g.Deno!.version!.deno)
  : runtime === "bun"
  ? String(g.Bun!.version)
  : process.versions.node;
