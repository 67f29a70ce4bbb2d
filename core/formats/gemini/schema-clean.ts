/**
 * Tool parameter schemas cleaned for Gemini's `parametersJsonSchema`, which takes only a subset of JSON Schema and
 * answers 400 to the rest. Follows CLIProxyAPI's Gemini cleaner (`internal/util/gemini_schema.go`): what Gemini
 * cannot enforce is kept for the model as a hint in `description` ("minLength: 3", "Allowed: a, b"), unions collapse
 * to their most structured branch, `const` becomes a one-value `enum`, enum values become strings.
 *
 * Differences from CPA, on purpose: local `$ref`s are inlined (CPA replaces them with an empty object and a
 * "See: X" hint for Gemini, losing the structure; it inlines only for Antigravity), formats Gemini knows are kept,
 * and the output keeps only the keywords Gemini documents (an allowlist), so unknown vendor keywords cannot leak.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";

/** Formats Gemini's schema accepts (date-time/enum for strings, float/double, int32/int64). */
const KNOWN_FORMATS: ReadonlySet<string> = new Set(["date-time", "enum", "float", "double", "int32", "int64"]);

/** Scalar constraints Gemini rejects, moved into the description, in CPA's order. */
const HINTED_CONSTRAINTS = [
  "minLength",
  "maxLength",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "pattern",
  "minItems",
  "maxItems",
  "uniqueItems",
  "multipleOf",
  "format",
  "default",
  "examples",
] as const;

/** Keys that hold schemas or schema metadata; any other object-valued key of an object schema is a stray property. */
const SCHEMA_OBJECT_KEYS: ReadonlySet<string> = new Set([
  "properties",
  "patternProperties",
  "additionalProperties",
  "items",
  "prefixItems",
  "$defs",
  "definitions",
  "dependentSchemas",
  "dependentRequired",
  "dependencies",
  "if",
  "then",
  "else",
  "not",
  "contains",
  "propertyNames",
  "unevaluatedProperties",
  "unevaluatedItems",
  "contentSchema",
  "additionalItems",
  "default",
  "const",
  "example",
  "examples",
  "discriminator",
  "xml",
  "externalDocs",
  "enumDescriptions",
  "enumTitles",
]);

interface Walk {
  readonly root: JsonObject;
  /** `$ref`s being expanded on the current path: a repeat is a cycle. */
  readonly active: Set<string>;
}

interface Cleaned {
  readonly schema: JsonObject;
  /** The schema allowed `null` (a `type` array with "null"): its property is not required. */
  readonly nullable: boolean;
}

/** A tool's parameter schema, cleaned for Gemini. The input is not modified. */
export function cleanSchemaForGemini(schema: JsonObject): JsonObject {
  const out = cleanNode(schema, { root: schema, active: new Set() }).schema;
  if (out.type === undefined && out.properties !== undefined) out.type = "object";
  return Object.keys(out).length === 0 ? { type: "object", properties: {} } : out;
}

/** Appends `hint` to a description unless it is already there (cleaning may run twice on one schema). */
function withHint(description: JsonValue | undefined, hint: string): string {
  if (typeof description !== "string" || description === "") return hint;
  if (description === hint || description.startsWith(`${hint} (`) || description.includes(`(${hint})`)) {
    return description;
  }
  return `${description} (${hint})`;
}

function hint(n: JsonObject, text: string): void {
  n.description = withHint(n.description, text);
}

function scalarText(v: JsonValue): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function pointer(root: JsonObject, ref: string): JsonValue | undefined {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let cur: JsonValue | undefined = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isJsonObject(cur)) cur = cur[key];
    else return undefined;
  }
  return cur;
}

function refName(ref: string): string {
  const slash = ref.lastIndexOf("/");
  return slash >= 0 && slash + 1 < ref.length ? ref.slice(slash + 1).replaceAll("~1", "/").replaceAll("~0", "~") : ref;
}

function without(o: JsonObject, key: string): JsonObject {
  const copy: JsonObject = { ...o };
  delete copy[key];
  return copy;
}

/** A local `$ref` target with the referring node's own keywords on top (one level; nested refs resolve later). */
function resolveShallow(n: JsonObject, w: Walk): JsonObject {
  const ref = n.$ref;
  if (typeof ref !== "string") return n;
  const target = pointer(w.root, ref);
  return isJsonObject(target) ? { ...target, ...without(n, "$ref") } : without(n, "$ref");
}

