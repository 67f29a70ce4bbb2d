// Node 20 has no TypeScript support: `node --import ./test/node-loader.mjs file.ts` registers ESM loader hooks
// (test/node-loader-hooks.mjs) that strip types with esbuild. Deno and Bun run .ts natively.
import { register } from "node:module";

process.setSourceMapsEnabled(true); // the hooks emit inline source maps: stack traces point into the .ts
register("./node-loader-hooks.mjs", import.meta.url);

// Set by test/run-all.mjs. Deno and Bun end a test file's process after its last test; Node 20 waits for every
// open handle, so a server or timer left open hangs the file forever (and its `--test-force-exit` loses results).
// Instead, a test file still alive this long after its last test reports the leak, flushes and fails.
const grace = Number(process.env.SWITCHYARD_TEST_EXIT_GRACE_MS);
const entry = process.argv[1] ?? "";
if (grace > 0 && /\.test\.[cm]?[jt]sx?$/.test(entry)) {
  const { after } = await import("node:test");
  after(() => {
    setTimeout(() => {
      process.stderr.write(
        `\n✖ ${entry}: the tests finished ${grace / 1000} s ago but the process is still running: a server, socket, ` +
          "timer or child process was left open (Node waits for it; Deno and Bun exit). Failing the file.\n",
      );
      process.exitCode = 1;
      process.emit("beforeExit", 1); // node:test reports its results on beforeExit
      setTimeout(() => process.exit(1), 1000);
    }, grace).unref();
  });
}
