/**
 * The benchmark gate: runs every `bench/*.bench.ts` suite plus a calibration case in one process and fails when a case
 * got more than 1.5× slower than `bench/baseline.json`, after normalising by the calibration.
 *
 *   deno task bench:gate                     # all suites, compare, exit 1 on a regression
 *   deno task bench:gate sse routing         # only suites whose file name contains one of the words
 *   deno task bench:gate --update            # re-record the baseline for this runtime (commit it saying why)
 *   deno task bench:gate --update signature  # add or refresh only the cases of the matching suites
 *   node scripts/bench.mjs --runtime bun --file bench/gate.ts   # the same on Bun (or node)
 *
 * Options: --rounds N (default 3), --time MS per case and round (default: fits the ~80 s budget), --threshold X
 * (default 1.5), --floor X (default 0.0002 calibrations, ~5 ns: a smaller slowdown never fails), --json FILE (write
 * the measured figures), --baseline FILE.
 *
 * How a figure is made (robust on a busy 2-core machine):
 *  - A case's samples are per-call latencies: one call for cases of a few µs or more, the mean of a timed batch of
 *    calls for faster ones (batched here automatically, or by the suite itself through bench/support.ts), so the
 *    timer's own cost (~90 ns per read on Deno) does not swamp them.
 *  - Every case sample is paired with a calibration sample taken just before it (calibration, case, calibration,
 *    case…), and divided by it. A machine that slows down for a while — another process, a throttled vCPU — slows
 *    both alike, so the ratio holds still while the raw figures move by 2×.
 *  - A round gives each case a window of time; its figure is the median of its ratios (samples the OS interrupted
 *    fall out). The case's normalised figure is the median over the rounds (3 by default), compared with the
 *    baseline recorded for the same runtime. A slowdown under `--floor` (~5 ns) never fails.
 *
 * @module
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import process from "node:process";
import { Bench, type Fn, type FnOptions } from "tinybench";
import { CALIBRATION_ID, calibrationWorkload } from "./calibration.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");
const DEFAULT_BASELINE = join(HERE, "baseline.json");
/** Wall-clock budget for the measured phases (the whole gate stays under ~2 minutes). */
const BUDGET_MS = 80_000;
/** Cases faster than this per call are timed in batches. */
const BATCH_BELOW_MS = 0.002;
/** Target duration of one batch sample. */
const BATCH_SAMPLE_MS = 0.025;
/** Samples per case and round: at least (even past the time budget), at most. */
const MIN_SAMPLES = 15;
const MAX_SAMPLES = 20_000;

// ---------------------------------------------------------------------------------------------------------------
// Baseline file

export interface BaselineCase {
  /** Median per-call latency divided by the calibration's mean latency (dimensionless). */
  readonly normalised: number;
  /** The per-call latency when it was recorded (ns), for humans: machines differ, the gate never compares it. */
  readonly ns: number;
  /** `deno 2.9.6`, `bun 1.4.5`, `node v20.20.2`. */
  readonly runtime: string;
  /** ISO date of the recording. */
  readonly date: string;
}

export interface RuntimeBaseline {
  readonly calibration: { readonly id: string; readonly ns: number; readonly cpu: string; readonly date: string };
  readonly cases: Readonly<Record<string, BaselineCase>>;
}

export interface BaselineFile {
  readonly note?: string;
  /** Keyed by runtime name (`deno`, `bun`, `node`): figures are only compared with the same runtime's. */
  readonly runtimes: Readonly<Record<string, RuntimeBaseline>>;
}

// ---------------------------------------------------------------------------------------------------------------
// Comparison (pure; unit-tested in test/bench/gate.test.ts)

export interface Measured {
  readonly name: string;
  readonly suite: string;
  /** Median per-call latency (ns), median over rounds. */
  readonly ns: number;
  readonly normalised: number;
  /** Normalised figure of every round, for the spread. */
  readonly rounds: readonly number[];
}