function isNonObjectType(t: JsonValue | undefined): boolean {
  if (typeof t === "string") return t !== "" && t !== "object";
  if (Array.isArray(t)) return t.length > 0 && !t.includes("object");
  return false;
}

/** Fills keys `n` lacks from `src`, recursing into objects both have (the parent's definition wins). */
function mergeMissing(n: JsonObject, src: JsonObject): void {
  for (const [k, v] of Object.entries(src)) {
    const cur = n[k];
    if (cur === undefined) n[k] = v;
    else if (isJsonObject(cur) && isJsonObject(v)) {
      const merged: JsonObject = { ...cur };
      mergeMissing(merged, v);
      n[k] = merged;
    }
  }
}

function stringList(v: JsonValue | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function cleanNode(input: JsonValue | undefined, w: Walk): Cleaned {
  if (!isJsonObject(input)) return { schema: {}, nullable: false };
  const ref = input.$ref;
  if (typeof ref === "string") {
    const target = pointer(w.root, ref);
    if (isJsonObject(target) && !w.active.has(ref)) {
      w.active.add(ref);
      try {
        return cleanNode({ ...target, ...without(input, "$ref") }, w);
      } finally {
        w.active.delete(ref);
      }
    }
    // Cyclic or not resolvable here: the definition's type and description, the node's own keywords, and the
    // definition's name for the model.
    const n: JsonObject = {};
    if (isJsonObject(target)) {
      if (target.type !== undefined) n.type = target.type;
      if (target.description !== undefined) n.description = target.description;
    }
    Object.assign(n, without(input, "$ref"));
    n.type ??= "object";
    hint(n, `See: ${refName(ref)}`);
    return cleanNode(n, w);
  }
  const n: JsonObject = { ...input };

  // MCP servers sometimes send bare property maps (no `properties` wrapper) and boolean `required` on properties.
  if (!isNonObjectType(n.type)) {
    let stray: JsonObject | null = null;
    for (const [k, v] of Object.entries(n)) {
      if (isJsonObject(v) && !SCHEMA_OBJECT_KEYS.has(k) && !k.startsWith("x-")) {
        (stray ??= {})[k] = v;
        delete n[k];
      }
    }
    if (stray) {
      n.properties = isJsonObject(n.properties) ? { ...n.properties, ...stray } : stray;
      n.type ??= "object";
    }
  }

  // allOf: every branch's keywords fill what the node lacks; `required` lists unite.
  if (Array.isArray(n.allOf)) {
    const required = stringList(n.required);
    for (const b of n.allOf) {
      if (!isJsonObject(b)) continue;
      const branch = resolveShallow(b, w);
      for (const r of stringList(branch.required)) if (!required.includes(r)) required.push(r);
      mergeMissing(n, without(without(branch, "required"), "allOf"));
    }
    delete n.allOf;
    if (required.length > 0) n.required = required;
  }
  // if/then/else cannot be expressed: offer the conditional properties as optional ones.
  for (const k of ["then", "else"] as const) {
    const branch = n[k];
    if (isJsonObject(branch) && isJsonObject(branch.properties)) {
      const props: JsonObject = isJsonObject(n.properties) ? { ...n.properties } : {};
      for (const [name, s] of Object.entries(branch.properties)) props[name] ??= s;
      n.properties = props;
    }
  }

  if (n.const !== undefined && n.enum === undefined) n.enum = [n.const];
  if (Array.isArray(n.enum)) {
    // Gemini takes string enums only.
    const values = n.enum.filter((v) => v !== null).map(scalarText);
    n.enum = values;
    n.type = "string";
    if (values.length > 1 && values.length <= 10) hint(n, `Allowed: ${values.join(", ")}`);
  }
  if (n.additionalProperties === false) hint(n, "No extra properties allowed");
  for (const key of HINTED_CONSTRAINTS) {
    const v = n[key];
    if (v === undefined || v === null || typeof v === "object") continue;
    if (key === "format" && typeof v === "string" && KNOWN_FORMATS.has(v)) continue;
    hint(n, `${key}: ${scalarText(v)}`);
  }

  // anyOf/oneOf: keep the most structured branch. A node with its own type or properties only constrains further.
  const union = Array.isArray(n.anyOf) ? n.anyOf : Array.isArray(n.oneOf) ? n.oneOf : undefined;
  if (union && union.length > 0 && n.type === undefined && n.properties === undefined) {
    return collapseUnion(union, n, w);
  }

  let nullable = false;
  if (Array.isArray(n.type)) {
    const types = n.type.filter((t): t is string => typeof t === "string" && t !== "");
    const nonNull = types.filter((t) => t !== "null");
    nullable = nonNull.length < types.length;
    n.type = nonNull[0] ?? "string";
    if (nonNull.length > 1) hint(n, `Accepts: ${nonNull.join(" | ")}`);
    if (nullable) hint(n, "(nullable)");
  }
  return { schema: allowed(n, w), nullable };
}

function collapseUnion(branches: readonly JsonValue[], parent: JsonObject, w: Walk): Cleaned {
  let best: JsonObject | null = null;
  let bestScore = -1;
  const types: string[] = [];
  let hasNull = false;
  // A union of constants (zod literals, Python Literal/Enum) is one enum, not its first member.
  let values: string[] | null = [];
  for (const b of branches) {
    const c = cleanNode(b, w).schema;
    let t = typeof c.type === "string" ? c.type : "";
    let score: number;
    if (t === "object" || c.properties !== undefined) [score, t] = [3, t || "object"];
    else if (t === "array" || c.items !== undefined) [score, t] = [2, t || "array"];
    else if (t !== "" && t !== "null") score = 1;
    else [score, t] = [0, t || "null"];
    if (t === "null") hasNull = true;
    else if (values && Array.isArray(c.enum)) values.push(...stringList(c.enum).filter((v) => !values!.includes(v)));
    else values = null;
    if (!types.includes(t)) types.push(t);
    if (score > bestScore) [best, bestScore] = [c, score];
  }
  const out: JsonObject = values && values.length > 0 ? { type: "string", enum: values } : { ...(best ?? {}) };
  const parentDesc = parent.description;
  if (typeof parentDesc === "string" && parentDesc !== "") {
    const own = out.description;
    out.description = typeof own !== "string" || own === "" || own === parentDesc
      ? parentDesc
      : `${parentDesc} (${own})`;
  }
  if (types.length > 1) hint(out, `Accepts: ${types.join(" | ")}`);
  else if (values && values.length > 1 && values.length <= 10) hint(out, `Allowed: ${values.join(", ")}`);
  return { schema: out, nullable: hasNull && out.type !== "null" };
}

/** The keywords Gemini takes, with properties and items cleaned. */
function allowed(n: JsonObject, w: Walk): JsonObject {
  const out: JsonObject = {};
  const type = typeof n.type === "string" ? n.type : undefined;
  if (type !== undefined) out.type = type;
  if (typeof n.format === "string" && KNOWN_FORMATS.has(n.format)) out.format = n.format;
  if (typeof n.description === "string") out.description = n.description;
  if (Array.isArray(n.enum)) out.enum = n.enum;

  if (isJsonObject(n.properties) && (type === undefined || type === "object")) {
    const required = stringList(n.required);
    const props: JsonObject = {};
    for (const [name, raw] of Object.entries(n.properties)) {
      let child = raw;
      // `required: true` on a property (draft-3 style) means the parent requires it.
      if (isJsonObject(raw) && typeof raw.required === "boolean") {
        if (raw.required && !required.includes(name)) required.push(name);
        child = without(raw, "required");
      }
      const c = cleanNode(child, w);
      props[name] = c.schema;
      if (c.nullable) {
        const i = required.indexOf(name);
        if (i !== -1) required.splice(i, 1);
      }
    }
    out.properties = props;
    const kept = required.filter((r) => r in props);
    if (kept.length > 0) out.required = kept;
    const order = stringList(n.propertyOrdering).filter((p) => p in props);
    if (order.length > 0) out.propertyOrdering = order;
  }

  const items = Array.isArray(n.items) ? n.items[0] : n.items;
  if (isJsonObject(items)) out.items = cleanNode(items, w).schema;

  for (const key of ["minimum", "maximum", "minProperties", "maxProperties"] as const) {
    const v = n[key];
    if (typeof v === "number") out[key] = v;
  }
  return out;
}
