"use strict";
/**
 * Loads the built @gatehouse/express. `GATEHOUSE_DIST=/path/to/dist` loads
 * another build instead (to A/B a core change in the same run conditions).
 */
const path = require("node:path");

const dist = process.env.GATEHOUSE_DIST
  ? path.resolve(process.env.GATEHOUSE_DIST)
  : path.join(__dirname, "..", "..", "packages", "server-plugin", "dist");

/** The package's public API. */
const gatehouse = () => require(path.join(dist, "index.js"));
/** One internal module of the build, for the micro-benchmarks (e.g. "decision"). */
const internal = (name) => require(path.join(dist, `${name}.js`));

module.exports = { gatehouse, internal, dist };
