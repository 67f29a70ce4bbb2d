#!/usr/bin/env node
// End-to-end overhead benchmark (not part of CI): Switchyard vs a bare Hono `fetch` proxy vs the upstream directly,
// on Deno, Bun and Node, at 1 and 50 connections, passthrough and translated (Claude client → OpenAI upstream), JSON
// and SSE. See bench/README.md.
//
//   node bench/e2e/run.mjs                       # everything, ~5 min
//   node bench/e2e/run.mjs --quick               # short runs (~1 min)
//   node bench/e2e/run.mjs --smoke --runtime deno  # the quickest: checks the harness works, numbers not meaningful
//   node bench/e2e/run.mjs --runtime deno --repeat 3 --duration 4000
//
// Options: --runtime deno,bun,node  --quick | --smoke  --warmup MS  --duration MS  --repeat N  --concurrency 1,50
//          --events N (SSE events per stream, default 50)  --burst (upstream writes a stream at once)
//          --pairs passthrough,translated  --bodies json,sse  --upstream-runtime node|deno|bun  --json FILE
//          --request-log (also a Switchyard with `request-log: true`: its latency beside the other's, and a check that
//          every answered request left its log file after a clean shutdown)
import { writeFile } from "node:fs/promises";
import process from "node:process";
import { formatReport, runE2E } from "./harness.mjs";

const argv = process.argv.slice(2);
const opts = {};
let json = null;
const list = (v) => v.split(",").map((s) => s.trim()).filter(Boolean);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = () => {
    const v = argv[++i];
    if (v === undefined) {
      console.error(`e2e: ${a} needs a value`);
      process.exit(2);
    }
    return v;
  };
  switch (a) {
    case "--quick":
      opts.quick = true;
      break;
    case "--smoke":
      opts.smoke = true;
      break;
    case "--runtime":
    case "--runtimes":
      opts.runtimes = list(value());
      break;
    case "--warmup":
      opts.warmupMs = Number(value());
      break;
    case "--duration":
      opts.durationMs = Number(value());
      break;
    case "--repeat":
      opts.repeat = Number(value());
      break;
    case "--concurrency":
      opts.concurrency = list(value()).map(Number);
      break;
    case "--events":
      opts.events = Number(value());
      break;
    case "--burst":
      opts.burst = true;
      break;
    case "--request-log":
      opts.requestLog = true;
      break;
    case "--pairs":
      opts.pairs = list(value());
      break;
    case "--bodies":
      opts.bodies = list(value());
      break;
    case "--upstream-runtime":
      opts.upstreamRuntime = value();
      break;
    case "--json":
      json = value();
      break;
    default:
      console.error(`e2e: unknown option ${a} (see the header of bench/e2e/run.mjs)`);
      process.exit(2);
  }
}

const started = Date.now();
const result = await runE2E(opts);
console.log(formatReport(result));
const s = result.settings;
console.log(
  `\n${s.repeat} × (${s.warmupMs} ms warm-up + ${s.durationMs} ms) per target and scenario; upstream on ${s.upstreamRuntime}; ` +
    `load from ${process.release?.name ?? "this runtime"} ${process.version} node:http keep-alive agents; ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s in all.`,
);
if (json) await writeFile(json, JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2) + "\n");
