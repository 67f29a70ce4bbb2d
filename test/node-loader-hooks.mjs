// ESM loader hooks (run in Node's loader thread): `.ts`/`.mts`/`.tsx` modules are transformed with esbuild,
// in memory, one file at a time. Everything else — bare npm specifiers, node: built-ins, .js/.mjs/.json — is
// left to Node's own resolution and loading.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";

const TS = /\.(?:ts|mts|tsx)$/;
const OPTIONS = {
  format: "esm",
  // The running Node's exact version: "node20" alone would make esbuild drop import attributes
  // (`with { type: "json" }`), which Node 20.10+ requires for JSON modules.
  target: `node${process.versions.node}`,
  sourcemap: "inline",
  // Same semantics Deno and Bun give the sources: standard class fields, unused (type-only) imports dropped.
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, verbatimModuleSyntax: false } },
};

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:")) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const m = TS.exec(path);
  if (!m) return nextLoad(url, context);
  const source = await readFile(path, "utf8");
  const { code } = await transform(source, {
    ...OPTIONS,
    loader: m[0] === ".tsx" ? "tsx" : "ts",
    sourcefile: path,
  });
  return { format: "module", source: code, shortCircuit: true };
}
