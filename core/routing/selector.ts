/**
 * Orders a model's candidates into the attempts of one request. Only the highest priority bucket rotates; lower buckets
 * follow as failover. State (cursors, smooth-WRR weights) lives outside the snapshot so a reload keeps the rotation.
 */
import type { RouteTarget } from "../plugin/types.ts";

export type Strategy = "round-robin" | "weighted-round-robin" | "fill-first";

export class RoutingState {
  /** Round-robin cursor per model. */
  readonly cursors = new Map<string, number>();
  /** Smooth weighted round-robin current weights per model, by credential id. */
  readonly weights = new Map<string, Map<string, number>>();
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
