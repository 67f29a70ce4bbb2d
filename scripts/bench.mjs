#!/usr/bin/env node
// `npm run bench [-- args]`: runs bench/run.ts (the tinybench suites) under one runtime, Deno by default.
//
//   node scripts/bench.mjs [--runtime deno|bun|node] [--file bench/gate.ts] [args passed to the bench...]
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function binary(name) {
  if (name === "node") return process.execPath;
  const local = join(ROOT, "node_modules", ".bin", name);
  if (existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return null;
}

let runtime = "deno";
let file = join(ROOT, "bench", "run.ts");
const rest = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--runtime" || a === "--file") {
    const v = argv[++i];
    if (v === undefined) {
      console.error(`bench: ${a} needs a value`);
      process.exit(2);
    }
    if (a === "--runtime") runtime = v;
    else file = resolve(v);
  } else if (a.startsWith("--runtime=")) runtime = a.slice("--runtime=".length);
  else if (a.startsWith("--file=")) file = resolve(a.slice("--file=".length));
  else rest.push(a);
}

const ARGS = {
  deno: ["run", "-A", file],
  bun: ["run", file],
  node: ["--import", join(ROOT, "test", "node-loader.mjs"), file],
};
if (!ARGS[runtime]) {
  console.error(`bench: unknown runtime ${runtime} (deno, bun or node)`);
  process.exit(2);
}
if (!existsSync(file)) {
  console.error(`bench: ${relative(ROOT, file)} not found`);
  process.exit(1);
}
const bin = binary(runtime);
if (!bin) {
  console.error(`bench: ${runtime} not found in node_modules/.bin or PATH: run npm ci`);
  process.exit(1);
}

const child = spawn(bin, [...ARGS[runtime], ...rest], { cwd: ROOT, stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("error", (e) => {
  console.error(`bench: could not start ${bin}: ${e.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
