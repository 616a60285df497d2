#!/usr/bin/env node
"use strict";
/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function,
 * highest first, and the share spent under selected packages.
 *
 *   node bench/lib/profile-summary.js bench/profiles/gatehouse-full.cpuprofile [--top=25] [--inclusive=fnA,fnB]
 */
const fs = require("node:fs");
const path = require("node:path");

/** Self time per function and per package, as shares of busy (non-idle) time; inclusive time of `inclusive` function names. */
function summarise(file, top = 25, inclusive = []) {
  const profile = JSON.parse(fs.readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const dt = profile.timeDeltas;
  const counts = new Map();
  for (let i = 0; i < profile.samples.length; i++)
    counts.set(profile.samples[i], (counts.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  let total = 0;
  let idle = 0;
  const byPackage = new Map();
  const incl = new Map(inclusive.map((name) => [name, 0]));
  for (const [id, micros] of counts) {
    const node = byId.get(id);
    const cf = node.callFrame;
    if (cf.functionName === "(idle)") {
      idle += micros;
      continue;
    }
    const seen = new Set();
    for (let up = id; up !== undefined; up = parent.get(up)) {
      const name = byId.get(up).callFrame.functionName;
      if (incl.has(name) && !seen.has(name)) {
        seen.add(name);
        incl.set(name, incl.get(name) + micros);
      }
    }
    const where = cf.url ? `${shorten(cf.url)}:${cf.lineNumber + 1}` : "";
    const key = `${cf.functionName || "(anonymous)"} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + micros);
    total += micros;
    const pkg = packageOf(cf.url, cf.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
  }
  const pct = (m) => `${((m / total) * 100).toFixed(1).padStart(5)}%`;
  const lines = [
    `${path.basename(file)}: ${(total / 1e6).toFixed(2)} s busy (${(idle / 1e6).toFixed(2)} s idle not counted)`,
    "",
  ];
  if (incl.size) {
    lines.push("inclusive time:");
    for (const [name, m] of incl) lines.push(`  ${pct(m)}  ${name}`);
    lines.push("");
  }
  lines.push("self time by package:");
  for (const [pkg, m] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(m)}  ${pkg}`);
  lines.push("", `top ${top} functions by self time:`);
  for (const [key, m] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(m)}  ${key}`);
  return lines.join("\n");
}

function shorten(url) {
  const s = url.replace(/^file:\/\//, "");
  const nm = s.lastIndexOf("node_modules/");
  if (nm >= 0) return s.slice(nm + "node_modules/".length);
  const pk = s.indexOf("/packages/");
  if (pk >= 0) return s.slice(pk + 1);
  return s.startsWith("node:") ? s : path.basename(s);
}

function packageOf(url, fn) {
  if (!url)
    return fn === "(garbage collector)"
      ? "(garbage collector)"
      : fn === "(idle)"
        ? "(idle)"
        : fn === "(program)"
          ? "(program)"
          : "(native)";
  const s = url.replace(/^file:\/\//, "");
  const nm = s.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = s.slice(nm + "node_modules/".length).split("/");
    const name = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
    return name === "@gatehouse/express" ? "@gatehouse/express" : name;
  }
  if (s.includes("/packages/server-plugin/")) return "@gatehouse/express";
  if (s.startsWith("node:")) return "node core";
  return "bench";
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const top = Number((args.find((a) => a.startsWith("--top=")) ?? "--top=25").slice(6));
  const inclusive = (args.find((a) => a.startsWith("--inclusive=")) ?? "--inclusive=")
    .slice(12)
    .split(",")
    .filter(Boolean);
  for (const file of args.filter((a) => !a.startsWith("--"))) console.log(`${summarise(file, top, inclusive)}\n`);
}

module.exports = { summarise };
