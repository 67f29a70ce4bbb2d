#!/usr/bin/env node
// The one test command: `npm test` / `deno task test` / `node test/run-all.mjs`.
//
// Finds test/**/*.test.ts (not under fixtures/) and runs every file under Deno, Bun and Node 20 in turn, one
// process per file, streaming each runtime's own output. Each file writes a JUnit report; results are counted from
// those reports as LEAF test cases (a describe group is not a test, the tests nested in it are), plus one failure
// for every file that exited non-zero without a failing test (syntax/import error, uncaught exception, unhandled
// rejection, crash), timed out, or wrote no report. The last line printed is `N passed, N failed` (totals across
// runtimes); the exit code is non-zero on any failure, on a runtime that is missing or reported no test, and when
// no test ran. Every reason for a non-zero exit is counted in "failed".
//
//   node test/run-all.mjs [--runtime deno|bun|node]... [--check] [--timeout SEC] [--file-timeout SEC] [FILTER...]
//
// FILTER: a file or directory path, or a substring of the repo-relative path (any match selects the file).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
export const RUNTIMES = ["deno", "bun", "node"];
const NODE_LOADER = join(ROOT, "test", "node-loader.mjs");

const USAGE = `usage: node test/run-all.mjs [options] [FILTER...]
  --runtime R        deno | bun | node; repeatable or comma-separated (default: all three, in that order)
  --check            type-check the selected files with \`deno check\` first (counts as one test under deno)
  --timeout SEC      budget per runtime (default 480); files not run when it runs out count as failed
  --file-timeout SEC limit per test file (default 180)
  FILTER             a test file or directory, or a substring of the path relative to the repo root`;

// ---------------------------------------------------------------------------------------------------------------
// Command lines (exported for test/harness/sanity.test.ts)

/**
 * Command (without the binary) that runs one test file under `runtime`, writing a JUnit report to `junitPath`.
 * @param {string} runtime
 * @param {string} file
 * @param {string} junitPath
 * @param {{ fileTimeoutMs?: number }} [options]
 * @returns {string[]}
 */
export function testArgs(runtime, file, junitPath, { fileTimeoutMs = 180_000 } = {}) {
  switch (runtime) {
    case "deno":
      // Type-checking is a separate step (--check / `deno task check`): per file it would re-check the whole graph.
      return ["test", "-A", "--no-check", `--junit-path=${junitPath}`, file];
    case "bun":
      // Bun's default per-test timeout is 5 s; Deno and Node have none. Align on the file limit.
      return ["test", `--timeout=${fileTimeoutMs}`, "--reporter=junit", `--reporter-outfile=${junitPath}`, file];
    case "node":
      return [
        "--import", NODE_LOADER,
        "--test-reporter=spec", "--test-reporter-destination=stdout",
        "--test-reporter=junit", `--test-reporter-destination=${junitPath}`,
        file,
      ];
    default:
      throw new Error(`unknown runtime ${runtime}`);
  }
}

/**
 * Environment for a runtime's child process.
 * @param {string} runtime
 * @returns {Record<string, string | undefined>}
 */
export function testEnv(runtime, base = process.env) {
  const env = {
    ...base,
    SWITCHYARD_TEST_RUNTIME: runtime,
    // test/node-loader.mjs fails a Node test file still running this long after its last test (a leaked handle).
    SWITCHYARD_TEST_EXIT_GRACE_MS: base.SWITCHYARD_TEST_EXIT_GRACE_MS ?? "5000",
    DENO_NO_UPDATE_CHECK: "1",
    DENO_NO_PROMPT: "1",
  };
  delete env.NODE_TEST_CONTEXT; // set when run under `node --test`: it would switch the child's reporter off
  return env;
}

/** Path of the runtime's binary: node_modules/.bin first, then PATH; Node is the one running this script. */
export function findBinary(runtime) {
  if (runtime === "node") return process.execPath;
  const local = join(ROOT, "node_modules", ".bin", runtime);
  if (existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, runtime))) return join(dir, runtime);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// JUnit counting

const ENTITIES = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const decode = (s) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e) =>
    e[0] === "#"
      ? String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10))
      : ENTITIES[e] ?? m);

/** @typedef {{ name: string, attrs: Record<string, string>, children: XmlElement[] }} XmlElement */
/** @typedef {{ passed: number, failed: number, skipped: number, failedNames: string[] }} Counts */

