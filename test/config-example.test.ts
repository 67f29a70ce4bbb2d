import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseConfigText } from "../core/config/load.ts";
import { buildSnapshot } from "../core/config/snapshot.ts";
import { createLogger, LogOutput } from "../core/log.ts";
import { BUILTIN_PLUGINS } from "../mod.ts";

const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");

test("config.example.yaml loads, uses only served keys, and routes its aliases", async () => {
  const path = join(ROOT, "config.example.yaml");
  const loaded = parseConfigText(await readFile(path, "utf8"), path);
  const { snapshot } = await buildSnapshot(loaded, {
    builtins: new Map(BUILTIN_PLUGINS.map((p) => [p.name, p])),
    log: createLogger(new LogOutput("error", () => {})),
    version: 1,
    previous: null,
  });
  assert.deepEqual(snapshot.unsupportedKeys, []);
  assert.deepEqual(snapshot.models.models.map((m) => m.id), ["kimi-k2", "qwen3-coder", "llama"]);
  assert.equal(snapshot.models.resolve("kimi-k2")!.length, 2, "two keys serve the alias");
  await Promise.all(snapshot.plugins.map((p) => p.dispose()));
});
