/**
 * The OAuth refresh-token grant, shared by the built-in OAuth providers: POST the provider's token endpoint (JSON or
 * form), and turn the answer into the updated auth file (new tokens, `expired`, `last_refresh`). Tokens never appear
 * in an error message.
 */
import type { JsonObject } from "../../core/formats/wire-format.ts";
import type { AuthRecord } from "../../core/credentials/auth-record.ts";
import type { RefreshOutcome, RefreshType } from "../../core/credentials/refresh-scheduler.ts";
import type { RefreshHttp } from "../../core/credentials/refresh-http.ts";
import { readAllText } from "../../core/http/upstream-fetch.ts";

export interface TokenGrant {
  /** The token endpoint. An auth file may name its own (`token_endpoint`), as xAI files do. */
  readonly url: string;
  readonly encoding: "json" | "form";
  readonly params: Readonly<Record<string, string>>;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The refresh token of a record (top-level, or nested under `token` as older files have it). */
export function refreshTokenOf(record: AuthRecord): string | undefined {
  const raw = record.raw;
  const nested = raw.token && typeof raw.token === "object" && !Array.isArray(raw.token) ? raw.token as JsonObject : null;
  return str(raw.refresh_token) ?? str(nested?.refresh_token);
}

/** A token endpoint's answer is small; anything larger is not one. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export async function refreshTokens(
  record: AuthRecord,
  grant: TokenGrant,
  signal: AbortSignal,
  http: RefreshHttp,
): Promise<RefreshOutcome> {
  const body = grant.encoding === "json"
    ? JSON.stringify(grant.params)
    : new URLSearchParams(grant.params as Record<string, string>).toString();
  const headers = new Headers({
    "content-type": grant.encoding === "json" ? "application/json" : "application/x-www-form-urlencoded",
    accept: "application/json",
  });
  const res = await http({ url: str(record.raw.token_endpoint) ?? grant.url, method: "POST", headers, body }, signal);
  const text = await readAllText(res.body, MAX_ANSWER_BYTES);
  if (res.status < 200 || res.status >= 300) {
    // The provider's error code only (e.g. invalid_grant): its message may echo what was sent.
    let code = "";
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      code = typeof parsed.error === "string" ? parsed.error : "";
    } catch {
      // Not JSON: the status says enough.
    }
    return { error: { status: res.status, message: `token refresh failed: HTTP ${res.status}${code ? ` ${code}` : ""}` } };
  }
  let answer: JsonObject;
  try {
    answer = JSON.parse(text) as JsonObject;
  } catch {
    return { error: { status: 502, message: "token refresh answered with invalid JSON" } };
  }
  const access = str(answer.access_token);
  if (!access) return { error: { status: 502, message: "token refresh answer has no access_token" } };
  const now = Date.now();
  const next: JsonObject = { ...record.raw, access_token: access, last_refresh: new Date(now).toISOString() };
  const refresh = str(answer.refresh_token);
  if (refresh) next.refresh_token = refresh;
  const id = str(answer.id_token);
  if (id) next.id_token = id;
  if (typeof answer.expires_in === "number") next.expired = new Date(now + answer.expires_in * 1000).toISOString();
  return { record: next };
}

/**
 * A credential type's `refresh`: the refresh-token grant against `url` with `client_id` (+ `extra` params), `leadMs`
 * before expiry. A file without a refresh token cannot be refreshed (401: the scheduler stops trying).
 */
export function refreshTokenGrant(opts: {
  readonly leadMs: number;
  readonly url: string;
  readonly encoding: "json" | "form";
  readonly clientId: string;
  readonly extra?: Readonly<Record<string, string>>;
}): RefreshType {
  return {
    leadMs: opts.leadMs,
    refresh(record, signal, http) {
      const refreshToken = refreshTokenOf(record);
      if (!refreshToken) return Promise.resolve({ error: { status: 401, message: "no refresh_token in the auth file" } });
      const params = { client_id: opts.clientId, grant_type: "refresh_token", refresh_token: refreshToken, ...opts.extra };
      return refreshTokens(record, { url: opts.url, encoding: opts.encoding, params }, signal, http);
    },
  };
}

/** The file's `base_url` (a relay) or the provider's default, without a trailing slash. */
export function baseUrlOf(record: AuthRecord, fallback: string): string {
  const v = record.raw.base_url;
  return (typeof v === "string" && v ? v : fallback).replace(/\/+$/, "");
}
