/**
 * The model → candidates table, compiled once per snapshot from every registered credential. Resolving a model is
 * one Map lookup; the candidate lists are pre-sorted (priority descending, then credential id) and frozen.
 */
import type { RegisteredProvider } from "../plugin/instance.ts";
import type { Credential, CredentialModel, ProviderAdapter } from "../plugin/types.ts";
import { compileModelPatterns } from "./model-pattern.ts";

export interface RouteCandidate {
  readonly provider: ProviderAdapter;
  readonly credential: Credential;
  readonly upstreamModel: string;
  readonly model: CredentialModel;
}

export interface ListedModel {
  readonly id: string;
  readonly ownedBy: string;
  readonly displayName: string;
  /** Unix seconds; stable per snapshot so lists do not jitter. */
  readonly created: number;
}

export interface ModelTableOptions {
  /** CLIProxyAPI `force-model-prefix`: credentials with a prefix serve only `prefix/model`. */
  readonly forceModelPrefix: boolean;
}

export class ModelTable {
  readonly #routes: Map<string, readonly RouteCandidate[]>;
  /** Every model id a client may ask for, in first-registered order. */
  readonly models: readonly ListedModel[];

  private constructor(routes: Map<string, readonly RouteCandidate[]>, models: readonly ListedModel[]) {
    this.#routes = routes;
    this.models = models;
  }

  static build(providers: readonly RegisteredProvider[], opts: ModelTableOptions): ModelTable {
    const routes = new Map<string, RouteCandidate[]>();
    const listed = new Map<string, ListedModel>();
    const created = Math.floor(Date.now() / 1000);
    const add = (id: string, candidate: RouteCandidate, ownedBy: string, displayName: string) => {
      let list = routes.get(id);
      if (!list) routes.set(id, (list = []));
      list.push(candidate);
      if (!listed.has(id)) listed.set(id, Object.freeze({ id, ownedBy, displayName, created }));
    };
    for (const { adapter, credentials } of providers) {
      for (const credential of credentials) {
        const excluded = compileModelPatterns(credential.excludedModels);
        for (const model of credential.models) {
          if (excluded(model.id)) continue;
          const candidate = Object.freeze({ provider: adapter, credential, upstreamModel: model.upstream, model });
          const ownedBy = model.ownedBy ?? adapter.id;
          const displayName = model.displayName ?? model.id;
          if (credential.prefix) add(`${credential.prefix}/${model.id}`, candidate, ownedBy, displayName);
          if (!credential.prefix || !opts.forceModelPrefix) add(model.id, candidate, ownedBy, displayName);
        }
      }
    }
    const frozen = new Map<string, readonly RouteCandidate[]>();
    for (const [id, list] of routes) {
      list.sort((a, b) =>
        b.credential.priority - a.credential.priority ||
        (a.credential.id < b.credential.id ? -1 : a.credential.id > b.credential.id ? 1 : 0)
      );
      frozen.set(id, Object.freeze(list));
    }
    return new ModelTable(frozen, Object.freeze([...listed.values()]));
  }

  /** Candidates for a model id, or undefined when no credential serves it. */
  resolve(model: string): readonly RouteCandidate[] | undefined {
    return this.#routes.get(model);
  }

  get size(): number {
    return this.#routes.size;
  }
}