/**
 * Minimal XML reader: elements and attributes only (text, comments, CDATA, declarations skipped).
 * @param {string} text
 * @returns {XmlElement}
 */
export function parseXml(text) {
  /** @type {XmlElement} */
  const root = { name: "#document", attrs: {}, children: [] };
  const stack = [root];
  const token =
    /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[?!][\s\S]*?>|<\/([\w:.-]+)\s*>|<([\w:.-]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  const attr = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  for (let m; (m = token.exec(text));) {
    if (m[1]) {
      const i = stack.findLastIndex((el) => el.name === m[1]);
      if (i > 0) stack.length = i;
    } else if (m[2]) {
      const el = { name: m[2], attrs: {}, children: [] };
      for (let a; (a = attr.exec(m[3]));) el.attrs[a[1]] = decode(a[2] ?? a[3]);
      stack.at(-1).children.push(el);
      if (!m[4]) stack.push(el);
    }
  }
  return root;
}

function* elements(el, name) {
  for (const c of el.children) {
    if (c.name === name) yield c;
    yield* elements(c, name);
  }
}

/**
 * Counts leaf test cases in one runtime's JUnit report of one file. Node and Bun write a describe (or a test with
 * subtests) as <testsuite>, so every <testcase> is a leaf. Deno writes every test and step as a <testcase> named
 * by its path ("group > inner > test"): a case is a leaf when no other case's name extends its own. A failing
 * non-leaf whose descendants all passed (a failing hook) counts as one failure. Returns null for a document that is
 * not a JUnit report.
 * @param {string} xml
 * @param {string} runtime
 * @returns {Counts | null}
 */
export function countJUnit(xml, runtime) {
  const doc = parseXml(xml);
  if (!doc.children.some((el) => el.name === "testsuites" || el.name === "testsuite")) return null;
  const cases = [...elements(doc, "testcase")].map((el) => ({
    name: el.attrs.name ?? "",
    failed: el.children.some((c) => c.name === "failure" || c.name === "error") || "failure" in el.attrs,
    skipped: el.children.some((c) => c.name === "skipped"),
  }));
  /** @type {Counts} */
  const counts = { passed: 0, failed: 0, skipped: 0, failedNames: [] };
  const tally = (c) => {
    if (c.failed) counts.failed++, counts.failedNames.push(c.name);
    else if (c.skipped) counts.skipped++;
    else counts.passed++;
  };
  if (runtime !== "deno") {
    cases.forEach(tally);
    return counts;
  }
  for (const c of cases) {
    const prefix = `${c.name} > `;
    const descendants = cases.filter((d) => d.name.startsWith(prefix));
    if (descendants.length === 0) tally(c);
    else if (c.failed && !descendants.some((d) => d.failed)) tally(c);
  }
  return counts;
}

/**
 * Folds a file's exit status and report into its counted result.
 * @param {{ counts: Counts | null, code: number | null, signal: string | null, timedOut: boolean }} run
 * @returns {Counts & { notes: string[] }}
 */
export function judgeFile({ counts, code, signal, timedOut }) {
  /** @type {Counts} */
  const r = counts ? { ...counts } : { passed: 0, failed: 0, skipped: 0, failedNames: [] };
  const notes = [];
  if (timedOut) notes.push("timed out (killed)");
  else if (!counts && code === 0 && !signal) return { ...r, notes }; // Bun writes no report for a file without tests
  else if (!counts) notes.push(`wrote no JUnit report (exit ${signal ?? code})`);
  else if ((code !== 0 || signal) && r.failed === 0) {
    notes.push(`exited ${signal ?? `with code ${code}`} but no test failed: an error outside any test ` +
      "(syntax/import error, uncaught exception, unhandled rejection, hook) or a crash");
  }
  if (notes.length > 0) r.failed++;
  return { ...r, notes };
}

// ---------------------------------------------------------------------------------------------------------------
// Discovery

const toPosix = (p) => p.split(sep).join("/");

export function findTestFiles(dir = join(ROOT, "test")) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== "fixtures") walk(p);
      } else if (e.name.endsWith(".test.ts")) out.push(toPosix(relative(ROOT, p)));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

