"use strict";
/**
 * Loads the built @gatehouse/express through its exports map: the public API
 * (`@gatehouse/express`) and the unstable building blocks the micro-benchmarks
 * time (`@gatehouse/express/internal`), never file paths inside dist/.
 * `GATEHOUSE_PACKAGE=/path/to/package` loads another build of the package (a
 * directory with its package.json and dist/, e.g. another worktree's
 * packages/server-plugin or an unpacked tarball) to A/B a core change in the
 * same run conditions.
 */
const path = require("node:path");
const { createRequire } = require("node:module");

const packageDir = process.env.GATEHOUSE_PACKAGE ? path.resolve(process.env.GATEHOUSE_PACKAGE) : undefined;
// Inside the package, its own name resolves through its own exports map (self-reference).
const load = packageDir ? createRequire(path.join(packageDir, "package.json")) : require;

/** The package's public API. */
const gatehouse = () => load("@gatehouse/express");
/** The package's unstable internal entry (e.g. `decide`), for the micro-benchmarks. */
const internal = () => load("@gatehouse/express/internal");

module.exports = { gatehouse, internal, packageDir };