export type Verdict = "ok" | "faster" | "slower" | "slower, under the noise floor" | "REGRESSION" | "new" | "error";

export interface Row {
  readonly name: string;
  readonly ns: number | null;
  readonly normalised: number | null;
  readonly baseline: number | null;
  readonly ratio: number | null;
  readonly verdict: Verdict;
  readonly detail?: string;
}

/**
 * One row per measured case (and per failed case); `missing` lists baseline cases this run did not measure. A case
 * fails when its normalised figure is more than `threshold` × its baseline's and more than `floor` above it (in
 * calibrations: 0.0002 is ~5 ns where the calibration takes 25 µs): a 5 ns case that reads 9 ns is JIT noise.
 */
export function compare(
  measured: readonly Measured[],
  errors: ReadonlyMap<string, string>,
  base: RuntimeBaseline | undefined,
  threshold: number,
  floor = 0,
): { rows: Row[]; missing: string[]; failed: boolean } {
  const rows: Row[] = [];
  let failed = false;
  for (const m of measured) {
    const b = base?.cases[m.name];
    if (!b) {
      rows.push({ name: m.name, ns: m.ns, normalised: m.normalised, baseline: null, ratio: null, verdict: "new" });
      continue;
    }
    const ratio = m.normalised / b.normalised;
    const verdict: Verdict = ratio > threshold
      ? (m.normalised - b.normalised > floor ? "REGRESSION" : "slower, under the noise floor")
      : ratio > 1.15
      ? "slower"
      : ratio < 0.87
      ? "faster"
      : "ok";
    if (verdict === "REGRESSION") failed = true;
    rows.push({ name: m.name, ns: m.ns, normalised: m.normalised, baseline: b.normalised, ratio, verdict });
  }
  for (const [name, detail] of errors) {
    failed = true;
    rows.push({
      name,
      ns: null,
      normalised: null,
      baseline: base?.cases[name]?.normalised ?? null,
      ratio: null,
      verdict: "error",
      detail,
    });
  }
  const seen = new Set([...measured.map((m) => m.name), ...errors.keys()]);
  const missing = Object.keys(base?.cases ?? {}).filter((n) => !seen.has(n));
  return { rows, missing, failed };
}

/** The baseline after `--update`: this runtime's cases replaced by the measured ones (all, or only those measured). */
export function updatedBaseline(
  file: BaselineFile | null,
  runtimeName: string,
  runtimeLabel: string,
  measured: readonly Measured[],
  calibrationNs: number,
  opts: { partial: boolean; date: string; cpu: string },
): BaselineFile {
  const previous = file?.runtimes[runtimeName];
  const cases: Record<string, BaselineCase> = opts.partial && previous ? { ...previous.cases } : {};
  for (const m of measured) {
    cases[m.name] = { normalised: round(m.normalised, 4), ns: round(m.ns, 4), runtime: runtimeLabel, date: opts.date };
  }
  const sorted: Record<string, BaselineCase> = {};
  for (const name of Object.keys(cases).sort()) sorted[name] = cases[name]!;
  return {
    note: file?.note ??
      "Recorded by `deno task bench:gate --update`. Only re-record in a commit that says why (see bench/README.md).",
    runtimes: {
      ...file?.runtimes,
      [runtimeName]: {
        calibration: { id: CALIBRATION_ID, ns: round(calibrationNs, 4), cpu: opts.cpu, date: opts.date },
        cases: sorted,
      },
    },
  };
}

function round(x: number, significant: number): number {
  return Number(x.toPrecision(significant));
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

// ---------------------------------------------------------------------------------------------------------------
// Measuring

function runtimeInfo(): { name: string; label: string } {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno) return { name: "deno", label: `deno ${g.Deno.version.deno}` };
  if (g.Bun) return { name: "bun", label: `bun ${g.Bun.version}` };
  return { name: "node", label: `node ${process.version}` };
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") &&
    typeof (v as { then?: unknown }).then === "function";
}