function selectFiles(filters) {
  const all = findTestFiles();
  if (filters.length === 0) return all;
  const picked = new Set();
  for (const f of filters) {
    const abs = resolve(f);
    if (existsSync(abs) && statSync(abs).isFile()) picked.add(toPosix(relative(ROOT, abs)));
    else if (existsSync(abs) && statSync(abs).isDirectory()) findTestFiles(abs).forEach((p) => picked.add(p));
    all.filter((p) => p.includes(toPosix(f))).forEach((p) => picked.add(p));
  }
  return [...picked].sort();
}

// ---------------------------------------------------------------------------------------------------------------
// Running

let current = null; // the child process group running now, killed on SIGINT/SIGTERM

function killGroup(child, sig) {
  try {
    process.kill(-child.pid, sig);
  } catch { /* already gone */ }
}

/** Runs one command in its own process group, output inherited; resolves with its exit status. */
function run(bin, args, { env, timeoutMs }) {
  return new Promise((done) => {
    let child;
    try {
      child = spawn(bin, args, { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"], detached: true });
    } catch (error) {
      done({ code: null, signal: null, error, timedOut: false });
      return;
    }
    current = child;
    let timedOut = false;
    let hardKill;
    const timer = setTimeout(() => {
      timedOut = true;
      console.log(`\n✖ run-all: timed out after ${Math.round(timeoutMs / 1000)} s, killing ${args.at(-1)}`);
      killGroup(child, "SIGTERM");
      hardKill = setTimeout(() => killGroup(child, "SIGKILL"), 3000);
    }, timeoutMs);
    const finish = (res) => {
      clearTimeout(timer);
      clearTimeout(hardKill);
      killGroup(child, "SIGKILL"); // whatever the test left running in its group (servers, subprocesses)
      current = null;
      done({ timedOut, ...res });
    };
    child.once("error", (error) => finish({ code: null, signal: null, error }));
    child.once("exit", (code, signal) => finish({ code, signal }));
  });
}

function parseArgs(argv) {
  const opts = { runtimes: [], filters: [], check: false, timeoutMs: 480_000, fileTimeoutMs: 180_000 };
  const seconds = (v, name) => {
    const n = Number(v);
    if (!(n > 0)) throw new Error(`${name} needs a positive number of seconds, got ${v}`);
    return n * 1000;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--") opts.filters.push(...argv.slice(i + 1)), (i = argv.length);
    else if (flag === "--runtime" || flag === "-r") opts.runtimes.push(...value().split(",").filter(Boolean));
    else if (flag === "--check") opts.check = true;
    else if (flag === "--timeout") opts.timeoutMs = seconds(value(), flag);
    else if (flag === "--file-timeout") opts.fileTimeoutMs = seconds(value(), flag);
    else if (flag === "--help" || flag === "-h") opts.help = true;
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else opts.filters.push(a);
  }
  for (const r of opts.runtimes) if (!RUNTIMES.includes(r)) throw new Error(`unknown runtime ${r}`);
  opts.runtimes = opts.runtimes.length ? RUNTIMES.filter((r) => opts.runtimes.includes(r)) : RUNTIMES;
  return opts;
}

const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

async function runRuntime(runtime, files, opts, reportDir) {
  const started = Date.now();
  const res = { runtime, passed: 0, failed: 0, skipped: 0, files: [], problems: [], ms: 0 };
  const problem = (file, note) => res.problems.push({ file, note });
  const bin = findBinary(runtime);
  console.log(`\n════════ ${runtime} ════════`);
  if (!bin) {
    res.failed++;
    problem(null, `${runtime} binary not found (node_modules/.bin or PATH): run npm ci`);
    return res;
  }
  const env = testEnv(runtime);
  const deadline = started + opts.timeoutMs;

  if (opts.check && runtime === "deno") {
    console.log(`\n▶ deno check (${files.length} files)`);
    const r = await run(bin, ["check", ...files], { env, timeoutMs: Math.max(1, deadline - Date.now()) });
    if (r.code === 0) res.passed++;
    else res.failed++, problem(null, `deno check failed (${r.timedOut ? "timed out" : `exit ${r.signal ?? r.code}`})`);
  }

  for (const [i, file] of files.entries()) {
    const left = deadline - Date.now();
    if (left <= 0) {
      res.failed++;
      problem(file, `not run: the ${runtime} budget of ${secs(opts.timeoutMs)} ran out`);
      continue;
    }
    const junit = join(reportDir, `${runtime}-${i}.xml`);
    console.log(`\n▶ ${runtime} ${file}`);
    const fileStarted = Date.now();
    const r = await run(bin, testArgs(runtime, file, junit, opts), { env, timeoutMs: Math.min(opts.fileTimeoutMs, left) });
    if (r.error) {
      res.failed++;
      problem(file, `could not start ${bin}: ${r.error.message}`);
      continue;
    }
    let counts = null;
    try {
      counts = countJUnit(readFileSync(junit, "utf8"), runtime);
    } catch { /* no report */ }
    const judged = judgeFile({ counts, ...r });
    res.passed += judged.passed;
    res.failed += judged.failed;
    res.skipped += judged.skipped;
    res.files.push({ file, ms: Date.now() - fileStarted, ...judged });
    for (const note of judged.notes) {
      problem(file, note);
      console.log(`✖ run-all: ${file}: ${note}`);
    }
    for (const name of judged.failedNames) problem(file, `failed: ${name}`);
    if (judged.passed + judged.failed + judged.skipped === 0) console.log(`⚠ run-all: ${file}: no test found`);
  }
  if (res.passed + res.failed === 0) {
    res.failed++;
    problem(null, `${runtime} ran no test${res.skipped ? ` (${res.skipped} skipped)` : ""}`);
  }
  res.ms = Date.now() - started;
  return res;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.log(`run-all: ${e.message}\n${USAGE}`);
    console.log("0 passed, 1 failed");
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const files = selectFiles(opts.filters);
  if (files.length === 0) {
    console.log(`run-all: no test files found${opts.filters.length ? ` for ${opts.filters.join(" ")}` : ""}`);
    console.log("0 passed, 1 failed");
    return 1;
  }
  console.log(`run-all: ${files.length} test file(s) × ${opts.runtimes.join(", ")}`);

  const onSignal = (sig) => {
    if (current) killGroup(current, "SIGKILL");
    process.exit(sig === "SIGINT" ? 130 : 143);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const reportDir = mkdtempSync(join(tmpdir(), "switchyard-junit-"));
  const results = [];
  try {
    for (const runtime of opts.runtimes) results.push(await runRuntime(runtime, files, opts, reportDir));
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }

  // Summary.
  console.log("\n════════ summary ════════");
  const width = Math.max(...results.map((r) => r.runtime.length));
  for (const r of results) {
    const slowest = [...r.files].sort((a, b) => b.ms - a.ms).slice(0, 3).map((f) => `${f.file} ${secs(f.ms)}`);
    console.log(`${r.runtime.padEnd(width)}  ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped` +
      `  (${r.files.length} files, ${secs(r.ms)}${slowest.length > 1 ? `; slowest: ${slowest.join(", ")}` : ""})`);
  }
  if (results.length > 1) {
    // A file that passes everywhere but runs a different number of tests on one runtime may hide a runtime-specific
    // problem (a test not registered, a swallowed load error).
    const perFile = new Map();
    for (const r of results) {
      for (const f of r.files) perFile.set(f.file, [...(perFile.get(f.file) ?? []), { runtime: r.runtime, ...f }]);
    }
    for (const [file, rs] of perFile) {
      const empty = rs.filter((f) => f.passed + f.failed + f.skipped === 0).map((f) => f.runtime);
      if (empty.length) console.log(`note: ${file} has no test under ${empty.join(", ")}`);
      const clean = rs.length === results.length && rs.every((f) => f.failed === 0);
      if (clean && new Set(rs.map((f) => f.passed + f.skipped)).size > 1) {
        console.log(`note: ${file} runs a different number of tests per runtime: ` +
          rs.map((f) => `${f.runtime} ${f.passed + f.skipped}`).join(", "));
      }
    }
  }
  const problems = results.flatMap((r) => r.problems.map((p) => ({ runtime: r.runtime, ...p })));
  if (problems.length) {
    console.log("\nfailures:");
    const shown = problems.slice(0, 60);
    for (const p of shown) console.log(`  ${p.runtime.padEnd(width)}  ${p.file ?? "-"}  ${p.note}`);
    if (problems.length > shown.length) console.log(`  … and ${problems.length - shown.length} more (see above)`);
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(`\n${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

const invokedDirectly = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) process.exitCode = await main();
