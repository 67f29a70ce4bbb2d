import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

/**
 * Whether the module with this `import.meta` is the program's entry point. Deno and Bun set `import.meta.main`;
 * Node 20 does not, so compare the entry script's real path with the module URL (true for the esbuild bundle).
 */
export function isMainModule(meta: ImportMeta): boolean {
  const flag = (meta as ImportMeta & { main?: unknown }).main;
  if (typeof flag === "boolean") return flag;
  const entry = globalThis.process?.argv?.[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === meta.url;
  } catch {
    return false;
  }
}