function measuredDuration(v: unknown): number | null {
  if (v === null || typeof v !== "object" || !("overriddenDuration" in v)) return null;
  const d = (v as { overriddenDuration: unknown }).overriddenDuration;
  return typeof d === "number" && Number.isFinite(d) && d >= 0 ? d : null;
}

const AsyncFunction = (async () => {}).constructor;

/** One registered case, as a suite handed it to `bench.add`. */
interface Registered {
  readonly name: string;
  readonly suite: string;
  readonly fn: Fn;
  readonly opts: FnOptions | undefined;
}

/**
 * A tinybench Bench that also keeps each case's function and suite: the suites register through the ordinary
 * `register(bench)` API, and the gate samples the functions itself, pairing every sample with a calibration sample.
 */
class GateBench extends Bench {
  suite = "";
  readonly registered: Registered[] = [];

  override add(name: string, fn: Fn, fnOpts?: FnOptions): this {
    super.add(name, fn, fnOpts);
    this.registered.push({ name, suite: this.suite, fn, opts: fnOpts });
    return this;
  }
}

/** A prepared case: `sample()` runs one timed sample and returns the per-call time (ms). */
interface Sampler {
  sample(): number | Promise<number>;
  /** Calls per sample when the gate batches the case (1 = not batched). */
  readonly batch: number;
  readonly async: boolean;
}

/**
 * Decides once how to time a case. Work under ~2 µs per call is timed in batches (the timer alone costs ~90 ns on
 * Deno); a task that measures itself (`overriddenDuration`) is taken at its word; a task with per-call hooks is never
 * batched.
 */
async function prepare(c: Registered, task: unknown): Promise<Sampler> {
  const fn = c.fn;
  const call = () => fn.call(task as never);
  const each = c.opts?.beforeEach;
  const after = c.opts?.afterEach;
  const hooked = each !== undefined || after !== undefined;
  let isAsync = fn instanceof AsyncFunction || c.opts?.async === true;
  // Warm up and probe: ~30 ms of calls, then the cost of one call from the fastest of a few groups.
  const warmUntil = performance.now() + 30;
  let selfMeasured = false;
  let calls = 0;
  do {
    if (each) await each.call(task as never, "warmup");
    const r0 = call();
    const r = isThenable(r0) ? ((isAsync = true), await r0) : r0;
    if (after) await after.call(task as never, "warmup");
    selfMeasured = measuredDuration(r) !== null;
    calls++;
  } while (performance.now() < warmUntil || calls < 8);
  const timed = async (): Promise<number> => {
    if (each) await each.call(task as never, "run");
    const t0 = performance.now();
    const r0 = call();
    const r = isAsync ? await r0 : r0;
    const elapsed = performance.now() - t0;
    if (after) await after.call(task as never, "run");
    return measuredDuration(r) ?? elapsed;
  };
  if (selfMeasured || hooked) return { sample: timed, batch: 1, async: true };
  let best = Infinity;
  for (let g = 0; g < 5; g++) {
    const t0 = performance.now();
    for (let i = 0; i < 16; i++) {
      const r = call();
      if (isAsync) await r;
    }
    best = Math.min(best, (performance.now() - t0) / 16);
  }
  if (best >= BATCH_BELOW_MS) {
    if (!isAsync) {
      return {
        sample: () => {
          const t0 = performance.now();
          call();
          return performance.now() - t0;
        },
        batch: 1,
        async: false,
      };
    }
    return { sample: timed, batch: 1, async: true };
  }
  const batch = Math.max(2, Math.min(8192, Math.ceil(BATCH_SAMPLE_MS / Math.max(best, 0.000_001))));
  if (!isAsync) {
    return {
      sample: () => {
        const t0 = performance.now();
        for (let i = 0; i < batch; i++) call();
        return (performance.now() - t0) / batch;
      },
      batch,
      async: false,
    };
  }
  return {
    sample: async () => {
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) await call();
      return (performance.now() - t0) / batch;
    },
    batch,
    async: true,
  };
}

let calibrationSink = 0;

