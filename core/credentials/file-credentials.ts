/**
 * Auth-dir records → credentials, through the provider that registered each record's type. The file's common fields
 * (behaviour.md §5.1) are applied on top of what the provider built, so every provider honours them the same way.
 */
import type { RegisteredCredentialType, RegisteredProvider } from "../plugin/instance.ts";
import type { Credential, CredentialModel, ProviderAdapter } from "../plugin/types.ts";
import type { Logger } from "../log.ts";
import type { AuthRecord } from "./auth-record.ts";
import { ScopedErrorRules } from "../routing/scoped-errors.ts";

/** One alias rule, from a file's `model_aliases` or the config's `oauth-model-alias` channel. */
interface AliasRule {
  readonly name: string;
  readonly alias: string;
  readonly fork: boolean;
  readonly displayName?: string;
  readonly forceMapping: boolean;
}

/** Aliases replace (or, with `fork`, add to) the models they name. */
function withAliases(models: readonly CredentialModel[], aliases: readonly AliasRule[]): readonly CredentialModel[] {
  if (aliases.length === 0) return models;
  const out: CredentialModel[] = [];
  for (const m of models) {
    const mapped = aliases.filter((a) => a.name === m.upstream);
    if (mapped.length === 0) {
      out.push(m);
      continue;
    }
    if (mapped.some((a) => a.fork)) out.push(m);
    for (const a of mapped) {
      out.push({ ...m, id: a.alias, displayName: a.displayName || a.alias, forceMapping: a.forceMapping });
    }
  }
  return out;
}

/** Config-wide rules by channel (auth-file type): `oauth-model-alias` and `oauth-excluded-models`. */
export interface ChannelRules {
  readonly aliases: Readonly<Record<string, readonly AliasRule[]>>;
  readonly excluded: Readonly<Record<string, readonly string[]>>;
  /** `oauth-request-scoped-errors`, compiled once per channel. */
  readonly scoped: Readonly<Record<string, ScopedErrorRules>>;
}

export function channelRules(config: {
  readonly "oauth-model-alias": Readonly<Record<string, readonly { name: string; alias: string; fork: boolean; "display-name": string; "force-mapping": boolean }[]>>;
  readonly "oauth-excluded-models": Readonly<Record<string, readonly string[]>>;
  readonly "oauth-request-scoped-errors": Readonly<Record<string, Parameters<typeof ScopedErrorRules.compile>[0]>>;
}): ChannelRules {
  const aliases: Record<string, AliasRule[]> = {};
  for (const [channel, list] of Object.entries(config["oauth-model-alias"])) {
    aliases[channel.toLowerCase()] = list.map((a) => ({
      name: a.name,
      alias: a.alias,
      fork: a.fork,
      displayName: a["display-name"] || undefined,
      forceMapping: a["force-mapping"],
    }));
  }
  const excluded: Record<string, readonly string[]> = {};
  for (const [channel, list] of Object.entries(config["oauth-excluded-models"])) excluded[channel.toLowerCase()] = list;
  const scoped: Record<string, ScopedErrorRules> = {};
  for (const [channel, rules] of Object.entries(config["oauth-request-scoped-errors"])) {
    const compiled = ScopedErrorRules.compile(rules);
    if (compiled) scoped[channel.toLowerCase()] = compiled;
  }
  return { aliases, excluded, scoped };
}

const NO_RULES: ChannelRules = { aliases: {}, excluded: {}, scoped: {} };

/** Builds the file credentials; records of types no enabled provider serves are skipped (the directory lists them). */
export function credentialsFromRecords(
  records: ReadonlyMap<string, AuthRecord>,
  types: ReadonlyMap<string, RegisteredCredentialType>,
  log?: Logger,
  rules: ChannelRules = NO_RULES,
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
      // A file's own model_aliases win over the channel's oauth-model-alias.
      models: withAliases(built.models, record.modelAliases?.length ? record.modelAliases : rules.aliases[record.type] ?? []),
      excludedModels: record.excludedModels ?? rules.excluded[record.type] ?? built.excludedModels,
      proxyUrl: record.proxyUrl ?? built.proxyUrl,
      disableCooling: record.disableCooling ?? built.disableCooling,
      requestScopedErrors: rules.scoped[record.type] ?? built.requestScopedErrors,
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
