/**
 * Reading Gemini JSON bodies. Real clients spell fields both ways (`inlineData` from the SDKs, `inline_data` from
 * curl examples and the REST docs), and the API accepts both, so every read goes through {@link field}.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../wire-format.ts";

/** `o[camel]`, else `o[snake]`. */
export function field(o: JsonObject, camel: string, snake: string): JsonValue | undefined {
  const v = o[camel];
  return v !== undefined ? v : o[snake];
}

export function objectAt(o: JsonObject, camel: string, snake: string): JsonObject | undefined {
  const v = field(o, camel, snake);
  return isJsonObject(v) ? v : undefined;
}

export function arrayAt(o: JsonObject, camel: string, snake: string): JsonValue[] | undefined {
  const v = field(o, camel, snake);
  return Array.isArray(v) ? v : undefined;
}

export function stringAt(o: JsonObject, camel: string, snake: string): string | undefined {
  const v = field(o, camel, snake);
  return typeof v === "string" ? v : undefined;
}

/** A finite number (the REST API also takes int64 fields as decimal strings). */
export function numberAt(o: JsonObject, camel: string, snake: string): number | undefined {
  const v = field(o, camel, snake);
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** `snake_case` → `camelCase` (a camelCase key comes back unchanged). */
export function camelKey(key: string): string {
  return key.includes("_") ? key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()) : key;
}
