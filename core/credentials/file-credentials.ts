/**
 * Auth-dir records → credentials, through the provider that registered each record's type. The file's common fields
 * (behaviour.md §5.1) are applied on top of what the provider built, so every provider honours them the same way.
 */
import type { RegisteredCredentialType, RegisteredProvider } from "../plugin/instance.ts";
import type { Credential, CredentialModel, ProviderAdapter } from "../plugin/types.ts";
import type { Logger } from "../log.ts";
import type { AuthRecord } from "./auth-record.ts";

function withAliases(models: readonly CredentialModel[], record: AuthRecord): readonly CredentialModel[] {
  const aliases = record.modelAliases;
  if (!aliases || aliases.length === 0) return models;
  const out: CredentialModel[] = [];
  for (const m of models) {
    const mapped = aliases.filter((a) => a.name === m.upstream);
    if (mapped.length === 0) {
      out.push(m);
      continue;
    }
    // A fork keeps the original id too; otherwise the alias replaces it.
    if (mapped.some((a) => a.fork)) out.push(m);
    for (const a of mapped) out.push({ ...m, id: a.alias, displayName: a.displayName ?? a.alias });
  }
  return out;
}

/** Builds the file credentials; records of types no enabled provider serves are skipped (the directory lists them). */
export function credentialsFromRecords(
  records: ReadonlyMap<string, AuthRecord>,
  types: ReadonlyMap<string, RegisteredCredentialType>,
  log?: Logger,
): RegisteredProvider[] {
  const byAdapter = new Map<ProviderAdapter, { plugin: string; credentials: Credential[] }>();
  for (const record of records.values()) {
    if (record.disabled) continue;
    const registered = types.get(record.type);
    if (!registered) continue;
    let built: Credential | null;
    try {
      built = registered.handler.fromRecord(record);
    } catch (err) {
      log?.warn(`auth file ${record.id}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    if (!built) continue;
    const credential: Credential = {
      ...built,
      id: record.id,
      provider: registered.handler.adapter.id,
      label: built.label || record.label,
      priority: record.priority ?? built.priority,
      weight: record.weight ?? built.weight,
      prefix: record.prefix ?? built.prefix,
      models: withAliases(built.models, record),
      excludedModels: record.excludedModels ?? built.excludedModels,
      proxyUrl: record.proxyUrl ?? built.proxyUrl,
      disableCooling: record.disableCooling ?? built.disableCooling,
      requestRetry: record.requestRetry ?? built.requestRetry,
    };
    let group = byAdapter.get(registered.handler.adapter);
    if (!group) byAdapter.set(registered.handler.adapter, (group = { plugin: registered.plugin, credentials: [] }));
    group.credentials.push(Object.freeze(credential));
  }
  return [...byAdapter].map(([adapter, g]) =>
    Object.freeze({ plugin: g.plugin, adapter, credentials: Object.freeze(g.credentials) })
  );
}
