"use strict";
/**
 * bench:peer's report (see bench/peer.js): the comparisons between servers,
 * each paired per round and then the median, the two Markdown tables, and the
 * goals of issue 15 judged on the figures.
 */
const { median, round } = require("../lib/stats");

/** What the table compares, each paired per round (the two ran back to back) and then the median over rounds. */
function comparisonsFor(servers) {
  const has = (id) => servers.some((s) => s.id === id);
  const list = [];
  for (const [id, db] of [
    ["example-pglite", "PGlite"],
    ["example-postgres", "PostgreSQL"],
  ]) {
    if (has(id)) list.push({ id: `${id}-vs-langgraph`, label: `Example (${db}) ÷ LangGraph`, kind: "ratio", a: id });
  }
  for (const [on, db] of [
    ["example-pglite", "PGlite"],
    ["example-postgres", "PostgreSQL"],
  ]) {
    if (!has(on) || !has(`${on}-noauth`)) continue;
    list.push({ id: `auth-cost-${on}`, label: `Auth cost (${db}), req/s`, kind: "cost", a: on, b: `${on}-noauth` });
    list.push({
      id: `auth-cpu-${on}`,
      label: `Auth cost (${db}), CPU/req`,
      kind: "cpu-cost",
      a: on,
      b: `${on}-noauth`,
    });
  }
  if (has("example-pglite-nocache"))
    list.push({
      id: "read-cache",
      label: "PGlite read cache on ÷ off",
      kind: "ratio",
      a: "example-pglite",
      b: "example-pglite-nocache",
    });
  if (has("example-postgres-w2"))
    list.push({ id: "workers-2-vs-1", label: "WORKERS=2 ÷ 1 (PostgreSQL)", kind: "ratio", a: "example-postgres-w2" });
  for (const c of list)
    if (c.kind === "ratio" && !c.b) c.b = c.id === "workers-2-vs-1" ? "example-postgres" : "langgraph";
  return list;
}

/**
 * One comparison over the rounds of a scenario: "ratio" is a ÷ b req/s; "cost" is
 * 1 − on ÷ off req/s (the share of throughput auth takes); "cpu-cost" is
 * (on − off) ÷ on CPU µs per request (the share of the route's CPU that is auth).
 */
function compare(c, samples) {
  const per = (samples[c.a] ?? []).map((fa, r) => {
    const fb = samples[c.b]?.[r];
    if (!fa || !fb || !fa.rps || !fb.rps) return null;
    if (c.kind === "ratio") return fa.rps / fb.rps;
    if (c.kind === "cost") return 1 - fa.rps / fb.rps;
    return fa.cpuUs && fb.cpuUs !== null ? (fa.cpuUs - fb.cpuUs) / fa.cpuUs : null;
  });
  return round(median(per), 2);
}

function table(head, rows) {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

function renderTables(results) {
  const servers = results.servers;
  const cell = (f) => (f?.rps == null ? "–" : `${f.rps}${f.cpuUs == null ? "" : ` · ${f.cpuUs} µs`}`);
  const perServer = table(
    ["Scenario (req/s · server CPU/req)", ...servers.map((s) => s.name)],
    results.scenarios.map((sc) => [sc.label, ...servers.map((s) => cell(sc.figures[s.id]))]),
  );
  const format = (c, value) =>
    value === null || value === undefined ? "–" : c.kind === "ratio" ? `${value}×` : `${Math.round(value * 100)}%`;
  const compared = table(
    ["Scenario", ...results.comparisons.map((c) => c.label)],
    results.scenarios.map((sc) => [sc.label, ...results.comparisons.map((c) => format(c, sc.compared[c.id]))]),
  );
  return `${perServer}\n\n${compared}`;
}

/** The issue's goals, judged on GET /threads/:id and search (where they were measured). */
function goals(results) {
  const out = [];
  const value = (scenario, id) => results.scenarios.find((sc) => sc.id === scenario)?.compared[id];
  for (const scenario of ["get", "search"]) {
    const label = results.scenarios.find((sc) => sc.id === scenario)?.label;
    if (!label) continue;
    const vsLangGraph = value(scenario, "example-pglite-vs-langgraph");
    if (vsLangGraph != null)
      out.push(
        `[${vsLangGraph >= 1 ? "met" : "MISSED"}] ${label}: example (PGlite) ÷ LangGraph ${vsLangGraph}× (goal ≥ 1.0)`,
      );
    for (const on of ["example-pglite", "example-postgres"]) {
      const cpu = value(scenario, `auth-cpu-${on}`);
      const rps = value(scenario, `auth-cost-${on}`);
      if (cpu != null)
        out.push(
          `[${cpu <= 0.1 ? "met" : "MISSED"}] ${label}: auth is ${Math.round(cpu * 100)}% of the server's CPU per request on ${on === "example-pglite" ? "PGlite" : "PostgreSQL"} (goal ≤ 10%; req/s cost ${rps == null ? "–" : `${Math.round(rps * 100)}%`})`,
        );
    }
    const workers = value(scenario, "workers-2-vs-1");
    if (workers != null)
      out.push(`[report] ${label}: WORKERS=2 ÷ WORKERS=1 on PostgreSQL ${workers}× with ${results.machine.cpus} cores`);
  }
  return out;
}

module.exports = { comparisonsFor, compare, goals, renderTables };
