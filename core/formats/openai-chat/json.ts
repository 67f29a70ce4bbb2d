/** Typed reads of untrusted JSON: each returns undefined for a missing or wrongly typed value, never throws. */
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";

/** A writable view of a readonly IR type, for building one field by field. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function str(v: JsonValue | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function num(v: JsonValue | undefined): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function bool(v: JsonValue | undefined): boolean | undefined {
  return typeof v === "boolean" ? v : undefined;
}

export function obj(v: JsonValue | undefined): JsonObject | undefined {
  return isJsonObject(v) ? v : undefined;
}

export function arr(v: JsonValue | undefined): JsonValue[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

/** Tool-call arguments as JSON text: strings as sent, objects (some providers send them) serialised. */
export function argumentsText(v: JsonValue | undefined): string {
  if (typeof v === "string") return v;
  return v === undefined || v === null ? "" : JSON.stringify(v);
}

/** A random id with an OpenAI-style prefix (`chatcmpl-…`, `call_…`). */
export function randomId(prefix: string): string {
  return prefix + crypto.randomUUID().replaceAll("-", "").slice(0, 24);
}

/** Unix seconds now: the fallback `created` when an upstream omits it. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
