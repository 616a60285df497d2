#!/usr/bin/env node
// One ES module for browsers, axios included: dist/browser/gatehouse-client.js.
// Load it with <script type="module"> or serve it to a test page.
"use strict";
const path = require("node:path");
const esbuild = require("esbuild");

const root = path.join(__dirname, "..");
esbuild.buildSync({
  entryPoints: [path.join(root, "src/index.ts")],
  outfile: path.join(root, "dist/browser/gatehouse-client.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2020",
  sourcemap: true,
  logLevel: "warning",
});
require("node:fs").writeFileSync(path.join(root, "dist/browser/package.json"), '{ "type": "module" }\n');
