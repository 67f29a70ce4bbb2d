/**
 * Turns the config's `plugins:` list (or, without one, the built-ins the config implies) into validated plugin
 * definitions with their options. Third-party plugins are imported here, at snapshot build, never per request.
 */
import { readFile, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CORE_API_VERSION } from "./define.ts";
import { PluginError } from "./plugin-error.ts";
import { satisfies } from "./semver.ts";
import type { PluginDefinition, StandardIssue } from "./types.ts";

/** Variance-erased definition: `setup` and `onConfigChange` are methods, so any `PluginDefinition<O>` fits. */
export type AnyPluginDefinition = PluginDefinition<unknown>;

export interface PluginRequest {
  /** A built-in name, or a specifier: `npm:pkg@range`, `jsr:…`, a bare package name, a relative or absolute path. */
  readonly use: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface ResolvedPlugin {
  readonly definition: AnyPluginDefinition;
  /** Validated and frozen. */
  readonly options: unknown;
  /** Where it came from, for logs: `builtin` or the specifier. */
  readonly source: string;
}

export interface ResolveOptions {
  /** The validated config as a plain object (top-level keys feed `configKeys`). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Top-level keys present in the file. */
  readonly presentKeys: readonly string[];
  /** The explicit `plugins:` list, or null when the config has none. */
  readonly requested: readonly PluginRequest[] | null;
  readonly configDir: string;
  readonly builtins: ReadonlyMap<string, AnyPluginDefinition>;
}

export async function resolvePlugins(opts: ResolveOptions): Promise<ResolvedPlugin[]> {
  const requests: PluginRequest[] = opts.requested
    ? [...opts.requested]
    : impliedBuiltins(opts.builtins, opts.config, opts.presentKeys).map((name) => ({ use: name }));

  const out: ResolvedPlugin[] = [];
  const seen = new Set<string>();
  for (const req of requests) {
    const builtin = opts.builtins.get(req.use);
    const definition = builtin ?? (await importPlugin(req.use, opts.configDir, [...opts.builtins.keys()]));
    checkDefinition(definition, req.use);
    if (seen.has(definition.name)) {
      throw new PluginError("SWITCHYARD_ERR_PLUGIN_DUPLICATE", definition.name, "Plugin is enabled twice");
    }
    for (const dep of definition.dependsOn ?? []) {
      if (!seen.has(dep)) {
        throw new PluginError(
          "SWITCHYARD_ERR_PLUGIN_DEPENDENCY",
          definition.name,
          `Depends on "${dep}", which must be enabled before it in plugins:`,
        );
      }
    }
    seen.add(definition.name);
    const options = await validateOptions(definition, mergeOptions(definition, opts.config, req.options));
    out.push({ definition, options, source: builtin ? "builtin" : req.use });
  }
  return out;
}

/** Built-ins whose config keys are set, in the order the built-ins are listed. */
function impliedBuiltins(
  builtins: ReadonlyMap<string, AnyPluginDefinition>,
  config: Readonly<Record<string, unknown>>,
  presentKeys: readonly string[],
): string[] {
  const present = new Set(presentKeys);
  const names: string[] = [];
  for (const [name, def] of builtins) {
    if (def.enabledByDefault || def.configKeys?.some((k) => present.has(k) && isSet(config[k]))) names.push(name);
  }
  return names;
}

function isSet(value: unknown): boolean {
  if (value == null || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

function mergeOptions(
  def: AnyPluginDefinition,
  config: Readonly<Record<string, unknown>>,
  explicit: Readonly<Record<string, unknown>> | undefined,
): unknown {
  if (!def.configKeys?.length) return explicit ?? {};
  const base: Record<string, unknown> = {};
  for (const key of def.configKeys) if (config[key] !== undefined) base[key] = config[key];
  return explicit ? { ...base, ...explicit } : base;
}

async function validateOptions(def: AnyPluginDefinition, raw: unknown): Promise<unknown> {
  if (!def.configSchema) return deepFreeze(raw);
  let result = def.configSchema["~standard"].validate(raw);
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    throw new PluginError("SWITCHYARD_ERR_PLUGIN_OPTIONS", def.name, `Invalid options: ${formatIssues(result.issues)}`);
  }
  return deepFreeze(result.value);
}

function formatIssues(issues: ReadonlyArray<StandardIssue>): string {
  return issues
    .map((i) => {
      const path = (i.path ?? []).map((p) => String(typeof p === "object" ? p.key : p)).join(".");
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join("; ");
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function checkDefinition(def: unknown, spec: string): asserts def is AnyPluginDefinition {
  const d = def as Partial<AnyPluginDefinition> | null;
  const label = typeof d?.name === "string" ? d.name : spec;
  if (!d || typeof d !== "object" || typeof d.name !== "string" || typeof d.setup !== "function") {
    throw new PluginError(
      "SWITCHYARD_ERR_PLUGIN_INVALID",
      label,
      `"${spec}" does not export a plugin definition (default export with name, version, core and setup)`,
    );
  }
  if (typeof d.version !== "string" || typeof d.core !== "string") {
    throw new PluginError("SWITCHYARD_ERR_PLUGIN_INVALID", label, "Definition needs string `version` and `core`");
  }
  let ok: boolean;
  try {
    ok = satisfies(CORE_API_VERSION, d.core);
  } catch {
    throw new PluginError("SWITCHYARD_ERR_PLUGIN_INVALID", label, `Cannot parse its core range "${d.core}"`);
  }
  if (!ok) {
    throw new PluginError(
      "SWITCHYARD_ERR_PLUGIN_CORE_MISMATCH",
      label,
      `Needs core ${d.core}, but this Switchyard provides plugin API ${CORE_API_VERSION}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Importing third-party plugins

async function importPlugin(spec: string, configDir: string, builtinNames: readonly string[]): Promise<unknown> {
  const url = await locate(spec, configDir, builtinNames);
  let mod: { default?: unknown; plugin?: unknown };
  try {
    mod = await import(url);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new PluginError("SWITCHYARD_ERR_PLUGIN_LOAD", spec, `Cannot import ${url}: ${message}`, { cause: err });
  }
  return mod.default ?? mod.plugin;
}

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

/** Resolves a specifier to an importable URL. */
async function locate(spec: string, configDir: string, builtinNames: readonly string[]): Promise<string> {
  if (spec.startsWith("jsr:")) {
    if (isDeno) return spec;
    throw new PluginError("SWITCHYARD_ERR_PLUGIN_LOAD", spec, "jsr: specifiers can only be loaded on Deno");
  }
  if (spec.startsWith("file:")) return spec;
  if (spec.startsWith("./") || spec.startsWith("../") || isAbsolute(spec)) {
    const path = resolve(configDir, spec);
    if (!(await exists(path))) {
      throw new PluginError("SWITCHYARD_ERR_PLUGIN_NOT_FOUND", spec, `No file at ${path}`);
    }
    return pathToFileURL(path).href;
  }
  const { name, range } = parsePackageSpec(spec.startsWith("npm:") ? spec.slice(4) : spec);
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name)) {
    throw new PluginError("SWITCHYARD_ERR_PLUGIN_NOT_FOUND", spec, "Not a built-in plugin, a path or a package name");
  }
  const found = await findPackage(name, [configDir, process.cwd()]);
  if (found) {
    if (range && !satisfiesSafe(found.version, range)) {
      throw new PluginError(
        "SWITCHYARD_ERR_PLUGIN_VERSION",
        spec,
        `Installed ${name}@${found.version} (${found.dir}) does not satisfy ${range}`,
      );
    }
    return pathToFileURL(found.entry).href;
  }
  // Deno can fetch npm packages itself; elsewhere the package must be installed.
  if (isDeno && spec.startsWith("npm:")) return spec;
  const hint = spec.startsWith("npm:") || name.includes("/")
    ? ""
    : ` It is not a built-in either (built-ins: ${builtinNames.join(", ") || "none"}).`;
  throw new PluginError(
    "SWITCHYARD_ERR_PLUGIN_NOT_FOUND",
    spec,
    `Package ${name} is not installed (looked in node_modules above ${configDir} and ${process.cwd()}): install it with npm.${hint}`,
  );
}

function satisfiesSafe(version: string, range: string): boolean {
  try {
    return satisfies(version, range);
  } catch {
    return false;
  }
}

function parsePackageSpec(spec: string): { name: string; range: string | null } {
  const at = spec.indexOf("@", spec.startsWith("@") ? 1 : 0);
  if (at === -1) return { name: spec, range: null };
  return { name: spec.slice(0, at), range: spec.slice(at + 1) || null };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

interface FoundPackage {
  readonly dir: string;
  readonly version: string;
  readonly entry: string;
}

/** Node-style lookup: `node_modules/<name>` in each directory up to the root. */
async function findPackage(name: string, startDirs: readonly string[]): Promise<FoundPackage | null> {
  for (const start of startDirs) {
    let dir = resolve(start);
    for (;;) {
      const pkgDir = join(dir, "node_modules", name);
      const manifest = await readManifest(join(pkgDir, "package.json"));
      if (manifest) {
        return {
          dir: pkgDir,
          version: typeof manifest.version === "string" ? manifest.version : "0.0.0",
          entry: join(pkgDir, packageEntry(manifest)),
        };
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return null;
}

type Manifest = Record<string, unknown>;

async function readManifest(path: string): Promise<Manifest | null> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
    return parsed && typeof parsed === "object" ? (parsed as Manifest) : null;
  } catch {
    return null;
  }
}

const CONDITIONS = ["deno", "bun", "import", "module", "node", "default"];

/** The ESM entry of a package: `exports["."]` by import conditions, then `module`, `main`, `index.js`. */
function packageEntry(manifest: Manifest): string {
  const exp = manifest.exports;
  const root = exp && typeof exp === "object" && !Array.isArray(exp) && "." in exp
    ? (exp as Record<string, unknown>)["."]
    : exp;
  const picked = pickCondition(root);
  if (picked) return picked;
  if (typeof manifest.module === "string") return manifest.module;
  if (typeof manifest.main === "string") return manifest.main;
  return "index.js";
}

function pickCondition(target: unknown): string | null {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const p = pickCondition(t);
      if (p) return p;
    }
    return null;
  }
  if (target && typeof target === "object") {
    const obj = target as Record<string, unknown>;
    for (const c of CONDITIONS) {
      if (c in obj) {
        const p = pickCondition(obj[c]);
        if (p) return p;
      }
    }
  }
  return null;
}
