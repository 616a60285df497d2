import { defineConfig } from "tsdown";

/**
 * One build: ES module (.mjs) and CommonJS (.cjs) for Node 20, each with its
 * own declarations (.d.mts / .d.cts) so both module systems get matching types.
 * Dependencies and peers (@gatehouse/express, express, undici) stay external.
 */
export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  platform: "node",
  target: "node20",
  tsconfig: "tsconfig.build.json",
  dts: true,
  sourcemap: true,
  clean: true,
  // Timings on a shared 2-core machine are noise, not a finding.
  checks: { pluginTimings: false },
});
