/**
 * CLIProxyAPI's API-key entries (`claude-api-key`, `gemini-api-key`, `vertex-api-key`, `codex-api-key`,
 * `xai-api-key`) share one shape; this turns them into credentials. Used by the built-in providers only — a
 * third-party provider builds credentials however it likes.
 */
import type { ApiKeyEntry, ModelEntry } from "../../core/config/schema.ts";
import { maskSecret } from "../../core/log.ts";
import { ScopedErrorRules } from "../../core/routing/scoped-errors.ts";
import type { Credential, CredentialModel } from "../../core/plugin/types.ts";

/** Adapter data common to key entries. */
export interface KeyCredentialData {
  /** Without a trailing slash. */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly headers: readonly (readonly [string, string])[];
  /** `[upstream header, client header]` from `"$Name"` values. */
  readonly copiedHeaders: readonly (readonly [string, string])[];
  readonly proxyUrl: string;
  /** An OAuth access token from an auth file rather than an API key (providers authenticate it differently). */
  readonly oauth?: boolean;
}

/** Configured `models:` (aliases) replace the catalogue, as in CLIProxyAPI. */
export function modelsOf(
  entries: readonly ModelEntry[],
  catalogue: readonly CredentialModel[],
): readonly CredentialModel[] {
  if (entries.length === 0) return catalogue;
  return entries.map((m) => {
    const upstream = m.name || m.alias;
    const known = catalogue.find((c) => c.upstream === upstream);
    return {
      id: m.alias || m.name,
      upstream,
      displayName: m["display-name"] || known?.displayName || m.alias || m.name,
      ...(known?.thinking ? { thinking: known.thinking } : {}),
      ...(m["force-mapping"] && m.alias ? { forceMapping: true } : {}),
    };
  });
}

/** Splits `headers:` into static ones and `$Name` copies of client headers. */
export function splitHeaders(
  headers: Readonly<Record<string, string>>,
): { headers: [string, string][]; copiedHeaders: [string, string][] } {
  const out: [string, string][] = [];
  const copied: [string, string][] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (value.startsWith("$") && value.length > 1) copied.push([key, value.slice(1)]);
    else out.push([key, value]);
  }
  return { headers: out, copiedHeaders: copied };
}

/** Applies static and copied headers to an upstream request. */
export function applyHeaders(target: Headers, data: KeyCredentialData, client: Headers): void {
  for (const [name, value] of data.headers) target.set(name, value);
  for (const [name, from] of data.copiedHeaders) {
    const value = client.get(from);
    if (value !== null) target.set(name, value);
  }
}

export function credentialsFromKeyEntries<E extends ApiKeyEntry>(
  provider: string,
  entries: readonly E[],
  opts: { defaultBaseUrl: string; catalogue: readonly CredentialModel[] },
): Credential<KeyCredentialData>[] {
  return entries.map((entry, i) => {
    const { headers, copiedHeaders } = splitHeaders(entry.headers);
    const baseUrl = (entry["base-url"] || opts.defaultBaseUrl).replace(/\/+$/, "");
    return {
      id: `${provider}:${i}`,
      provider,
      label: `${provider}#${i} ${entry["api-key"] ? maskSecret(entry["api-key"]) : "(no key)"}`,
      priority: entry.priority,
      weight: entry.weight,
      prefix: entry.prefix || undefined,
      models: modelsOf(entry.models, opts.catalogue),
      excludedModels: entry["excluded-models"],
      disableCooling: entry["disable-cooling"],
      requestRetry: entry["request-retry"],
      requestScopedErrors: ScopedErrorRules.compile(entry["request-scoped-errors"]),
      proxyUrl: entry["proxy-url"] || undefined,
      data: { baseUrl, apiKey: entry["api-key"], headers, copiedHeaders, proxyUrl: entry["proxy-url"] },
    };
  });
}
