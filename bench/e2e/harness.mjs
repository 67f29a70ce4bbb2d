// End-to-end overhead benchmark: Switchyard vs a bare Hono `fetch` proxy vs calling the upstream directly.
//
// Every server runs in its own process (so its RSS is its own): one fake OpenAI upstream (bench/e2e/upstream.mjs,
// on Node by default, shared by every run), and per runtime under test a Switchyard (its CLI: `deno run -A mod.ts`,
// `bun run mod.ts`, `node <esbuild bundle>`) and the bare proxy (bench/e2e/bare-proxy.ts). The load comes from this
// process: keep-alive `node:http` agents, N workers each sending one request after the other, bounded in time and
// count, loopback only. Latency is request start → last body byte; "added" latency is the same percentile minus the
// direct call's, measured in the same round.
//
// Library for bench/e2e/run.mjs (the CLI) and test/bench/e2e-smoke.test.ts. Plain JS on node: built-ins, so it runs
// under Node, Deno and Bun alike.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const RUNTIMES = ["deno", "bun", "node"];
const CLIENT_KEY = "sk-bench-client";

/** The runtime executing this module. */
export function currentRuntime() {
  if (globalThis.Deno !== undefined) return "deno";
  if (globalThis.Bun !== undefined) return "bun";
  return "node";
}

