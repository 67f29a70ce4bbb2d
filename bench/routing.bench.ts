/**
 * Per-request core costs that are not streaming: reading the snapshot, resolving a model to its candidates and
 * ordering them for one request.
 *
 * @module
 */
import type { Bench } from "tinybench";
import type { RegisteredProvider } from "../core/plugin/instance.ts";
import type { Credential, ProviderAdapter } from "../core/plugin/types.ts";
import { ModelTable } from "../core/routing/model-table.ts";
import { orderCandidates, RoutingState } from "../core/routing/selector.ts";
import { SnapshotStore } from "../core/config/store.ts";
import type { Snapshot } from "../core/config/snapshot.ts";

const adapter: ProviderAdapter = {
  id: "bench",
  formats: ["openai-chat"],
  buildRequest: () => ({ url: "http://127.0.0.1/", method: "POST", headers: new Headers(), body: null }),
};

/** 20 credentials × 50 models, 3 of them sharing every model: a large but realistic config. */
function buildTable(): ModelTable {
  const credentials: Credential[] = [];
  for (let c = 0; c < 20; c++) {
    credentials.push({
      id: `bench:entry${c}#0`,
      provider: "bench",
      label: `entry${c}`,
      priority: c < 3 ? 1 : 0,
      weight: 1 + (c % 3),
      models: Array.from({ length: 50 }, (_, m) => ({ id: `model-${c < 3 ? m : c * 100 + m}`, upstream: `up-${m}` })),
      data: null,
    });
  }
  const providers: RegisteredProvider[] = [{ plugin: "bench", adapter, credentials }];
  return ModelTable.build(providers, { forceModelPrefix: false });
}

export function register(bench: Bench): void {
  const table = buildTable();
  const store = new SnapshotStore({ version: 1 } as Snapshot);
  const state = new RoutingState();
  let sink: unknown;
  bench
    .add("snapshot: read current", () => {
      sink = store.current;
    })
    .add("snapshot: acquire + release lease", () => {
      store.release(store.acquire());
    })
    .add("routing: resolve model (hit)", () => {
      sink = table.resolve("model-7");
    })
    .add("routing: resolve model (miss)", () => {
      sink = table.resolve("no-such-model");
    })
    .add("routing: resolve + order, round-robin over 3", () => {
      sink = orderCandidates(table.resolve("model-7")!, "model-7", "round-robin", state);
    })
    .add("routing: resolve + order, smooth weighted over 3", () => {
      sink = orderCandidates(table.resolve("model-7")!, "model-7", "weighted-round-robin", state);
    })
    .add("routing: resolve + order, single credential", () => {
      sink = orderCandidates(table.resolve("model-1234")!, "model-1234", "round-robin", state);
    });
  void sink;
}