/** One calibration sample (ms). */
function calibrationSample(): number {
  const t0 = performance.now();
  calibrationSink += calibrationWorkload();
  return performance.now() - t0;
}

interface CaseRound {
  /** Median of the case's per-call samples (ms). */
  readonly ms: number;
  /** Median of the paired calibration samples (ms). */
  readonly calibrationMs: number;
  /** Median over pairs of case sample ÷ calibration sample. */
  readonly normalised: number;
  readonly samples: number;
}

/**
 * Samples a case for `ms`: calibration, case, calibration, case… Each case sample is divided by the calibration sample
 * next to it, so a machine that slows down for a while (another process, a throttled vCPU) slows both alike.
 */
async function sampleCase(s: Sampler, ms: number): Promise<CaseRound> {
  const xs: number[] = [];
  const cs: number[] = [];
  const ratios: number[] = [];
  const until = performance.now() + ms;
  while (performance.now() < until || xs.length < MIN_SAMPLES) {
    const c = calibrationSample();
    const x = s.async ? await s.sample() : (s.sample() as number);
    xs.push(x);
    cs.push(c);
    ratios.push(x / c);
    if (xs.length >= MAX_SAMPLES) break;
  }
  return { ms: median(xs), calibrationMs: median(cs), normalised: median(ratios), samples: xs.length };
}

interface Args {
  update: boolean;
  rounds: number;
  timeMs: number | null;
  threshold: number;
  floor: number;
  json: string | null;
  baseline: string;
  filters: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    update: false,
    rounds: 3,
    timeMs: null,
    threshold: 1.5,
    floor: 0.0002,
    json: null,
    baseline: DEFAULT_BASELINE,
    filters: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--update") args.update = true;
    else if (a === "--rounds") args.rounds = Math.max(1, Number(value()));
    else if (a === "--time") args.timeMs = Math.max(20, Number(value()));
    else if (a === "--threshold") args.threshold = Number(value());
    else if (a === "--floor") args.floor = Math.max(0, Number(value()));
    else if (a === "--json") args.json = resolve(value());
    else if (a === "--baseline") args.baseline = resolve(value());
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else args.filters.push(a);
  }
  if (!(args.threshold > 1)) throw new Error("--threshold must be > 1");
  return args;
}