/** Path of a runtime's binary: this process's own, node_modules/.bin, or PATH. Null when absent. */
export function binary(name) {
  if (name === currentRuntime()) return process.execPath;
  const local = join(ROOT, "node_modules", ".bin", name);
  if (existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

/**
 * Starts a server process and waits for its `listening on http://…` line (stdout or stderr).
 * @returns {Promise<{ name: string, pid: number, url: string, output: () => string, stop: () => Promise<void> }>}
 */
export function startServer(name, bin, args, { timeoutMs = 60_000, env = {} } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, {
      cwd: ROOT,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let settled = false;
    let exited = false;
    const exit = new Promise((r) =>
      child.once("exit", () => {
        exited = true;
        r();
      })
    );
    const timer = setTimeout(
      () => fail(new Error(`${name} did not report "listening on" within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const fail = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${err.message}\n--- ${name} output ---\n${out.slice(-4000)}`));
    };
    const onData = (buf) => {
      out += buf.toString();
      if (out.length > 64_000) out = out.slice(-32_000);
      const m = /listening on (https?:\/\/[^\s)]+)/.exec(out);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        resolvePromise({
          name,
          pid: child.pid,
          url: m[1].replace(/\/$/, ""),
          output: () => out,
          /** SIGTERM, then SIGKILL after `graceMs` (a Switchyard draining its request logs may need a while). */
          async stop(graceMs = 5000) {
            if (exited) return;
            child.kill("SIGTERM");
            const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
            await exit;
            clearTimeout(t);
          },
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("error", (err) => fail(new Error(`${name}: cannot start ${bin}: ${err.message}`)));
    child.once("exit", (code, signal) => fail(new Error(`${name} exited (${signal ?? code}) before listening`)));
  });
}

/** Resident set size of a process in MB: current (VmRSS) and peak (VmHWM). Null where /proc is not available. */
export function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used, in ms; null where /proc is not available. Linux ticks are 10 ms. */
export function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Load

const SSE_DONE = Buffer.from("data: [DONE]");
const CLAUDE_STOP = Buffer.from("message_stop");

function tailHas(tail, needle) {
  return tail.length >= needle.length && tail.includes(needle);
}

/** What a request sends and how its answer is recognised as complete. */
export function requestSpec(kind, stream) {
  if (kind === "claude") {
    return {
      path: "/v1/messages",
      headers: { "content-type": "application/json", "x-api-key": CLIENT_KEY, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({
        model: "claude-bench",
        max_tokens: 256,
        stream,
        messages: [{ role: "user", content: "Name the capital of France and its river." }],
      }),
      complete: stream ? (tail) => tailHas(tail, CLAUDE_STOP) : (_tail, first) => first[0] === 0x7b,
    };
  }
  return {
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json", authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({
      model: "gpt-bench",
      stream,
      messages: [{ role: "user", content: "Name the capital of France and its river." }],
    }),
    complete: stream ? (tail) => tailHas(tail, SSE_DONE) : (_tail, first) => first[0] === 0x7b,
  };
}

/** One request over `agent`; resolves (never rejects) with its timing and outcome. */
function sendOne(agent, url, spec, payload) {
  return new Promise((resolveOne) => {
    const t0 = performance.now();
    let first = null;
    let prev = null;
    let last = null;
    const req = http.request(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        method: "POST",
        path: spec.path,
        headers: { ...spec.headers, "content-length": payload.length },
      },
      (res) => {
        let ttfb = 0;
        res.on("data", (c) => {
          if (first === null) {
            first = c;
            ttfb = performance.now() - t0;
          }
          prev = last;
          last = c;
        });
        res.on("end", () => {
          const ms = performance.now() - t0;
          const tail = last === null ? Buffer.alloc(0) : prev === null ? last : Buffer.concat([prev, last]);
          const ok = res.statusCode === 200 && first !== null && spec.complete(tail, first);
          resolveOne({ t0, ms, ttfb, status: res.statusCode, ok, head: ok ? "" : String(first ?? "").slice(0, 300) });
        });
        res.on(
          "error",
          (err) => resolveOne({ t0, ms: performance.now() - t0, ttfb: 0, status: 0, ok: false, head: err.message }),
        );
      },
    );
    req.on(
      "error",
      (err) => resolveOne({ t0, ms: performance.now() - t0, ttfb: 0, status: 0, ok: false, head: err.message }),
    );
    req.end(payload);
  });
}

/** A single probe request (for "is this pair available?"). */
export async function probe(baseUrl, spec) {
  const agent = new http.Agent({ keepAlive: false });
  try {
    return await sendOne(agent, new URL(baseUrl), spec, Buffer.from(spec.body));
  } finally {
    agent.destroy();
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/**
 * Drives `concurrency` workers against `baseUrl` for `warmupMs` (discarded) then `durationMs`, at most `maxRequests`
 * and at least `minRequests` measured requests (a cold server may need longer than a short window for its first ones).
 * Samples the server's RSS and CPU time while measuring.
 */
export async function runLoad({
  baseUrl,
  spec,
  concurrency,
  warmupMs,
  durationMs,
  maxRequests = 200_000,
  minRequests = 5,
  pid = null,
}) {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const payload = Buffer.from(spec.body);
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const stopAt = measureFrom + durationMs;
  const latencies = [];
  const ttfbs = [];
  let errors = 0;
  let lastError = "";
  let lastEnd = measureFrom;
  let issued = 0;
  /**
   * Every request the server answered with a status, warm-up included: with `request-log: true` each of them must
   * have its log file, whatever the status.
   */
  let answered = 0;
  let rssMax = null;
  const sample = () => {
    if (pid === null) return;
    const r = rssOf(pid);
    if (r && (rssMax === null || r.rssMb > rssMax)) rssMax = r.rssMb;
  };
  const sampler = setInterval(sample, 200);
  let cpu0 = null;
  const cpuMark = pid === null ? null : setTimeout(() => (cpu0 = cpuMsOf(pid)), warmupMs);
  const worker = async () => {
    for (;;) {
      const now = performance.now();
      if ((now >= stopAt && issued >= minRequests) || issued >= maxRequests) return;
      // Past the window but short of minRequests, workers keep going: the window then ends with the last of them.
      const measured = now >= measureFrom;
      if (measured) issued++;
      const r = await sendOne(agent, url, spec, payload);
      if (r.status > 0) answered++;
      if (!measured) continue;
      if (!r.ok) {
        errors++;
        lastError = `${r.status} ${r.head}`;
        if (errors > 50 && errors > latencies.length) return; // a broken target: stop hammering it
        continue;
      }
      latencies.push(r.ms);
      ttfbs.push(r.ttfb);
      lastEnd = Math.max(lastEnd, r.t0 + r.ms);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    clearInterval(sampler);
    if (cpuMark !== null) clearTimeout(cpuMark);
    agent.destroy();
  }
  sample();
  const cpu1 = pid === null ? null : cpuMsOf(pid);
  latencies.sort((a, b) => a - b);
  ttfbs.sort((a, b) => a - b);
  const seconds = Math.max(1e-3, (lastEnd - measureFrom) / 1000);
  return {
    requests: latencies.length,
    answered,
    errors,
    lastError,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ttfbP50: percentile(ttfbs, 50),
    rssMb: rssMax,
    peakMb: pid === null ? null : rssOf(pid)?.peakMb ?? null,
    /** CPU the server process spent per request (ms), from /proc over the measured window. */
    cpuMsPerRequest: cpu0 === null || cpu1 === null || latencies.length === 0 ? null : (cpu1 - cpu0) / latencies.length,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The benchmark

function switchyardConfig(upstreamUrl, requestLog = false) {
  return `# Written by bench/e2e/harness.mjs
host: 127.0.0.1
port: 0
debug: false
request-log: ${requestLog}
api-keys: ["${CLIENT_KEY}"]
openai-compatibility:
  - name: bench
    base-url: "${upstreamUrl}/v1"
    api-key-entries:
      - api-key: "sk-upstream"
    models:
      - name: gpt-bench-2025-01-01
        alias: gpt-bench
      - name: gpt-bench-2025-01-01
        alias: claude-bench
`;
}

/** The Node bundle of Switchyard, rebuilt on every run (cheap) so it matches the sources. */
async function nodeBundle(log) {
  const outfile = join(ROOT, ".cache", "bench-e2e", "switchyard.mjs");
  await mkdir(dirname(outfile), { recursive: true });
  const { build } = await import("../../scripts/build.mjs");
  const r = await build({ outfile, quiet: true });
  log(`  built ${outfile.slice(ROOT.length + 1)} (${(r.bytes / 1024).toFixed(0)} KiB, ${r.ms} ms)`);
  return outfile;
}

function switchyardCommand(runtime, configPath, bundle) {
  const cli = ["--config", configPath, "--host", "127.0.0.1", "--port", "0"];
  if (runtime === "deno") return ["run", "-A", join(ROOT, "mod.ts"), ...cli];
  if (runtime === "bun") return ["run", join(ROOT, "mod.ts"), ...cli];
  return [bundle, ...cli];
}

function bareCommand(runtime, upstreamUrl, inspect = false) {
  const file = join(ROOT, "bench", "e2e", "bare-proxy.ts");
  const args = ["--upstream", upstreamUrl, ...(inspect ? ["--inspect"] : [])];
  if (runtime === "deno") return ["run", "-A", file, ...args];
  if (runtime === "bun") return ["run", file, ...args];
  return ["--import", join(ROOT, "test", "node-loader.mjs"), file, ...args];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Merges repeated runs of one scenario: the run with the median throughput stands for them (its latencies too). */
function mergeRuns(runs) {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const mid = sorted[(sorted.length - 1) >> 1];
  return {
    ...mid,
    rps: median(runs.map((r) => r.rps)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    requests: runs.reduce((n, r) => n + r.requests, 0),
    rssMb: Math.max(...runs.map((r) => r.rssMb ?? 0)) || null,
    cpuMsPerRequest: runs.every((r) => r.cpuMsPerRequest !== null) ? median(runs.map((r) => r.cpuMsPerRequest)) : null,
    peakMb: Math.max(...runs.map((r) => r.peakMb ?? 0)) || null,
    repeats: runs.length,
  };
}

export const DEFAULTS = {
  full: { warmupMs: 600, durationMs: 2500, repeat: 2, concurrency: [1, 50] },
  quick: { warmupMs: 150, durationMs: 500, repeat: 1, concurrency: [1, 50] },
  /** The quickest mode, for the smoke test: proves the harness produces numbers, measures nothing worth quoting. */
  smoke: { warmupMs: 40, durationMs: 150, repeat: 1, concurrency: [1, 8] },
};

/**
 * Runs the benchmark. Returns { rows, runtimes: { [rt]: { processes, translated } }, settings }.
 * @param {{ runtimes?: string[], quick?: boolean, smoke?: boolean, warmupMs?: number, durationMs?: number, repeat?: number,
 *   concurrency?: number[], events?: number, upstreamRuntime?: string, pairs?: string[], bodies?: string[],
 *   burst?: boolean, requestLog?: boolean, log?: (line: string) => void }} opts
 */
export async function runE2E(opts = {}) {
  const log = opts.log ?? ((line) => console.log(line));
  const base = opts.smoke ? DEFAULTS.smoke : opts.quick ? DEFAULTS.quick : DEFAULTS.full;
  const settings = {
    warmupMs: opts.warmupMs ?? base.warmupMs,
    durationMs: opts.durationMs ?? base.durationMs,
    repeat: opts.repeat ?? base.repeat,
    concurrency: opts.concurrency ?? base.concurrency,
    events: opts.events ?? 50,
    upstreamRuntime: opts.upstreamRuntime ?? (binary("node") ? "node" : currentRuntime()),
    pairs: opts.pairs ?? ["passthrough", "translated"],
    bodies: opts.bodies ?? ["json", "sse"],
    burst: opts.burst ?? false,
    requestLog: opts.requestLog ?? false,
  };
  const runtimes = opts.runtimes ?? RUNTIMES;
  for (const rt of runtimes) if (!RUNTIMES.includes(rt)) throw new Error(`unknown runtime ${rt}`);

  const dir = await mkdtemp(join(tmpdir(), "switchyard-e2e-"));
  const started = [];
  const rows = [];
  const perRuntime = {};
  try {
    const upBin = binary(settings.upstreamRuntime);
    if (!upBin) throw new Error(`${settings.upstreamRuntime} not found for the upstream`);
    const upArgs = [join(ROOT, "bench", "e2e", "upstream.mjs"), "--events", String(settings.events)];
    if (settings.burst) upArgs.push("--burst");
    const upstream = await startServer(
      "upstream",
      upBin,
      settings.upstreamRuntime === "deno"
        ? ["run", "-A", ...upArgs]
        : settings.upstreamRuntime === "bun"
        ? ["run", ...upArgs]
        : upArgs,
    );
    started.push(upstream);
    const configPath = join(dir, "config.yaml");
    await writeFile(configPath, switchyardConfig(upstream.url));
    // With requestLog, a second Switchyard with `request-log: true`, in its own directory (logs go to <config dir>/logs).
    const loggedDir = join(dir, "logged");
    const loggedConfig = join(loggedDir, "config.yaml");
    if (settings.requestLog) {
      await mkdir(loggedDir, { recursive: true });
      await writeFile(loggedConfig, switchyardConfig(upstream.url, true));
    }
    log(
      `upstream: ${settings.upstreamRuntime} ${upstream.url} (${settings.events} SSE events per stream${
        settings.burst ? ", burst" : ""
      })`,
    );

    for (const rt of runtimes) {
      const bin = binary(rt);
      if (!bin) {
        log(`${rt}: not found, skipped`);
        perRuntime[rt] = { skipped: "binary not found" };
        continue;
      }
      const bundle = rt === "node" ? await nodeBundle(log) : null;
      const bare = await startServer(`bare-proxy (${rt})`, bin, bareCommand(rt, upstream.url));
      started.push(bare);
      const inspecting = await startServer(`bare-proxy --inspect (${rt})`, bin, bareCommand(rt, upstream.url, true));
      started.push(inspecting);
      const sy = await startServer(`switchyard (${rt})`, bin, switchyardCommand(rt, configPath, bundle));
      started.push(sy);
      const syLog = settings.requestLog
        ? await startServer(`switchyard, request-log (${rt})`, bin, switchyardCommand(rt, loggedConfig, bundle), {
          // Logs go to <config dir>/logs, where they are counted and removed, not to an operator's WRITABLE_PATH.
          env: { WRITABLE_PATH: "", writable_path: "" },
        })
        : null;
      if (syLog !== null) started.push(syLog);
      let loggedAnswers = 0;
      const idle = { bare: rssOf(bare.pid), switchyard: rssOf(sy.pid) };
      log(`${rt}: bare proxy ${bare.url} (pid ${bare.pid}), switchyard ${sy.url} (pid ${sy.pid})`);

      // Is the translated pair served yet? (501 until the Claude and OpenAI codecs land.)
      let translated = "not measured";
      if (settings.pairs.includes("translated")) {
        const answers = [];
        for (const stream of [false, true]) answers.push(await probe(sy.url, requestSpec("claude", stream)));
        const bad = answers.find((a) => !a.ok);
        translated = bad === undefined
          ? "available"
          : bad.status === 501
          ? "not available yet (501)"
          : `broken (${bad.status}: ${bad.head.slice(0, 160)})`;
        log(`${rt}: translated pair Claude → OpenAI: ${translated}`);
      }
      perRuntime[rt] = { idle, translated, bareUrl: bare.url, switchyardUrl: sy.url };

      for (const body of settings.bodies) {
        const stream = body === "sse";
        for (const concurrency of settings.concurrency) {
          const targets = [
            ["direct", "passthrough", upstream, "openai"],
            ["bare-hono", "passthrough", bare, "openai"],
            ["bare-inspect", "passthrough", inspecting, "openai"],
          ];
          if (settings.pairs.includes("passthrough")) targets.push(["switchyard", "passthrough", sy, "openai"]);
          if (syLog !== null) targets.push(["switchyard+log", "passthrough", syLog, "openai"]);
          if (translated === "available") targets.push(["switchyard", "translated", sy, "claude"]);
          const runs = new Map();
          for (let rep = 0; rep < settings.repeat; rep++) {
            for (const [target, pair, server, kind] of targets) {
              const r = await runLoad({
                baseUrl: server.url,
                spec: requestSpec(kind, stream),
                concurrency,
                warmupMs: settings.warmupMs,
                durationMs: settings.durationMs,
                pid: target === "direct" ? null : server.pid,
              });
              if (server === syLog) loggedAnswers += r.answered;
              const key = `${target}|${pair}`;
              (runs.get(key) ?? runs.set(key, []).get(key)).push(r);
            }
          }
          const direct = mergeRuns(runs.get("direct|passthrough"));
          for (const [key, list] of runs) {
            const [target, pair] = key.split("|");
            const m = mergeRuns(list);
            const row = {
              runtime: rt,
              pair: target === "direct" ? "direct" : pair,
              body,
              concurrency,
              target,
              ...m,
              addedP50: target === "direct" ? 0 : m.p50 - direct.p50,
              addedP99: target === "direct" ? 0 : m.p99 - direct.p99,
            };
            rows.push(row);
            log(formatRow(row));
          }
          if (!settings.pairs.includes("translated") || translated === "available") continue;
          rows.push({
            runtime: rt,
            pair: "translated",
            body,
            concurrency,
            target: "switchyard",
            unavailable: translated,
          });
        }
      }
      perRuntime[rt].final = { bare: rssOf(bare.pid), switchyard: rssOf(sy.pid) };
      await bare.stop();
      await inspecting.stop();
      await sy.stop();
      if (syLog !== null) {
        // A clean shutdown drains the logger's queue, so every answered request must have its file by now. Switchyard
        // gives in-flight requests 10 s and then writes what is queued: more than that before SIGKILL.
        await syLog.stop(30_000);
        const files = await readdir(join(loggedDir, "logs")).catch(() => []);
        const requestLogs = files.filter((f) => f.endsWith(".log") && f !== "main.log");
        // Logs the writer could not keep up with are dropped on purpose and reported in WARN lines.
        let dropped = 0;
        for (const m of syLog.output().matchAll(/(\d+) request logs? dropped/g)) dropped += Number(m[1]);
        perRuntime[rt].requestLog = { answered: loggedAnswers, files: requestLogs.length, dropped };
        await rm(join(loggedDir, "logs"), { recursive: true, force: true });
      }
    }
  } finally {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
  return { rows, runtimes: perRuntime, settings };
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const f1 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(1));
const f2 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(2));
const f3 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(3));
const signed = (x) => (!Number.isFinite(x) ? "-" : `${x >= 0 ? "+" : ""}${x.toFixed(3)}`);

export function formatRow(r) {
  if (r.unavailable) return `  ${r.runtime} ${r.pair} ${r.body} c=${r.concurrency} ${r.target}: ${r.unavailable}`;
  return `  ${r.runtime} ${r.pair.padEnd(11)} ${r.body.padEnd(4)} c=${String(r.concurrency).padEnd(3)} ${
    r.target.padEnd(10)
  } ` +
    `${f1(r.rps).padStart(8)} req/s  p50 ${f3(r.p50)} ms  p99 ${f3(r.p99)} ms` +
    (r.target === "direct"
      ? ""
      : `  (added ${signed(r.addedP50)} / ${signed(r.addedP99)}, cpu ${f3(r.cpuMsPerRequest)} ms/req)`) +
    (r.errors ? `  ${r.errors} errors: ${r.lastError.slice(0, 120)}` : "");
}

function table(headers, rows, right) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => (right[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join(" | ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)].join("\n");
}

/** The results as a Markdown-friendly table per runtime, with the Switchyard ÷ bare throughput ratios. */
export function formatReport(result) {
  const out = [];
  for (const [rt, info] of Object.entries(result.runtimes)) {
    if (info.skipped) {
      out.push(`\n${rt}: skipped (${info.skipped})`);
      continue;
    }
    const rows = result.rows.filter((r) => r.runtime === rt);
    out.push(`\n### ${rt}\n`);
    out.push(
      table(
        [
          "pair",
          "body",
          "conns",
          "target",
          "req/s",
          "p50 ms",
          "p99 ms",
          "added p50 ms",
          "added p99 ms",
          "CPU ms/req",
          "RSS MB",
          "errors",
        ],
        rows.map((r) =>
          r.unavailable ? [r.pair, r.body, r.concurrency, r.target, r.unavailable, "", "", "", "", "", "", ""] : [
            r.pair,
            r.body,
            r.concurrency,
            r.target,
            f1(r.rps),
            f3(r.p50),
            f3(r.p99),
            r.target === "direct" ? "-" : signed(r.addedP50),
            r.target === "direct" ? "-" : signed(r.addedP99),
            r.target === "direct" ? "-" : f3(r.cpuMsPerRequest),
            r.target === "direct" ? "-" : `${f1(r.rssMb)} (peak ${f1(r.peakMb)})`,
            r.errors,
          ]
        ),
        [false, false, true, false, true, true, true, true, true, true, true, true],
      ),
    );
    const idle = info.idle ?? {};
    out.push(
      `\nRSS idle after start: switchyard ${f1(idle.switchyard?.rssMb)} MB, bare proxy ${f1(idle.bare?.rssMb)} MB; ` +
        `at the end: switchyard ${f1(info.final?.switchyard?.rssMb)} MB (peak ${
          f1(info.final?.switchyard?.peakMb)
        }), ` +
        `bare ${f1(info.final?.bare?.rssMb)} MB (peak ${
          f1(info.final?.bare?.peakMb)
        }). Translated pair: ${info.translated}.`,
    );
    if (info.requestLog) {
      out.push(
        `request-log: ${info.requestLog.files} request log files for ${info.requestLog.answered} answered requests` +
          (info.requestLog.dropped > 0 ? `, ${info.requestLog.dropped} reported dropped (the writer fell behind)` : "") +
          (info.requestLog.files + info.requestLog.dropped === info.requestLog.answered
            ? info.requestLog.dropped === 0 ? " (every one)" : ""
            : " (SOME MISSING WITHOUT A REPORT)"),
      );
    }
    for (const body of result.settings.bodies) {
      for (const c of result.settings.concurrency) {
        const bare = rows.find((r) => r.target === "bare-hono" && r.body === body && r.concurrency === c);
        const floor = rows.find((r) => r.target === "bare-inspect" && r.body === body && r.concurrency === c);
        const sy = rows.find((r) =>
          r.target === "switchyard" && r.pair === "passthrough" && r.body === body && r.concurrency === c
        );
        const pct = (a, b) => `${(100 * a.rps / b.rps).toFixed(0)}%`;
        const logged = rows.find((r) => r.target === "switchyard+log" && r.body === body && r.concurrency === c);
        if (logged && sy && !sy.unavailable) {
          out.push(
            `request-log: true vs false, ${body}, ${c} conn: throughput ${pct(logged, sy)}, p50 ${f3(logged.p50)} vs ${
              f3(sy.p50)
            } ms, p99 ${f3(logged.p99)} vs ${f3(sy.p99)} ms, CPU ${f3(logged.cpuMsPerRequest)} vs ${
              f3(sy.cpuMsPerRequest)
            } ms/req`,
          );
        }
        if (bare && sy && !sy.unavailable) {
          out.push(
            `throughput, ${body}, ${c} conn: switchyard ÷ bare proxy ${pct(sy, bare)}` +
              (floor ? `; bare --inspect ÷ bare ${pct(floor, bare)}; switchyard ÷ bare --inspect ${pct(sy, floor)}` : ""),
          );
        }
      }
    }
  }
  return out.join("\n");
}
