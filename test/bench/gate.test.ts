/**
 * The bench gate (bench/gate.ts): its comparison rules, the baseline it writes, and the whole command on the runtime
 * running this test (a short run of one suite against a temp baseline): a case over 1.5× its baseline fails with a
 * table of offenders, a case without a baseline is only reported, `--update` records.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  type BaselineFile,
  compare,
  type Measured,
  median,
  type RuntimeBaseline,
  updatedBaseline,
} from "../../bench/gate.ts";
import { CALIBRATION_ID, calibrationWorkload } from "../../bench/calibration.ts";
import { runtime } from "../harness/runtime.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

const m = (name: string, normalised: number): Measured => ({
  name,
  suite: "s",
  ns: normalised * 1000,
  normalised,
  rounds: [normalised],
});

const base = (cases: Record<string, number>): RuntimeBaseline => ({
  calibration: { id: CALIBRATION_ID, ns: 1000, cpu: "test", date: "2025-01-01" },
  cases: Object.fromEntries(
    Object.entries(cases).map(([k, v]) => [k, { normalised: v, ns: v * 1000, runtime: "deno 2", date: "2025-01-01" }]),
  ),
});

describe("compare", () => {
  test("fails a case more than 1.5× slower after normalising, and only that case", () => {
    const { rows, failed } = compare(
      [m("a", 1.0), m("b", 1.6), m("c", 0.5)],
      new Map(),
      base({ a: 1, b: 1, c: 1 }),
      1.5,
    );
    assert.equal(failed, true);
    assert.deepEqual(rows.map((r) => [r.name, r.verdict]), [["a", "ok"], ["b", "REGRESSION"], ["c", "faster"]]);
    assert.equal(rows[1]!.ratio, 1.6);
  });

  test("a slowdown smaller than the noise floor (in calibrations) is reported, not failed", () => {
    // 0.0002 → 0.00036 calibrations: 1.8× but ~4 ns where the calibration takes 25 µs.
    const { rows, failed } = compare([m("tiny", 0.00036)], new Map(), base({ tiny: 0.0002 }), 1.5, 0.0002);
    assert.equal(failed, false);
    assert.equal(rows[0]!.verdict, "slower, under the noise floor");
    assert.equal(compare([m("big", 0.0036)], new Map(), base({ big: 0.002 }), 1.5, 0.0002).failed, true);
  });

  test("exactly at the threshold passes; a little slower is reported, not failed", () => {
    const { rows, failed } = compare([m("a", 1.5), m("b", 1.2)], new Map(), base({ a: 1, b: 1 }), 1.5);
    assert.equal(failed, false);
    assert.deepEqual(rows.map((r) => r.verdict), ["slower", "slower"]);
  });

  test("a new case is reported, not failed; a baseline case not measured is listed as missing", () => {
    const { rows, missing, failed } = compare([m("fresh", 9)], new Map(), base({ gone: 1 }), 1.5);
    assert.equal(failed, false);
    assert.deepEqual(rows.map((r) => [r.name, r.verdict]), [["fresh", "new"]]);
    assert.deepEqual(missing, ["gone"]);
  });

  test("without a baseline for this runtime every case is new", () => {
    const { rows, failed } = compare([m("a", 1)], new Map(), undefined, 1.5);
    assert.equal(failed, false);
    assert.equal(rows[0]!.verdict, "new");
  });

  test("a case or suite that errors fails the gate", () => {
    const { rows, failed } = compare([], new Map([["suite: (suite failed to load)", "boom"]]), base({}), 1.5);
    assert.equal(failed, true);
    assert.equal(rows[0]!.verdict, "error");
    assert.equal(rows[0]!.detail, "boom");
  });
});

describe("updatedBaseline", () => {
  const opts = { date: "2025-02-03", cpu: "2 × test" };

  test("records each case's normalised figure, runtime and date, sorted, under the runtime's name", () => {
    const next = updatedBaseline(null, "deno", "deno 2.9.6", [m("b", 0.123456789), m("a", 2)], 25_000, {
      ...opts,
      partial: false,
    });
    const rt = next.runtimes.deno!;
    assert.deepEqual(Object.keys(rt.cases), ["a", "b"]);
    assert.deepEqual(rt.cases.b, { normalised: 0.1235, ns: 123.5, runtime: "deno 2.9.6", date: "2025-02-03" });
    assert.deepEqual(rt.calibration, { id: CALIBRATION_ID, ns: 25_000, cpu: "2 × test", date: "2025-02-03" });
    assert.match(next.note ?? "", /commit that says why/);
  });

  test("a full update replaces the runtime's cases; a filtered one merges; other runtimes are kept", () => {
    const file: BaselineFile = { runtimes: { deno: base({ old: 1, a: 1 }), bun: base({ x: 1 }) } };
    const full = updatedBaseline(file, "deno", "deno 2", [m("a", 2)], 1000, { ...opts, partial: false });
    assert.deepEqual(Object.keys(full.runtimes.deno!.cases), ["a"]);
    assert.deepEqual(Object.keys(full.runtimes.bun!.cases), ["x"]);
    const partial = updatedBaseline(file, "deno", "deno 2", [m("a", 2)], 1000, { ...opts, partial: true });
    assert.deepEqual(Object.keys(partial.runtimes.deno!.cases), ["a", "old"]);
    assert.equal(partial.runtimes.deno!.cases.a!.normalised, 2);
  });
});

test("median", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
});

test("the calibration workload is deterministic CPU work", () => {
  assert.equal(calibrationWorkload(), calibrationWorkload());
  assert.ok(calibrationWorkload() > 0);
});

test("every bench/*.bench.ts suite exports register(bench)", async () => {
  const files = (await readdir(join(ROOT, "bench"))).filter((f) => f.endsWith(".bench.ts"));
  assert.ok(files.includes("hooks.bench.ts") && files.includes("passthrough.bench.ts"), files.join(", "));
  for (const f of files) {
    const mod = await import(pathToFileURL(join(ROOT, "bench", f)).href) as { register?: unknown };
    assert.equal(typeof mod.register, "function", `${f} must export register(bench)`);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// The command itself, on this runtime: one suite, short timings.

function gateCommand(args: string[]): [string, string[]] {
  const file = join(ROOT, "bench", "gate.ts");
  if (runtime === "deno") return [process.execPath, ["run", "-A", file, ...args]];
  if (runtime === "bun") return [process.execPath, ["run", file, ...args]];
  return [process.execPath, ["--import", join(ROOT, "test", "node-loader.mjs"), file, ...args]];
}

function runGate(args: string[]): Promise<{ code: number | null; out: string }> {
  const [bin, argv] = gateCommand(args);
  return new Promise((done, fail) => {
    const child = spawn(bin, argv, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (out += b));
    child.on("error", fail);
    child.on("exit", (code) => done({ code, out }));
  });
}

describe(`the gate command on ${runtime}`, () => {
  let dir: string;
  let baselinePath: string;
  const quick = ["routing", "--rounds", "1", "--time", "40"];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "switchyard-gate-test-"));
    baselinePath = join(dir, "baseline.json");
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test(
    "--update records the suite's cases, then a run against that baseline passes",
    { timeout: 120_000 },
    async () => {
      const rec = await runGate([...quick, "--update", "--baseline", baselinePath]);
      assert.equal(rec.code, 0, rec.out);
      const file = JSON.parse(await readFile(baselinePath, "utf8")) as BaselineFile;
      const cases = file.runtimes[runtime]!.cases;
      assert.ok(Object.keys(cases).some((n) => n.startsWith("routing: ")), Object.keys(cases).join(", "));
      for (const c of Object.values(cases)) {
        assert.ok(
          c.normalised > 0 && c.runtime.startsWith(runtime) && /^\d{4}-\d\d-\d\d$/.test(c.date),
          JSON.stringify(c),
        );
      }
      // Generous threshold: this checks the wiring, not this machine's noise.
      const ok = await runGate([...quick, "--threshold", "20", "--baseline", baselinePath]);
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /calibration \(/);
      assert.match(ok.out, /bench gate: ok/);
    },
  );

  test("a case far slower than its baseline fails with exit 1 and a table of offenders; a new case does not", {
    timeout: 120_000,
  }, async () => {
    const file = JSON.parse(await readFile(baselinePath, "utf8")) as BaselineFile;
    const rt = file.runtimes[runtime]!;
    const victim = Object.keys(rt.cases).find((n) => n.includes("smooth weighted"))!;
    const dropped = Object.keys(rt.cases).find((n) => n.includes("resolve model (miss)"))!;
    const cases = { ...rt.cases, [victim]: { ...rt.cases[victim]!, normalised: rt.cases[victim]!.normalised / 1000 } };
    delete (cases as Record<string, unknown>)[dropped];
    await writeFile(baselinePath, JSON.stringify({ runtimes: { [runtime]: { ...rt, cases } } }));
    const res = await runGate([...quick, "--baseline", baselinePath]);
    assert.equal(res.code, 1, res.out);
    const failure = res.out.slice(res.out.indexOf("bench gate: FAILED"));
    assert.ok(failure.includes(victim), failure);
    assert.ok(!failure.includes(dropped), "a case without a baseline is not an offender");
    assert.match(res.out, new RegExp(`${dropped.replace(/[()+]/g, "\\$&")}.*new`));
  });
});
