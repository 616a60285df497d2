import { defineConfig } from "tsdown";

/**
 * One build: ES module (.mjs) and CommonJS (.cjs), each with its own
 * declarations (.d.mts / .d.cts). axios stays a dependency (not bundled);
 * scripts/bundle-browser.js then writes the browser bundle with axios inside.
 */
export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  platform: "neutral",
  fixedExtension: true,
  target: "es2022",
  tsconfig: "tsconfig.build.json",
  dts: true,
  sourcemap: true,
  clean: true,
  // Timings on a shared 2-core machine are noise, not a finding.
  checks: { pluginTimings: false },
});
