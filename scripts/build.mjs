#!/usr/bin/env node
// `npm run build` / `deno task build`: bundles mod.ts and every dependency into dist/switchyard.mjs, a single ES
// module that `node dist/switchyard.mjs` runs on Node >= 20 without node_modules (node: built-ins stay external).
//
//   node scripts/build.mjs [--outfile dist/switchyard.mjs] [--quiet]
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ENTRY = join(ROOT, "mod.ts");
export const OUTFILE = join(ROOT, "dist", "switchyard.mjs");

// CommonJS dependencies bundled into an ES module call esbuild's `__require` for node: built-ins; an ES module has
// no `require`, so when the bundle needs one it gets this banner.
const REQUIRE_SHIM = 'import { createRequire as __switchyardCreateRequire } from "node:module";\n' +
  "const require = __switchyardCreateRequire(import.meta.url);";

/** Builds the bundle; returns { outfile, bytes, ms, requireShim }. Throws with a readable message on failure. */
export async function build({ entry = ENTRY, outfile = OUTFILE, quiet = false } = {}) {
  if (!existsSync(entry)) {
    throw new Error(`${relative(ROOT, entry) || entry} not found: it is the bundle's entry point (the public API and CLI)`);
  }
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    throw new Error("esbuild is not installed (it is a devDependency): run `npm ci` first");
  }
  const started = Date.now();
  const options = {
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: false,
    sourcemap: "linked",
    // Deno-style specifiers that a plugin loader may import literally stay runtime imports.
    external: ["npm:*", "jsr:*"],
    logLevel: "silent",
    write: false,
  };
  const report = (e) => {
    const msgs = e.errors ?? [];
    if (msgs.length === 0) return e;
    const lines = msgs.map((m) => `  ${m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : ""}${m.text}`);
    return new Error(`esbuild failed:\n${lines.join("\n")}`);
  };
  let result;
  try {
    result = await esbuild.build(options);
    const js = result.outputFiles.find((f) => f.path === outfile)?.text ?? "";
    const requireShim = /\b__require\(/.test(js);
    // Build again with the banner when needed, so the source map accounts for it.
    result = await esbuild.build({ ...options, write: true, banner: requireShim ? { js: REQUIRE_SHIM } : undefined });
    result.requireShim = requireShim;
  } catch (e) {
    throw report(e);
  }
  for (const w of result.warnings) if (!quiet) console.warn(`build warning: ${w.text}`);
  const out = { outfile, bytes: statSync(outfile).size, ms: Date.now() - started, requireShim: result.requireShim };
  if (!quiet) {
    console.log(`built ${relative(ROOT, outfile)} (${(out.bytes / 1024).toFixed(0)} KiB, ${out.ms} ms` +
      `${out.requireShim ? ", with createRequire shim" : ""})`);
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opts = { quiet: args.includes("--quiet") };
  const i = args.indexOf("--outfile");
  if (i >= 0) opts.outfile = resolve(args[i + 1] ?? "");
  try {
    await build(opts);
  } catch (e) {
    console.error(`build: ${e.message}`);
    process.exitCode = 1;
  }
}