function fmtNs(ns: number | null): string {
  if (ns === null || !Number.isFinite(ns)) return "-";
  if (ns < 10) return `${ns.toFixed(2)} ns`;
  if (ns < 1000) return `${ns.toFixed(1)} ns`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(2)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

function fmtNum(x: number | null, digits = 4): string {
  return x === null || !Number.isFinite(x) ? "-" : x.toPrecision(digits);
}

function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  alignRight: readonly boolean[],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (alignRight[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`bench gate: ${(err as Error).message}`);
    return 2;
  }
  const rt = runtimeInfo();
  const started = performance.now();
  const files = (await readdir(HERE))
    .filter((f) => f.endsWith(".bench.ts"))
    .filter((f) => args.filters.length === 0 || args.filters.some((x) => f.includes(x)))
    .sort();
  if (files.length === 0) {
    console.error(`bench gate: no bench/*.bench.ts suite matches ${args.filters.join(", ")}`);
    return 2;
  }

  const bench = new GateBench({ name: "gate" });
  const loadErrors = new Map<string, string>();
  for (const file of files) {
    const suite = basename(file, ".bench.ts");
    bench.suite = suite;
    const before = bench.registered.length;
    try {
      const mod = await import(pathToFileURL(join(HERE, file)).href) as { register?: (b: Bench) => unknown };
      if (typeof mod.register !== "function") throw new Error("does not export register(bench)");
      await mod.register(bench);
    } catch (err) {
      // A suite that cannot load fails the gate: its hot paths would otherwise go unwatched.
      loadErrors.set(`${suite}: (suite failed to load)`, err instanceof Error ? err.message : String(err));
      bench.registered.splice(before);
    }
  }

  // Prepare every case once (warm-up, probe, batching decision); a case that throws here is reported as an error.
  const runErrors = new Map<string, string>();
  const samplers = new Map<string, Sampler>();
  for (const c of bench.registered) {
    try {
      samplers.set(c.name, await prepare(c, bench.getTask(c.name)));
    } catch (err) {
      runErrors.set(c.name, err instanceof Error ? err.message : String(err));
    }
  }
  const cases = bench.registered.filter((c) => samplers.has(c.name));
  const batched = cases.filter((c) => samplers.get(c.name)!.batch > 1).length;
  const perCase = args.timeMs ??
    Math.max(150, Math.min(600, Math.floor(BUDGET_MS / (args.rounds * Math.max(1, cases.length)))));
  console.log(
    `bench gate: ${rt.label}, ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}; ${files.length} suites, ` +
      `${cases.length} cases, ${args.rounds} rounds × ${perCase} ms per case (half of it calibration)` +
      (batched > 0 ? `; ${batched} fast cases timed in batches` : ""),
  );

  // Rounds: every case in registration order, each sample paired with a calibration sample.
  const perRound = new Map<string, CaseRound[]>();
  for (let round = 0; round < args.rounds; round++) {
    for (const c of cases) {
      if (runErrors.has(c.name)) continue;
      try {
        const r = await sampleCase(samplers.get(c.name)!, perCase);
        (perRound.get(c.name) ?? perRound.set(c.name, []).get(c.name)!).push(r);
      } catch (err) {
        runErrors.set(c.name, err instanceof Error ? err.message : String(err));
      }
    }
    process.stdout.write(
      `  round ${round + 1}/${args.rounds} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
    );
  }
  if (calibrationSink === 0.5) console.log("unreachable");

  const measured: Measured[] = [];
  for (const c of cases) {
    if (runErrors.has(c.name)) continue;
    const rounds = perRound.get(c.name)!;
    measured.push({
      name: c.name,
      suite: c.suite,
      ns: median(rounds.map((r) => r.ms)) * 1e6,
      normalised: median(rounds.map((r) => r.normalised)),
      rounds: rounds.map((r) => r.normalised),
    });
  }
  const allCal = [...perRound.values()].flatMap((rs) => rs.map((r) => r.calibrationMs));
  const calibrationNs = allCal.length > 0 ? median(allCal) * 1e6 : NaN;
  const batchOf = (name: string) => samplers.get(name)?.batch ?? 1;

  let baselineFile: BaselineFile | null = null;
  try {
    baselineFile = JSON.parse(await readFile(args.baseline, "utf8")) as BaselineFile;
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") {
      console.error(`bench gate: cannot read ${relative(ROOT, args.baseline)}: ${(err as Error).message}`);
      return 1;
    }
  }
  let base = baselineFile?.runtimes?.[rt.name];
  const notes: string[] = [];
  if (base && base.calibration.id !== CALIBRATION_ID) {
    notes.push(
      `the baseline's calibration is "${base.calibration.id}", this gate's is "${CALIBRATION_ID}": figures are not ` +
        `comparable, so every case counts as new until the baseline is re-recorded`,
    );
    base = undefined;
  }
  if (!base && !args.update) {
    notes.push(`no ${rt.name} baseline in ${relative(ROOT, args.baseline)}: every case is new`);
  }

  // Calibration report: the per-case medians of the paired calibration samples.
  const spread = (xs: readonly number[]) => (xs.length === 0 ? 0 : (Math.max(...xs) / Math.min(...xs) - 1) * 100);
  const sortedCal = [...allCal].sort((a, b) => a - b);
  console.log(
    `\ncalibration (${CALIBRATION_ID}): ${fmtNs(calibrationNs)} per run (median over ${allCal.length} case windows; ` +
      `fastest ${fmtNs(sortedCal[0]! * 1e6)}, slowest ${fmtNs(sortedCal.at(-1)! * 1e6)}: the machine's speed moved ` +
      `${spread(allCal).toFixed(0)}% during the run)` +
      (base
        ? `; baseline machine: ${fmtNs(base.calibration.ns)} (${
          (calibrationNs / base.calibration.ns).toFixed(2)
        }× that)`
        : ""),
  );

  const errors = new Map([...loadErrors, ...runErrors]);
  const { rows, missing, failed } = compare(measured, errors, base, args.threshold, args.floor);
  const byName = new Map(measured.map((m) => [m.name, m]));
  console.log();
  console.log(
    table(
      ["case", "per call", "normalised", "baseline", "× baseline", "rounds spread", "verdict"],
      rows.map((r) => {
        const m = byName.get(r.name);
        return [
          r.name + (batchOf(r.name) > 1 ? " †" : ""),
          fmtNs(r.ns),
          fmtNum(r.normalised),
          fmtNum(r.baseline),
          r.ratio === null ? "-" : `${r.ratio.toFixed(2)}×`,
          m && m.rounds.length > 1 ? `${spread(m.rounds).toFixed(0)}%` : "-",
          r.verdict === "error" ? `error: ${r.detail}` : r.verdict,
        ];
      }),
      [false, true, true, true, true, true, false],
    ),
  );
  if (batched > 0) console.log("† timed by the gate in batches of calls (each sample is the per-call mean of a batch)");
  for (const n of notes) console.log(`note: ${n}`);
  if (missing.length > 0 && args.filters.length === 0) {
    console.log(`note: in the baseline but not measured (renamed or removed?): ${missing.join("; ")}`);
  }
  const fresh = rows.filter((r) => r.verdict === "new");
  if (fresh.length > 0 && base && !args.update) {
    console.log(`note: ${fresh.length} case(s) have no baseline yet: reported, not gated (record them with --update)`);
  }

  if (args.json) {
    await writeFile(
      args.json,
      JSON.stringify({ runtime: rt.label, calibrationNs, date: new Date().toISOString(), rows, measured }, null, 2) +
        "\n",
    );
  }

  if (args.update) {
    if (errors.size > 0) {
      console.error("\nbench gate: not updating the baseline while a case fails");
      return 1;
    }
    const next = updatedBaseline(baselineFile, rt.name, rt.label, measured, calibrationNs, {
      partial: args.filters.length > 0,
      date: new Date().toISOString().slice(0, 10),
      cpu: `${cpus().length} × ${cpus()[0]?.model ?? "unknown"}`,
    });
    await writeFile(args.baseline, JSON.stringify(next, null, 2) + "\n");
    console.log(
      `\nbench gate: wrote ${measured.length} ${rt.name} case(s) to ${
        relative(ROOT, args.baseline)
      }: commit it with a ` +
        `message that says why the baseline moved`,
    );
    return 0;
  }

  const took = ((performance.now() - started) / 1000).toFixed(0);
  if (failed) {
    const offenders = rows.filter((r) => r.verdict === "REGRESSION" || r.verdict === "error");
    console.log(
      `\nbench gate: FAILED (${took} s): ${offenders.length} case(s) over ${args.threshold}× their baseline or broken:`,
    );
    console.log(
      table(
        ["case", "normalised", "baseline", "× baseline", "problem"],
        offenders.map((r) => [
          r.name,
          fmtNum(r.normalised),
          fmtNum(r.baseline),
          r.ratio === null ? "-" : `${r.ratio.toFixed(2)}×`,
          r.verdict === "error" ? r.detail ?? "error" : `slower than ${args.threshold}×`,
        ]),
        [false, true, true, true, false],
      ),
    );
    return 1;
  }
  console.log(`\nbench gate: ok (${took} s): no case is more than ${args.threshold}× slower than its baseline`);
  return 0;
}

if ((import.meta as ImportMeta & { main?: boolean }).main || process.argv[1] === fileURLToPath(import.meta.url)) {
  const code = await main();
  process.exitCode = code;
  // Nothing should keep the process alive; if something does, do not hang CI.
  (setTimeout(() => process.exit(code), 3000) as { unref?: () => void }).unref?.();
}
