// Tests of the test harness itself (test/run-all.mjs, test/node-loader.mjs, test/harness/runtime.ts), run under
// each runtime like every other test: each runtime runs small fixture files through the very command line run-all
// uses for it and checks how the result is counted.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { runtime, runtimeVersion } from "./runtime.ts";
import { countJUnit, judgeFile, parseXml, ROOT, testArgs, testEnv } from "../run-all.mjs";

type Counts = { passed: number; failed: number; skipped: number };
const only = (c: Counts | null): Counts => {
  assert.ok(c, "not read as a JUnit report");
  return { passed: c.passed, failed: c.failed, skipped: c.skipped };
};

describe("runtime detection", () => {
  test("names the runtime that executes this file", () => {
    // Independent evidence: the executable's own name (node_modules/.bin/bun is bun.exe).
    assert.equal(runtime, /deno|bun|node/.exec(basename(process.execPath))?.[0]);
    assert.match(runtimeVersion, /^\d+\.\d+\.\d+/);
  });

  test("agrees with run-all", { skip: !process.env.SWITCHYARD_TEST_RUNTIME && "not run by test/run-all.mjs" }, () => {
    assert.equal(runtime, process.env.SWITCHYARD_TEST_RUNTIME);
  });
});

describe("counting JUnit reports", () => {
  test("Deno: a case is a leaf unless another case's name extends it", () => {
    const xml = `<?xml version="1.0"?><testsuites><testsuite name="./a.test.ts">
      <testcase name="group"><failure message="x">boom</failure></testcase>
      <testcase name="top"/>
      <testcase name="todo"><skipped/></testcase>
      <testcase name="hook fails"><failure message="before"/></testcase>
      </testsuite><testsuite name="ext:deno_node/testing.ts">
      <testcase name="group &gt; a"/>
      <testcase name="group &gt; inner"><failure message="x"/></testcase>
      <testcase name="group &gt; inner &gt; b"><failure message="x"/></testcase>
      </testsuite></testsuites>`;
    // leaves: top, todo (skipped), hook fails (no children), group > a, group > inner > b
    assert.deepEqual(only(countJUnit(xml, "deno")), { passed: 2, failed: 2, skipped: 1 });
  });

  test("Node and Bun: every <testcase> is a leaf, <testsuite> is a group", () => {
    const xml = `<testsuites><!-- tests 3 --><testsuite name="g"><testcase name="a"/>
      <testsuite name="inner"><testcase name="b" failure="1 !== 2"><failure type="x">a &lt;b> c</failure></testcase>
      </testsuite></testsuite><testcase name="s"><skipped type="todo"/></testcase></testsuites>`;
    assert.deepEqual(only(countJUnit(xml, "node")), { passed: 1, failed: 1, skipped: 1 });
    assert.deepEqual(only(countJUnit(xml, "bun")), { passed: 1, failed: 1, skipped: 1 });
  });

  test("attributes are decoded and anything but a JUnit document is refused", () => {
    const doc = parseXml(`<a x="1 &gt; 2 &amp;&#65;&#x42;" y='q'><b/></a>`);
    assert.deepEqual(doc.children[0]?.attrs, { x: "1 > 2 &AB", y: "q" });
    assert.equal(countJUnit("", "node"), null);
    assert.equal(countJUnit("<html></html>", "bun"), null);
  });

  test("a file that exits non-zero without a failing test counts one failure", () => {
    const none = { passed: 0, failed: 0, skipped: 0, failedNames: [] };
    assert.equal(judgeFile({ counts: { ...none, passed: 2 }, code: 1, signal: null, timedOut: false }).failed, 1);
    assert.equal(judgeFile({ counts: { ...none, failed: 2 }, code: 1, signal: null, timedOut: false }).failed, 2);
    assert.equal(judgeFile({ counts: null, code: 1, signal: null, timedOut: false }).failed, 1);
    assert.equal(judgeFile({ counts: null, code: null, signal: "SIGSEGV", timedOut: false }).failed, 1);
    assert.equal(judgeFile({ counts: null, code: 0, signal: null, timedOut: false }).failed, 0, "no tests, no report");
    assert.equal(judgeFile({ counts: { ...none, passed: 3 }, code: 0, signal: null, timedOut: false }).failed, 0);
    assert.equal(judgeFile({ counts: null, code: null, signal: "SIGKILL", timedOut: true }).failed, 1);
  });
});

describe(`running fixture files under ${runtime}`, () => {
  // One file at a time, exactly as run-all does; the fixtures live outside test/ so run-all never picks them up.
  const runFixture = (source: string, env: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), "switchyard-sanity-"));
    try {
      const file = join(dir, "fixture.test.ts");
      const junit = join(dir, "junit.xml");
      writeFileSync(file, source);
      const r = spawnSync(process.execPath, testArgs(runtime, file, junit), {
        cwd: ROOT,
        env: { ...testEnv(runtime), ...env },
        encoding: "utf8",
        timeout: 60_000,
      });
      let counts = null;
      try {
        counts = countJUnit(readFileSync(junit, "utf8"), runtime);
      } catch { /* no report */ }
      const output = `${r.stdout}\n${r.stderr}`;
      return { ...judgeFile({ counts, code: r.status, signal: r.signal, timedOut: false }), code: r.status, output };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test("counts the tests nested in describe groups, not the groups", () => {
    const r = runFixture(`
      import { describe, test } from "node:test";
      import assert from "node:assert/strict";
      import { runtime } from ${JSON.stringify(join(ROOT, "test", "harness", "runtime.ts"))};
      const n: number = 1;
      describe("outer", () => {
        test("a", () => assert.equal(runtime, ${JSON.stringify(runtime)}));
        describe("inner", () => {
          test("b", () => assert.equal(n, 1));
          test("c fails", () => assert.equal(n, 2));
        });
      });
      test("top", () => {});
      test("skipped", { skip: true }, () => {});
    `);
    assert.deepEqual(only(r), { passed: 3, failed: 1, skipped: 1 }, r.output);
    assert.notEqual(r.code, 0, "a failing test must make the runtime exit non-zero");
  });

  test("a file that does not parse counts as a failure", () => {
    const r = runFixture(`import { test } from "node:test";\ntest("never", () => { const x = ; });\n`);
    assert.equal(r.failed, 1, r.output);
    assert.equal(r.passed, 0, r.output);
  });

  test("a file that leaves a server open ends (Node: and fails) instead of hanging", () => {
    const r = runFixture(
      `import { test } from "node:test";
      import { createServer } from "node:http";
      test("listens and forgets", async () => {
        await new Promise<void>((ok) => createServer().listen(0, "127.0.0.1", ok));
      });\n`,
      { SWITCHYARD_TEST_EXIT_GRACE_MS: "500" },
    );
    // Deno and Bun end the process after the last test; Node would wait forever, so its loader fails the file.
    if (runtime === "node") assert.equal(r.failed, 1, r.output);
    else assert.deepEqual(only(r), { passed: 1, failed: 0, skipped: 0 }, r.output);
  });

  test("a file whose import cannot be resolved counts as a failure", () => {
    const r = runFixture(`import { test } from "node:test";\nimport { x } from "./missing.ts";\ntest("t", () => x);\n`);
    assert.equal(r.failed, 1, r.output);
    assert.equal(r.passed, 0, r.output);
  });
});
