#!/usr/bin/env node
// Finish the ES module build that `tsc -p tsconfig.esm.json` wrote to dist/esm:
// mark it as ESM for Node, and give relative import specifiers the explicit
// ".js" that Node's ESM resolver (and TypeScript's node16 mode) require.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const esm = path.join(root, "dist/esm");
const cjs = path.join(root, "dist/cjs");

fs.writeFileSync(path.join(esm, "package.json"), JSON.stringify({ type: "module", sideEffects: false }, null, 2) + "\n");
fs.writeFileSync(path.join(cjs, "package.json"), JSON.stringify({ type: "commonjs", sideEffects: false }, null, 2) + "\n");

const specifier = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"']*)\2/g;

function withExtension(file, spec) {
  if (/\.(c|m)?js$/.test(spec)) return spec;
  const target = path.resolve(path.dirname(file), spec);
  if (fs.existsSync(`${target}.js`)) return `${spec}.js`;
  if (fs.existsSync(path.join(target, "index.js"))) return `${spec}/index.js`;
  throw new Error(`${path.relative(root, file)}: cannot resolve "${spec}"`);
}

function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file);
    else if (/\.(js|d\.ts)$/.test(entry.name)) {
      const text = fs.readFileSync(file, "utf8");
      const fixed = text.replace(specifier, (_, lead, q, spec) => `${lead}${q}${withExtension(file, spec)}${q}`);
      if (fixed !== text) fs.writeFileSync(file, fixed);
    }
  }
}
walk(esm);
