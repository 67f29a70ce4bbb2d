/**
 * `openai-compatibility` entries → credentials: one per `api-key-entries` item (or one keyless credential when an
 * entry lists no keys), each serving the entry's models under their aliases.
 */
import type { OpenAICompatibilityEntry } from "../../core/config/schema.ts";
import { maskSecret } from "../../core/log.ts";
import { ScopedErrorRules } from "../../core/routing/scoped-errors.ts";
import type { Credential, CredentialModel } from "../../core/plugin/types.ts";
import { type KeyCredentialData, splitHeaders } from "../shared/key-entries.ts";

export const PROVIDER_ID = "openai-compatible";

export interface CompatCredentialData extends KeyCredentialData {
  /** The entry's `name`. */
  readonly name: string;
}

export function credentialsFromEntries(
  entries: readonly OpenAICompatibilityEntry[],
): Credential<CompatCredentialData>[] {
  const out: Credential<CompatCredentialData>[] = [];
  for (const entry of entries) {
    if (entry.disabled || !entry["base-url"]) continue;
    const models: CredentialModel[] = entry.models.map((m) => ({
      id: m.alias || m.name,
      upstream: m.name || m.alias,
      displayName: m["display-name"] || m.alias || m.name,
      ownedBy: entry.name,
      ...(m["force-mapping"] && m.alias ? { forceMapping: true } : {}),
    }));
    if (models.length === 0) continue;
    const { headers, copiedHeaders } = splitHeaders(entry.headers ?? {});
    // Compiled once per entry: every key of the entry shares the rules.
    const requestScopedErrors = ScopedErrorRules.compile(entry["request-scoped-errors"]);
    const keys = entry["api-key-entries"].length > 0
      ? entry["api-key-entries"]
      : [{ "api-key": "", weight: 1, "proxy-url": "" }];
    keys.forEach((key, i) => {
      out.push({
        id: `${PROVIDER_ID}:${entry.name}#${i}`,
        provider: PROVIDER_ID,
        label: `${entry.name} ${key["api-key"] ? maskSecret(key["api-key"]) : "(no key)"}`,
        priority: entry.priority,
        weight: key.weight,
        prefix: entry.prefix || undefined,
        models,
        excludedModels: entry["excluded-models"],
        disableCooling: entry["disable-cooling"],
        requestRetry: entry["request-retry"],
        requestScopedErrors,
        proxyUrl: key["proxy-url"] || undefined,
        data: {
          name: entry.name,
          baseUrl: entry["base-url"].replace(/\/+$/, ""),
          apiKey: key["api-key"],
          headers,
          copiedHeaders,
          proxyUrl: key["proxy-url"],
        },
      });
    });
  }
  return out;
}
