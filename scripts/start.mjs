#!/usr/bin/env node
// `npm start [-- args]`: (re)builds dist/switchyard.mjs when it is missing or older than any source, then runs
// `node dist/switchyard.mjs args`, forwarding signals and the exit status. Deno users run `deno task start`.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { build, OUTFILE, ROOT } from "./build.mjs";

// Everything but these can end up in the bundle (plus scripts/build.mjs itself, which decides how it is built).
const SKIP_DIRS = new Set(["node_modules", "dist", "test", "bench", "logs", "scripts"]);
const SOURCE = /\.(?:[cm]?[jt]sx?|json|html|css|svg)$/;

/** Newest modification time (ms) among the files the bundle is built from. */
function newestSource() {
  let newest = statSync(join(ROOT, "scripts", "build.mjs")).mtimeMs;
  for (const f of ["package.json", "package-lock.json"]) {
    if (existsSync(join(ROOT, f))) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  }
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (!(dir === ROOT && SKIP_DIRS.has(e.name)) && e.name !== "node_modules") walk(p);
      } else if (SOURCE.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(ROOT);
  return newest;
}

async function ensureBuilt() {
  const have = existsSync(OUTFILE);
  let stale = !have;
  if (have && existsSync(join(ROOT, "mod.ts"))) stale = newestSource() > statSync(OUTFILE).mtimeMs;
  if (!stale) return;
  try {
    await build({ quiet: true });
  } catch (e) {
    if (have && /esbuild is not installed/.test(e.message)) {
      console.error(`start: ${e.message}; running the existing, possibly stale, ${relative(ROOT, OUTFILE)}`);
      return;
    }
    throw e;
  }
}

try {
  await ensureBuilt();
} catch (e) {
  console.error(`start: build failed: ${e.message}`);
  console.error("start: alternatively run the sources directly: npx -y deno run -A mod.ts");
  process.exit(1);
}

const child = spawn(process.execPath, [OUTFILE, ...process.argv.slice(2)], { stdio: "inherit" });
const forward = (sig) => () => child.kill(sig);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, forward(sig));
child.on("error", (e) => {
  console.error(`start: could not run ${OUTFILE}: ${e.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
