/** Starts a real Switchyard (built-in plugins, real listener on 127.0.0.1:0) on a temp config for a test. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { LogOutput } from "../../core/log.ts";
import { startSwitchyard, type Switchyard } from "../../core/server.ts";
import { BUILTIN_PLUGINS } from "../../mod.ts";

export interface TestSwitchyard extends Switchyard {
  readonly dir: string;
  readonly configPath: string;
  /** Every log line written so far. */
  readonly logs: string[];
  /** Closes the server and removes the temp dir. */
  stop(): Promise<void>;
}

export async function startTestSwitchyard(
  configYaml: string,
  opts: { watch?: boolean; files?: Record<string, string>; authDebounceMs?: number } = {},
): Promise<TestSwitchyard> {
  const dir = await mkdtemp(join(tmpdir(), "switchyard-test-"));
  const configPath = join(dir, "config.yaml");
  // Hermetic: never read the real ~/.cli-proxy-api of whoever runs the tests.
  const yaml = /^auth-dir:/m.test(configYaml) ? configYaml : `${configYaml}
auth-dir: "${join(dir, "auths")}"
`;
  await writeFile(configPath, yaml);
  for (const [name, content] of Object.entries(opts.files ?? {})) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  const logs: string[] = [];
  const logOutput = new LogOutput("debug", (_level, line) => logs.push(line));
  const sy = await startSwitchyard({
    configPath,
    builtins: BUILTIN_PLUGINS,
    host: "127.0.0.1",
    port: 0,
    logOutput,
    watch: opts.watch ?? false,
    authDebounceMs: opts.authDebounceMs,
  });
  return {
    ...sy,
    dir,
    configPath,
    logs,
    async stop() {
      await sy.close(1000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes (for file-watch driven behaviour). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}
