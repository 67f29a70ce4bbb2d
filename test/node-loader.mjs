// Node 20 has no TypeScript support: `node --import ./test/node-loader.mjs file.ts` registers ESM loader
// hooks (test/node-loader-hooks.mjs) that strip types with esbuild. Deno and Bun run .ts natively.
import { register } from "node:module";

process.setSourceMapsEnabled(true); // the hooks emit inline source maps: stack traces point into the .ts
register("./node-loader-hooks.mjs", import.meta.url);
