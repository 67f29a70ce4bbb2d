/**
 * The single-binary path: `bun build --compile mod.ts` produces one executable that serves without node_modules or
 * source files (`deno task compile` does the same with Deno, but needs a runtime download this build machine cannot
 * make). The artifact is the same whichever runtime runs this test, so it is built once, by the Node run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runtime } from "../harness/runtime.ts";

const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../..");

if (runtime === "node") {
  test("bun build --compile makes one binary that starts, serves /healthz and stops on SIGTERM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "switchyard-binary-"));
    try {
      const out = join(dir, "switchyard");
      const build = spawnSync(join(ROOT, "node_modules/.bin/bun"), ["build", "--compile", "mod.ts", "--outfile", out], {
        cwd: ROOT,
        encoding: "utf8",
      });
      assert.equal(build.status, 0, build.stderr);
      assert.equal(spawnSync(out, ["--version"], { encoding: "utf8" }).stdout.trim(), "0.1.0");

      // Run it from an empty directory: no node_modules, no sources.
      const config = join(dir, "config.yaml");
      await writeFile(config, "host: 127.0.0.1\napi-keys: [k]\n");
      const child = spawn(out, ["--config", config, "--port", "0"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      let log = "";
      const url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listen line: ${log}`)), 20_000);
        const onData = (d: Uint8Array) => {
          log += new TextDecoder().decode(d);
          const m = /listening on (http:\/\/\S+)/.exec(log);
          if (m) {
            clearTimeout(timer);
            resolveUrl(m[1]!);
          }
        };
        child.stdout!.on("data", onData);
        child.stderr!.on("data", onData);
      });
      assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { status: "ok" });
      const unauth = await fetch(`${url}/v1/models`);
      assert.equal(unauth.status, 401);
      await unauth.text();
      const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
      child.kill("SIGTERM");
      assert.equal(await exited, 0, log);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
