import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { chatStreamChunks, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { runtime } from "../harness/runtime.ts";

const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../..");

/** The command that runs mod.ts as a program on the runtime running this test. */
function cliCommand(args: string[]): [string, string[]] {
  const exe = process.execPath;
  if (runtime === "deno") return [exe, ["run", "-A", join(ROOT, "mod.ts"), ...args]];
  if (runtime === "bun") return [exe, ["run", join(ROOT, "mod.ts"), ...args]];
  return [exe, ["--import", join(ROOT, "test/node-loader.mjs"), join(ROOT, "mod.ts"), ...args]];
}

interface Cli {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the listen URL once the server logs it. */
  readonly listening: Promise<string>;
  readonly exited: Promise<number | null>;
  /** After SIGTERM: resolves once the process has exited, asserting it shut down cleanly. */
  stoppedCleanly(): Promise<void>;
}

function startCli(args: string[], cwd: string): Cli {
  const [cmd, argv] = cliCommand(args);
  const child = spawn(cmd, argv, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  let onListen: (url: string) => void;
  const listening = new Promise<string>((r) => (onListen = r));
  const onData = (d: Uint8Array) => {
    out += new TextDecoder().decode(d);
    const m = /listening on (https?:\/\/\S+)/.exec(out);
    if (m) onListen(m[1]!);
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return {
    child,
    output: () => out,
    listening,
    exited,
    async stoppedCleanly() {
      const code = await within(exited, 15_000, "exit after SIGTERM");
      assert.match(out, /Switchyard stopped/, out);
      // Deno's node:child_process reports a child it signalled as `code: null` even when that child handled the
      // signal and exited 0 (seen with deno 2.9); Node and Bun report the real exit code.
      if (!(runtime === "deno" && code === null)) assert.equal(code, 0, out);
    },
  };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error(`Timed out: ${what}`)), ms))),
  ]);
}

describe("command line", () => {
  test("first run writes a commented default config, serves, and says what to do next", async () => {
    const dir = await mkdtemp(join(tmpdir(), "switchyard-cli-"));
    const configPath = join(dir, "config.yaml");
    const cli = startCli(["--config", configPath, "--port", "0"], dir);
    try {
      const url = await within(cli.listening, 30_000, "the server to listen");
      const health = await fetch(`${url}/healthz`);
      assert.deepEqual(await health.json(), { status: "ok" });
      const text = await readFile(configPath, "utf8");
      assert.match(text, /^#/m, "the default config is commented");
      const parsed = parse(text) as Record<string, unknown>;
      assert.equal(parsed.host, "127.0.0.1");
      assert.equal((await stat(configPath)).mode & 0o777, 0o600);
      assert.match(cli.output(), /First run: wrote a default config to/);
      assert.match(cli.output(), /openai-compatibility/);
      assert.doesNotMatch(cli.output(), /\n\s+at /, "no stack trace");
      assert.doesNotMatch(cli.output(), /not supported yet/, "the default config uses only served keys");
      cli.child.kill("SIGTERM");
      await cli.stoppedCleanly();
    } finally {
      cli.child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("an invalid config stops startup with the key path and no stack trace", async () => {
    const dir = await mkdtemp(join(tmpdir(), "switchyard-cli-"));
    const configPath = join(dir, "config.yaml");
    await writeFile(configPath, "port: 70000\nrouting:\n  strategy: fastest\n");
    const cli = startCli(["--config", configPath], dir);
    try {
      assert.equal(await within(cli.exited, 30_000, "exit"), 1);
      assert.match(cli.output(), /port: must be between 0 and 65535/);
      assert.match(cli.output(), /routing\.strategy/);
      assert.doesNotMatch(cli.output(), /\n\s+at /);
    } finally {
      cli.child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("SIGTERM lets an in-flight stream finish, then exits", async () => {
    const upstream = await startFakeUpstream(() => ({
      kind: "sse",
      chunks: chatStreamChunks(["a", "b", "c", "d", "e", "f"]),
      delayMs: 150,
    }));
    const dir = await mkdtemp(join(tmpdir(), "switchyard-cli-"));
    const configPath = join(dir, "config.yaml");
    await writeFile(
      configPath,
      `host: 127.0.0.1
openai-compatibility:
  - name: fake
    base-url: "${upstream.url}"
    models: [{name: up, alias: m}]
`,
    );
    const cli = startCli(["--config", configPath, "--port", "0"], dir);
    try {
      const url = await within(cli.listening, 30_000, "the server to listen");
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "x" }] }),
      });
      const reader = res.body!.getReader();
      let text = new TextDecoder().decode((await reader.read()).value);
      cli.child.kill("SIGTERM");
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      assert.ok(text.endsWith("data: [DONE]\n\n"), "the stream finished cleanly");
      await cli.stoppedCleanly();
      await assert.rejects(fetch(`${url}/healthz`), "no longer accepting");
    } finally {
      cli.child.kill("SIGKILL");
      await upstream.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
