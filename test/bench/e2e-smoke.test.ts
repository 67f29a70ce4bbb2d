/**
 * Smoke test of the end-to-end overhead benchmark (bench/e2e/): its quickest mode, on the runtime running this test,
 * against the loopback upstream, the bare Hono proxy and Switchyard, each in its own process. It checks that the
 * harness works end to end and produces numbers; the numbers themselves are not judged (no thresholds: that is
 * `node bench/e2e/run.mjs`'s job, by a human, on a quiet machine).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatReport, runE2E } from "../../bench/e2e/harness.mjs";
import { runtime } from "../harness/runtime.ts";

interface Row {
  runtime: string;
  pair: string;
  body: string;
  concurrency: number;
  target: string;
  unavailable?: string;
  requests: number;
  errors: number;
  lastError: string;
  rps: number;
  p50: number;
  p99: number;
  addedP50: number;
  rssMb: number | null;
  cpuMsPerRequest: number | null;
}

const onLinux = process.platform === "linux";

test(
  `e2e harness, quickest mode, ${runtime}: direct, bare proxy and Switchyard (request-log off and on) produce numbers; every answered request is logged`,
  { timeout: 150_000 },
  async () => {
    const lines: string[] = [];
    const result = await runE2E({
      runtimes: [runtime],
      smoke: true,
      requestLog: true,
      log: (l: string) => lines.push(l),
    }) as unknown as {
      rows: Row[];
      runtimes: Record<string, {
        translated?: string;
        idle?: { switchyard: { rssMb: number } | null };
        requestLog?: { answered: number; files: number; dropped: number };
      }>;
      settings: { concurrency: number[] };
    };
    const rows = result.rows;
    const info = result.runtimes[runtime]!;
    const report = formatReport(result);
    const context = () => `${lines.join("\n")}\n${report}`;

    for (const body of ["json", "sse"]) {
      for (const concurrency of result.settings.concurrency) {
        for (const target of ["direct", "bare-hono", "bare-inspect", "switchyard", "switchyard+log"]) {
          const row = rows.find((r) =>
            r.target === target && r.body === body && r.concurrency === concurrency && r.pair !== "translated"
          );
          assert.ok(row, `no ${target} ${body} c=${concurrency} row\n${context()}`);
          assert.equal(row.errors, 0, `${target} ${body} c=${concurrency}: ${row.lastError}\n${context()}`);
          assert.ok(row.requests > 0, `${target} ${body} c=${concurrency} completed no request`);
          assert.ok(row.rps > 0 && Number.isFinite(row.rps), `${target} requests/s: ${row.rps}`);
          assert.ok(row.p50 > 0 && row.p99 >= row.p50, `${target} latency p50 ${row.p50} p99 ${row.p99}`);
          if (target !== "direct") {
            assert.ok(Number.isFinite(row.addedP50), `${target} added latency: ${row.addedP50}`);
            if (onLinux) assert.ok((row.rssMb ?? 0) > 1, `${target} RSS: ${row.rssMb}`);
          }
        }
      }
    }

    // With request-log on, a clean shutdown leaves a log file for every answered request (warm-up included), except
    // any the writer could not keep up with, which the server reported as dropped.
    const logged = info.requestLog;
    assert.ok(logged, `no request-log result\n${context()}`);
    assert.ok(logged.files > 0, `no request log written\n${context()}`);
    assert.equal(logged.files + logged.dropped, logged.answered, `request logs vs answered requests\n${context()}`);

    // The translated pair (Claude client → OpenAI upstream) is measured when the codecs serve it, and otherwise
    // reported as "not available yet" (501) or "broken (status: body)": a verdict, never a harness failure.
    assert.match(info.translated ?? "", /^(available|not available yet|broken)/, `translated: ${info.translated}`);
    const translated = rows.filter((r) => r.pair === "translated");
    assert.ok(translated.length > 0, "the translated pair has rows (numbers or 'not available yet')");
    for (const r of translated) {
      if (r.unavailable) assert.match(r.unavailable, /^(not available yet|broken)/);
      else assert.equal(r.errors, 0, `translated ${r.body} c=${r.concurrency}: ${r.lastError}`);
    }
    assert.match(report, /switchyard ÷ bare proxy \d+%; bare --inspect ÷ bare \d+%/);
  },
);
