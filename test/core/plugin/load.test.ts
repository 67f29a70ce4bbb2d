// deno-lint-ignore-file require-await -- async hooks without await are the point: they exercise the promise path
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { type AnyPluginDefinition, type PluginRequest, resolvePlugins } from "../../../core/plugin/load.ts";
import { CORE_API_VERSION, definePlugin } from "../../../core/plugin/define.ts";
import { PluginError, type PluginErrorCode } from "../../../core/plugin/plugin-error.ts";

const noSetup = () => {};

/** A built-in that implements the `alpha` config key (a block with a `level`). */
const alpha = definePlugin<{ alpha: { level: number; label: string } }>({
  name: "alpha",
  version: "1.0.0",
  core: "^1.0.0",
  configKeys: ["alpha"],
  configSchema: z.object({
    alpha: z.object({ level: z.number().int().min(0), label: z.string().default("none") }),
  }),
  setup: noSetup,
});

/** A built-in that implements two keys, both optional lists. */
const beta = definePlugin({
  name: "beta",
  version: "2.1.0",
  core: "^1",
  configKeys: ["beta-keys", "beta-extra"],
  setup: noSetup,
});

/** A built-in without config keys: only enabled by name. */
const gamma = definePlugin({
  name: "gamma",
  version: "0.1.0",
  core: ">=1.0.0 <2",
  dependsOn: ["alpha"],
  setup: noSetup,
});

const builtins = (...defs: AnyPluginDefinition[]) => new Map(defs.map((d) => [d.name, d]));
const ALL = builtins(alpha as AnyPluginDefinition, beta, gamma);

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "switchyard-plugin-load-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function resolve(
  opts: {
    config?: Record<string, unknown>;
    requested?: PluginRequest[] | null;
    builtins?: ReadonlyMap<string, AnyPluginDefinition>;
  },
) {
  const config = opts.config ?? {};
  return resolvePlugins({
    config,
    presentKeys: Object.keys(config),
    requested: opts.requested ?? null,
    configDir: dir,
    builtins: opts.builtins ?? ALL,
  });
}

