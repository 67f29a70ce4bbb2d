export { default } from "./plugin.ts";
export { VERTEX_BASE, VERTEX_PROVIDER, vertexAdapter } from "./adapter.ts";
