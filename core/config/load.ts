/**
 * Reads a CPA-compatible `config.yaml` into a validated, deeply frozen config.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { type Document, parseDocument, type YAMLError } from "yaml";
import type { z } from "zod";
import { configSchema, type SwitchyardConfig } from "./schema.ts";

/** One problem in a config file: a dotted key path (`routing.strategy`, `gemini-api-key[0].weight`) and what is wrong. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Why a config was refused: the file could not be read, it is not valid YAML, or its values are wrong. The
 * management API answers 400 for `syntax` and 422 for `invalid`.
 */
export type ConfigErrorKind = "read" | "syntax" | "invalid";

/** A config that cannot be used; `message` lists every issue, `issues` has them one by one. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];
  readonly kind: ConfigErrorKind;

  constructor(file: string, issues: readonly ConfigIssue[], kind: ConfigErrorKind = "invalid") {
    super(`Invalid config ${file}: ${summarise(issues)}`);
    this.name = "ConfigError";
    this.kind = kind;
    this.issues = Object.freeze(issues.map((i) => Object.freeze({ ...i })));
  }
}

const MAX_ISSUES_IN_MESSAGE = 20;

function summarise(issues: readonly ConfigIssue[]): string {
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((
    i,
  ) => (i.path === "" ? i.message : `${i.path}: ${i.message}`));
  const rest = issues.length - shown.length;
  return shown.join("; ") + (rest > 0 ? `; and ${rest} more` : "");
}

export interface LoadedConfig {
  readonly config: SwitchyardConfig;
  /** Absolute path of the file. */
  readonly path: string;
  /** Directory holding the file; relative paths in the config are read against it by their users. */
  readonly dir: string;
  /** The exact text that was parsed. */
  readonly text: string;
  /** SHA-256 of `text`, hex; reloads compare it to skip no-op writes. */
  readonly hash: string;
  /** Top-level keys present in the file, in file order (plugins are implied from these). */
  readonly presentKeys: readonly string[];
}

/** Options shared by every parse, so `editConfigText` re-reads a document exactly as the loader did. */
export const YAML_PARSE_OPTIONS = Object.freeze({
  // yaml.v3 (CPA) resolves `<<` merge keys and rejects duplicate keys; match both.
  merge: true,
  uniqueKeys: true,
  prettyErrors: true,
});

/** Freezes `v` and everything reachable from it; returns `v`. */
export function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== "object" || Object.isFrozen(v)) return v;
  // Typed arrays with elements cannot be frozen; they are not produced by the schema but may sit in unknown keys.
  if (ArrayBuffer.isView(v)) return v;
  Object.freeze(v);
  for (const key of Reflect.ownKeys(v)) {
    deepFreeze((v as Record<PropertyKey, unknown>)[key]);
  }
  return v;
}

/**
 * Parses config text; throws {@link ConfigError} on a YAML syntax error (with line and column) or invalid values.
 * An empty file yields every default.
 */
export function parseConfigText(text: string, path: string): LoadedConfig {
  const file = resolve(path);
  const doc = parseYamlDocument(text, file);
  return buildLoadedConfig(doc, text, file);
}

/** Reads and parses a config file; see {@link parseConfigText}. */
export async function loadConfigFile(path: string): Promise<LoadedConfig> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [{ path: "", message: `cannot read file: ${(err as Error).message}` }], "read");
  }
  return parseConfigText(text, file);
}

/** Parses YAML keeping comments; throws {@link ConfigError} for syntax errors. */
export function parseYamlDocument(text: string, file: string): Document {
  const doc = parseDocument(text, YAML_PARSE_OPTIONS);
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map(yamlIssue), "syntax");
  return doc;
}

/** Validates a parsed document against the schema and packages the result. */
export function buildLoadedConfig(doc: Document, text: string, file: string): LoadedConfig {
  let js: unknown;
  try {
    js = doc.toJS();
  } catch (err) {
    // Unresolved aliases and alias bombs surface here rather than in doc.errors.
    throw new ConfigError(file, [{ path: "", message: `YAML error: ${(err as Error).message}` }], "syntax");
  }
  if (js === null || js === undefined) js = {};
  if (typeof js !== "object" || js === null || Array.isArray(js)) {
    throw new ConfigError(file, [{ path: "", message: `the top level must be a map of keys (got ${describe(js)})` }]);
  }
  const data: object = js;

  const result = configSchema.safeParse(data, { reportInput: true });
  if (!result.success) throw new ConfigError(file, result.error.issues.map(zodIssue));

  const config = expandHomePaths(result.data);
  return deepFreeze({
    config,
    path: file,
    dir: dirname(file),
    text,
    hash: createHash("sha256").update(text).digest("hex"),
    presentKeys: Object.keys(data),
  });
}

// ---------------------------------------------------------------------------------------------------------------

function yamlIssue(e: YAMLError): ConfigIssue {
  // With prettyErrors the message carries " at line L, column C:" and a code excerpt; keep only the first clause.
  const head = e.message.split("\n")[0] ?? e.message;
  const message = head.replace(/ at line \d+, column \d+:?\s*$/, "");
  const pos = e.linePos?.[0];
  const where = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
  return { path: "", message: `YAML syntax error${where}: ${message}` };
}

function expandHome(p: string): string {
  if (p === "~") return homedir();
  if (p.startsWith("~/") || p.startsWith("~\\")) return join(homedir(), p.slice(2));
  return p;
}

/** `~` and `~/…` in path-like keys mean the home directory, as in CPA. */
function expandHomePaths(c: SwitchyardConfig): SwitchyardConfig {
  return {
    ...c,
    "auth-dir": expandHome(c["auth-dir"]),
    tls: { ...c.tls, cert: expandHome(c.tls.cert), key: expandHome(c.tls.key) },
  };
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `["gemini-api-key", 0, "weight"]` → `gemini-api-key[0].weight`; odd keys are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else {
      const key = String(seg);
      if (PLAIN_KEY.test(key)) out += out === "" ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

// A wrong value under a key like this is echoed as its type only: error messages end up in logs.
const SECRET_KEY = /key|secret|token|password|credential/i;
const MAX_ECHO = 60;

function describe(v: unknown, secret = false): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  switch (typeof v) {
    case "string": {
      if (secret) return "a string";
      const s = v.length > MAX_ECHO ? `${v.slice(0, MAX_ECHO - 1)}…` : v;
      return JSON.stringify(s);
    }
    case "number":
    case "boolean":
    case "bigint":
      return String(v);
    case "object":
      return "a map";
    default:
      return typeof v;
  }
}

function zodIssue(issue: z.core.$ZodIssue): ConfigIssue {
  const path = formatPath(issue.path);
  if (issue.code === "invalid_type" && issue.input === undefined) return { path, message: "is required" };
  const lastKey = issue.path.findLast((seg) => typeof seg === "string");
  const secret = typeof lastKey === "string" && SECRET_KEY.test(lastKey);
  const got = "input" in issue && issue.input !== undefined ? ` (got ${describe(issue.input, secret)})` : "";
  return { path, message: issue.message + got };
}
