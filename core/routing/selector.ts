/**
 * Orders a model's candidates into the attempts of one request. Only the highest priority bucket rotates; lower buckets
 * follow as failover. State (cursors, smooth-WRR weights) lives outside the snapshot so a reload keeps the rotation.
 */
import type { RouteTarget } from "../plugin/types.ts";
import type { Clock, CooldownTracker } from "./cooldown.ts";
import type { ModelTable } from "./model-table.ts";
import { SessionAffinityCache } from "./session-affinity.ts";

export type Strategy = "round-robin" | "weighted-round-robin" | "fill-first";

export class RoutingState {
  /** Round-robin cursor per model. */
  readonly cursors = new Map<string, number>();
  /** Smooth weighted round-robin current weights per model, by credential id. */
  readonly weights = new Map<string, Map<string, number>>();
  /** Session → credential bindings (`routing.session-affinity`); empty and untouched while affinity is off. */
  readonly affinity: SessionAffinityCache;

  constructor(opts: { clock?: Clock; maxSessionBindings?: number } = {}) {
    this.affinity = new SessionAffinityCache({ clock: opts.clock, maxEntries: opts.maxSessionBindings });
  }
}

/**
 * The candidate a session is bound to, when it is still in the pool and not cooling for its model. A binding
 * outranks priority, as in CLIProxyAPI: a session stays on a lower-bucket credential while that one is healthy.
 */
export function boundCandidate(
  candidates: readonly RouteTarget[],
  credentialId: string | undefined,
  cooldowns: CooldownTracker,
  now: number,
): RouteTarget | undefined {
  if (credentialId === undefined) return undefined;
  for (const c of candidates) {
    if (c.credential.id !== credentialId) continue;
    return cooldowns.coolingUntil(credentialId, c.upstreamModel, now) > 0 ? undefined : c;
  }
  return undefined;
}

/**
 * The bound candidate first, then the strategy's order of the others. The strategy only runs (and its cursor only
 * moves) when the bound credential failed: as in CLIProxyAPI a session hit does not consume a rotation step, so new
 * sessions keep spreading evenly over the credentials.
 */
export function* boundFirst(bound: RouteTarget, strategyOrder: () => readonly RouteTarget[]): Generator<RouteTarget> {
  yield bound;
  for (const t of strategyOrder()) if (t !== bound) yield t;
}

/**
 * What model `auto` means (behaviour.md §3.1): CLIProxyAPI takes the newest registered model that still has a
 * credential neither cooling nor suspended. Switchyard's table gives every model of a snapshot the same `created`
 * stamp, so "newest" ties and the first registered model (config / catalogue order) with a non-cooling credential
 * wins. When every model is cooling this still answers the first model, so the client gets the usual 429
 * `model_cooldown` with its `Retry-After` rather than CLIProxyAPI's 400 "unknown provider for model auto".
 * Null only when no model is registered at all.
 */
export function firstAvailableModel(table: ModelTable, cooldowns: CooldownTracker): string | null {
  const models = table.models;
  if (models.length === 0) return null;
  const now = cooldowns.now;
  for (const m of models) {
    const candidates = table.resolve(m.id);
    if (candidates === undefined) continue;
    for (const c of candidates) {
      if (cooldowns.coolingUntil(c.credential.id, c.upstreamModel, now) === 0) return m.id;
    }
  }
  return models[0]!.id;
}

/** Length of the leading run of candidates that share the top priority. */
function topBucketSize(candidates: readonly RouteTarget[]): number {
  const top = candidates[0]!.credential.priority;
  let n = 1;
  while (n < candidates.length && candidates[n]!.credential.priority === top) n++;
  return n;
}

export function orderCandidates(
  candidates: readonly RouteTarget[],
  model: string,
  strategy: Strategy,
  state: RoutingState,
): readonly RouteTarget[] {
  // Fast path: one credential, or fill-first, needs no rotation and no allocation.
  if (candidates.length === 1 || strategy === "fill-first") return candidates;
  const n = topBucketSize(candidates);
  if (n === 1) return candidates;
  const first = strategy === "weighted-round-robin"
    ? pickSmoothWeighted(candidates, n, model, state)
    : pickRoundRobin(n, model, state);
  if (first === 0) return candidates;
  const out = new Array<RouteTarget>(candidates.length);
  for (let i = 0; i < n; i++) out[i] = candidates[(first + i) % n]!;
  for (let i = n; i < candidates.length; i++) out[i] = candidates[i]!;
  return out;
}

function pickRoundRobin(n: number, model: string, state: RoutingState): number {
  const cursor = state.cursors.get(model) ?? 0;
  state.cursors.set(model, (cursor + 1) % 1_000_000_007);
  return cursor % n;
}

/** Nginx-style smooth WRR: add each weight, pick the largest, subtract the total from it. */
function pickSmoothWeighted(candidates: readonly RouteTarget[], n: number, model: string, state: RoutingState): number {
  let current = state.weights.get(model);
  if (!current) state.weights.set(model, (current = new Map()));
  let total = 0;
  let best = -1;
  let bestWeight = -Infinity;
  for (let i = 0; i < n; i++) {
    const c = candidates[i]!.credential;
    const w = c.weight > 0 ? c.weight : 1;
    total += w;
    const cw = (current.get(c.id) ?? 0) + w;
    current.set(c.id, cw);
    if (cw > bestWeight) {
      bestWeight = cw;
      best = i;
    }
  }
  const chosen = candidates[best]!.credential.id;
  current.set(chosen, bestWeight - total);
  return best;
}
