// ESM loader hooks (run in Node's loader thread): `.ts`/`.mts`/`.tsx` modules are transformed with esbuild.
// Everything else — bare npm specifiers, node: built-ins, .js/.mjs/.json — is left to Node's own resolution and
// loading. Transforms are cached in .cache/node-ts/ by content, so the many short-lived Node processes of a test run
// (one per test file, plus the CLIs some tests spawn) skip esbuild entirely for sources that did not change.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

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
const CACHE = fileURLToPath(new URL("../.cache/node-ts/", import.meta.url));
const SALT = JSON.stringify(OPTIONS) + readFileSync(new URL(import.meta.url), "utf8");

let esbuild; // imported on the first cache miss only
let cacheReady = false;

async function compile(path, source, loader) {
  const key = createHash("sha256").update(SALT).update("\0").update(path).update("\0").update(source).digest("hex");
  const cached = `${CACHE}${key.slice(0, 40)}.mjs`;
  try {
    return readFileSync(cached, "utf8");
  } catch { /* miss */ }
  esbuild ??= await import("esbuild");
  let code;
  try {
    ({ code } = await esbuild.transform(source, { ...OPTIONS, loader, sourcefile: path }));
  } catch (e) {
    // Report like Node does for JavaScript, not with esbuild's internals.
    const msgs = (e.errors ?? []).map(({ location: l, text }) =>
      l ? `${l.file}:${l.line}:${l.column + 1}: ${text}\n    ${l.lineText}\n    ${" ".repeat(l.column)}^` : text
    );
    throw msgs.length ? new SyntaxError(msgs.join("\n")) : e;
  }
  try {
    if (!cacheReady) mkdirSync(CACHE, { recursive: true }), (cacheReady = true);
    const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, cached); // atomic: concurrent processes never read a partial entry
  } catch { /* read-only checkout: run uncached */ }
  return code;
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:")) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const m = TS.exec(path);
  if (!m) return nextLoad(url, context);
  const source = readFileSync(path, "utf8");
  const code = await compile(path, source, m[0] === ".tsx" ? "tsx" : "ts");
  return { format: "module", source: code, shortCircuit: true };
}
