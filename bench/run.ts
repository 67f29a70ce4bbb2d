/**
 * Runs every tinybench suite in bench/ (`*.bench.ts` exporting `register(bench)`) in one process and prints a table.
 *
 *   deno task bench            # all suites
 *   deno task bench sse        # suites whose file name contains "sse"
 *
 * @module
 */
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import process from "node:process";
import { Bench } from "tinybench";

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const files = (await readdir(here)).filter((f) => f.endsWith(".bench.ts")).filter((f) =>
  filters.length === 0 || filters.some((x) => f.includes(x))
).sort();

const bench = new Bench({ time: 500, warmupTime: 100 });
for (const file of files) {
  const mod = await import(pathToFileURL(join(here, file)).href) as { register?: (b: Bench) => unknown };
  if (typeof mod.register !== "function") throw new Error(`${file} does not export register(bench)`);
  await mod.register(bench);
}
await bench.run();
console.log(`Switchyard bench (${files.join(", ")})`);
const fmt = (ms: number | undefined) =>
  ms === undefined ? "-" : ms < 0.001 ? `${(ms * 1e6).toFixed(0)} ns` : ms < 1 ? `${(ms * 1000).toFixed(2)} µs` : `${ms.toFixed(2)} ms`;
// The median is reported (and ops/s derived from it): GC pauses make the mean of µs-scale cases noisy.
console.table(
  bench.tasks.map((t) => {
    const r = t.result as { latency?: { mean?: number; p50?: number } } | undefined;
    const p50 = r?.latency?.p50;
    return {
      case: t.name,
      "ops/s (p50)": p50 ? Math.round(1000 / p50).toLocaleString("en-US") : "-",
      p50: fmt(p50),
      mean: fmt(r?.latency?.mean),
    };
  }),
);