/** Asserts a PluginError with `code`, naming `plugin`, whose message matches every pattern. */
async function rejectsWith(p: Promise<unknown>, code: PluginErrorCode, plugin: string, ...patterns: RegExp[]) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PluginError, `expected a PluginError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.plugin, plugin);
    assert.ok(err.message.startsWith(`[plugin ${plugin}] `), err.message);
    for (const re of patterns) assert.match(err.message, re);
    return true;
  });
}

describe("resolvePlugins(): which plugins are enabled", () => {
  test("without a plugins: list, built-ins are implied by their config keys, in built-in order", async () => {
    const out = await resolve({ config: { "beta-extra": ["x"], alpha: { level: 1 } } });
    assert.deepEqual(out.map((r) => r.definition.name), ["alpha", "beta"]);
    assert.deepEqual(out.map((r) => r.source), ["builtin", "builtin"]);
    assert.equal(out[0]!.definition, alpha);
  });

  test("only set keys imply a built-in: other keys, and empty or false values, enable nothing", async () => {
    assert.deepEqual(await resolve({ config: { port: 8317, host: "", "api-keys": ["k"] } }), []);
    for (const empty of [[], {}, null, false, undefined]) {
      const out = await resolve({ config: { "beta-keys": empty, port: 1 } });
      assert.deepEqual(out, [], `beta-keys: ${JSON.stringify(empty)}`);
    }
  });

  test("a key that is set in the config but absent from the file implies nothing", async () => {
    // Schema defaults fill keys the user never wrote; only keys present in the file count.
    const out = await resolvePlugins({
      config: { alpha: { level: 1 } },
      presentKeys: [],
      requested: null,
      configDir: dir,
      builtins: ALL,
    });
    assert.deepEqual(out, []);
  });

  test("an explicit list enables exactly what it lists, in its order, even when other keys are set", async () => {
    const out = await resolve({
      config: { alpha: { level: 3 }, "beta-keys": ["k"] },
      requested: [{ use: "beta" }],
    });
    assert.deepEqual(out.map((r) => r.definition.name), ["beta"]);
    const both = await resolve({ config: { alpha: { level: 3 } }, requested: [{ use: "alpha" }, { use: "gamma" }] });
    assert.deepEqual(both.map((r) => r.definition.name), ["alpha", "gamma"]);
  });

  test("an empty explicit list enables nothing", async () => {
    assert.deepEqual(await resolve({ config: { alpha: { level: 3 } }, requested: [] }), []);
  });
});

describe("resolvePlugins(): options", () => {
  test("options are the plugin's config keys, validated by its schema (defaults applied)", async () => {
    const [r] = await resolve({
      config: { alpha: { level: 2 }, port: 9, "beta-keys": ["unrelated"] },
      requested: [{ use: "alpha" }],
    });
    assert.deepEqual(r!.options, { alpha: { level: 2, label: "none" } });
  });

  test("explicit options are merged over the config keys", async () => {
    const [r] = await resolve({
      config: { "beta-keys": ["from-config"], "beta-extra": ["kept"] },
      requested: [{ use: "beta", options: { "beta-keys": ["explicit"], more: true } }],
    });
    assert.deepEqual(r!.options, { "beta-keys": ["explicit"], "beta-extra": ["kept"], more: true });
  });

  test("a plugin without config keys gets exactly its explicit options, or {}", async () => {
    const [, r] = await resolve({
      config: { alpha: { level: 0 } },
      requested: [{ use: "alpha" }, { use: "gamma", options: { n: 1 } }],
    });
    assert.deepEqual(r!.options, { n: 1 });
    const [, none] = await resolve({
      config: { alpha: { level: 0 } },
      requested: [{ use: "alpha" }, { use: "gamma" }],
    });
    assert.deepEqual(none!.options, {});
  });

  test("validated options are deeply frozen", async () => {
    const [r] = await resolve({ config: { alpha: { level: 5 } } });
    const options = r!.options as { alpha: { level: number } };
    assert.ok(Object.isFrozen(options));
    assert.ok(Object.isFrozen(options.alpha));
    assert.throws(() => {
      options.alpha.level = 6;
    }, TypeError);
    const [b] = await resolve({ requested: [{ use: "beta", options: { nested: { list: [{ deep: 1 }] } } }] });
    const nested = (b!.options as { nested: { list: { deep: number }[] } }).nested;
    assert.ok(Object.isFrozen(nested.list) && Object.isFrozen(nested.list[0]));
  });

  test("the schema's output (not its input) is what the plugin gets", async () => {
    const shout = definePlugin<{ word: string }>({
      name: "shout",
      version: "1.0.0",
      core: "^1.0.0",
      configSchema: z.object({ word: z.string().transform((s) => s.toUpperCase()) }),
      setup: noSetup,
    });
    const [r] = await resolve({
      builtins: builtins(shout as AnyPluginDefinition),
      requested: [{ use: "shout", options: { word: "hi" } }],
    });
    assert.deepEqual(r!.options, { word: "HI" });
  });

  test("an asynchronous Standard Schema is awaited", async () => {
    const asyncSchema = definePlugin<{ ok: true }>({
      name: "async-schema",
      version: "1.0.0",
      core: "^1.0.0",
      configSchema: {
        "~standard": {
          version: 1,
          vendor: "test",
          validate: async (v) =>
            (v as { ok?: unknown }).ok === true
              ? { value: { ok: true as const } }
              : { issues: [{ message: "must be ok" }] },
        },
      },
      setup: noSetup,
    });
    const defs = builtins(asyncSchema as AnyPluginDefinition);
    const [r] = await resolve({ builtins: defs, requested: [{ use: "async-schema", options: { ok: true } }] });
    assert.deepEqual(r!.options, { ok: true });
    await rejectsWith(
      resolve({ builtins: defs, requested: [{ use: "async-schema", options: {} }] }),
      "SWITCHYARD_ERR_PLUGIN_OPTIONS",
      "async-schema",
      /Invalid options: must be ok$/,
    );
  });

  test("invalid options fail with SWITCHYARD_ERR_PLUGIN_OPTIONS and the path of each problem", async () => {
    await rejectsWith(
      resolve({ config: { alpha: { level: -1, label: 7 } } }),
      "SWITCHYARD_ERR_PLUGIN_OPTIONS",
      "alpha",
      /^\[plugin alpha\] Invalid options: /,
      /alpha\.level: /,
      /alpha\.label: /,
    );
    await rejectsWith(
      resolve({
        config: { alpha: { level: 1 } },
        requested: [{ use: "alpha", options: { alpha: { level: "high" } } }],
      }),
      "SWITCHYARD_ERR_PLUGIN_OPTIONS",
      "alpha",
      /alpha\.level: /,
    );
  });
});

describe("resolvePlugins(): errors", () => {
  test("an unknown name fails with SWITCHYARD_ERR_PLUGIN_NOT_FOUND", async () => {
    await rejectsWith(
      resolve({ requested: [{ use: "alpah" }] }),
      "SWITCHYARD_ERR_PLUGIN_NOT_FOUND",
      "alpah",
      /not installed/,
    );
    // A misspelled built-in is told which names exist.
    await assert.rejects(resolve({ requested: [{ use: "alpah" }] }), /It is not a built-in either \(built-ins: /);
    await rejectsWith(
      resolve({ requested: [{ use: "Not A Plugin!" }] }),
      "SWITCHYARD_ERR_PLUGIN_NOT_FOUND",
      "Not A Plugin!",
    );
  });

  test("a file path that does not exist fails with SWITCHYARD_ERR_PLUGIN_NOT_FOUND and the resolved path", async () => {
    await rejectsWith(
      resolve({ requested: [{ use: "./missing-plugin.mjs" }] }),
      "SWITCHYARD_ERR_PLUGIN_NOT_FOUND",
      "./missing-plugin.mjs",
      new RegExp(`No file at .*missing-plugin\\.mjs`),
    );
  });

  test("a plugin enabled twice fails with SWITCHYARD_ERR_PLUGIN_DUPLICATE", async () => {
    await rejectsWith(
      resolve({ requested: [{ use: "beta" }, { use: "alpha", options: { alpha: { level: 1 } } }, { use: "beta" }] }),
      "SWITCHYARD_ERR_PLUGIN_DUPLICATE",
      "beta",
      /enabled twice/,
    );
  });

  test("a dependency that is missing, or listed after the plugin, fails with SWITCHYARD_ERR_PLUGIN_DEPENDENCY", async () => {
    await rejectsWith(
      resolve({ requested: [{ use: "gamma" }] }),
      "SWITCHYARD_ERR_PLUGIN_DEPENDENCY",
      "gamma",
      /"alpha"/,
    );
    await rejectsWith(
      resolve({ config: { alpha: { level: 1 } }, requested: [{ use: "gamma" }, { use: "alpha" }] }),
      "SWITCHYARD_ERR_PLUGIN_DEPENDENCY",
      "gamma",
      /"alpha", which must be enabled before it/,
    );
    const ok = await resolve({ config: { alpha: { level: 1 } }, requested: [{ use: "alpha" }, { use: "gamma" }] });
    assert.deepEqual(ok.map((r) => r.definition.name), ["alpha", "gamma"]);
  });

  test("a core range the running core does not satisfy fails with SWITCHYARD_ERR_PLUGIN_CORE_MISMATCH", async () => {
    const future = definePlugin({ name: "future", version: "3.0.0", core: "^2.0.0", setup: noSetup });
    await rejectsWith(
      resolve({ builtins: builtins(future), requested: [{ use: "future" }] }),
      "SWITCHYARD_ERR_PLUGIN_CORE_MISMATCH",
      "future",
      new RegExp(
        `Needs core \\^2\\.0\\.0, but this Switchyard provides plugin API ${CORE_API_VERSION.replace(/\./g, "\\.")}$`,
      ),
    );
    // The check applies to implied built-ins as well.
    const impliedFuture = definePlugin({ ...future, name: "implied-future", configKeys: ["future-key"] });
    await rejectsWith(
      resolve({ builtins: builtins(impliedFuture), config: { "future-key": true } }),
      "SWITCHYARD_ERR_PLUGIN_CORE_MISMATCH",
      "implied-future",
    );
  });

  test("a core range that cannot be parsed fails with SWITCHYARD_ERR_PLUGIN_INVALID", async () => {
    const odd = definePlugin({ name: "odd", version: "1.0.0", core: "one point oh", setup: noSetup });
    await rejectsWith(
      resolve({ builtins: builtins(odd), requested: [{ use: "odd" }] }),
      "SWITCHYARD_ERR_PLUGIN_INVALID",
      "odd",
      /Cannot parse its core range "one point oh"/,
    );
  });

  test("a module without a plugin definition fails with SWITCHYARD_ERR_PLUGIN_INVALID", async () => {
    await writeFile(join(dir, "no-default.mjs"), "export const helper = 1;\n");
    await rejectsWith(
      resolve({ requested: [{ use: "./no-default.mjs" }] }),
      "SWITCHYARD_ERR_PLUGIN_INVALID",
      "./no-default.mjs",
      /"\.\/no-default\.mjs" does not export a plugin definition/,
    );
    await writeFile(join(dir, "no-setup.mjs"), 'export default { name: "half-done", version: "1.0.0", core: "^1" };\n');
    await rejectsWith(
      resolve({ requested: [{ use: "./no-setup.mjs" }] }),
      "SWITCHYARD_ERR_PLUGIN_INVALID",
      "half-done",
      /does not export a plugin definition/,
    );
    await writeFile(
      join(dir, "no-core.mjs"),
      'export default { name: "no-core", version: "1.0.0", setup() {} };\n',
    );
    await rejectsWith(
      resolve({ requested: [{ use: "./no-core.mjs" }] }),
      "SWITCHYARD_ERR_PLUGIN_INVALID",
      "no-core",
      /string `version` and `core`/,
    );
  });

  test("a module that cannot be imported fails with SWITCHYARD_ERR_PLUGIN_LOAD", async () => {
    await writeFile(join(dir, "syntax-error.mjs"), "export default {\n");
    await rejectsWith(
      resolve({ requested: [{ use: "./syntax-error.mjs" }] }),
      "SWITCHYARD_ERR_PLUGIN_LOAD",
      "./syntax-error.mjs",
      /Cannot import file:.*syntax-error\.mjs/,
    );
  });

  test("a named `plugin` export is accepted when there is no default export", async () => {
    await writeFile(
      join(dir, "named.mjs"),
      'export const plugin = { name: "named", version: "1.0.0", core: "^1.0.0", setup() {} };\n',
    );
    const [r] = await resolve({ requested: [{ use: "./named.mjs", options: { a: 1 } }] });
    assert.equal(r!.definition.name, "named");
    assert.equal(r!.source, "./named.mjs");
    assert.deepEqual(r!.options, { a: 1 });
  });
});
