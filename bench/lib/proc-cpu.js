"use strict";
/**
 * CPU time of a child process from /proc (Linux), for "server CPU per request":
 * read around a load window, it shows what one request costs a server, which the
 * shared machine disturbs less than req/s. `null` where there is no /proc.
 */
const fs = require("node:fs");

const CLOCK_TICKS = 100; // USER_HZ: /proc/<pid>/stat counts in 10 ms ticks

/** User + system CPU µs of `pid` (all its threads, e.g. a PGlite worker thread); null without /proc. */
function cpuMicros(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** `read()`, or `fallback` when the process or thread is gone. */
function readOr(read, fallback) {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** The live descendants of `pid` (children of every thread, recursively). */
function descendants(pid) {
  const out = [];
  for (const task of readOr(() => fs.readdirSync(`/proc/${pid}/task`), [])) {
    const children = readOr(() => fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8"), "");
    for (const child of children.split(" ").filter(Boolean).map(Number)) out.push(child, ...descendants(child));
  }
  return out;
}

/**
 * CPU µs of `pid` and its live descendants (a `node:cluster` primary and its
 * workers, a CLI and the server it spawned); null without /proc. Take the
 * difference of two readings over a window in which no descendant exits.
 */
function treeCpuMicros(pid) {
  const own = cpuMicros(pid);
  if (own === null) return null;
  return descendants(pid).reduce((sum, child) => sum + (cpuMicros(child) ?? 0), own);
}

module.exports = { cpuMicros, treeCpuMicros };
