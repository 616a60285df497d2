"use strict";
/**
 * Renders bench results as one Markdown table, followed by the targets.
 * "Server CPU/req" is the server process's CPU time per request; its ratio is
 * bare Express's CPU/req divided by the scenario's (the throughput ratio a
 * CPU-bound server would reach), a cross-check that a shared machine disturbs less.
 * "ceiling" is express CPU/req ÷ (express CPU/req + the auth middleware's own cost).
 */

const int = (n) => (n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US"));
const ms = (n) => (n === null || n === undefined ? "–" : `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`);
const rate = (n) =>
  n === null || n === undefined ? "–" : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`;
const times = (n) => (n === null || n === undefined ? "–" : `${n.toFixed(2)}×`);

function renderTable(results) {
  const rows = [["Benchmark", "Scenario", "Throughput", "p50", "p99", "Ratio", "Server CPU/req", "Notes"]];
  if (results.http) {
    const h = results.http;
    const bench = `HTTP ${h.route.replace(/\/threads\/[^/]+$/, "/threads/:id")}`;
    for (const s of h.scenarios) {
      const flags = [s.non2xx ? `${s.non2xx} non-2xx!` : "", s.errors ? `${s.errors} errors!` : ""]
        .filter(Boolean)
        .join(", ");
      const cpu = s.cpuUsPerRequest === null ? "–" : `${s.cpuUsPerRequest.toFixed(0)} µs (${times(s.cpuRatio)})`;
      rows.push([bench, s.label, `${int(s.rps)} req/s`, ms(s.p50), ms(s.p99), `${times(s.ratio)} Express`, cpu, flags]);
    }
  }
  if (results.pipeline) {
    const labels = require("../http/scenarios");
    const express = results.http?.scenarios.find((s) => s.id === "express")?.cpuUsPerRequest ?? null;
    for (const s of results.pipeline.scenarios) {
      const ceiling = express === null ? null : express / (express + s.authUs);
      rows.push([
        "Auth middleware alone (no HTTP)",
        labels[s.id]?.label ?? s.id,
        "",
        "",
        "",
        express === null ? "" : `ceiling ${times(ceiling)} Express`,
        `+${s.authUs.toFixed(2)} µs`,
        "",
      ]);
    }
  }
  if (results.decisions) {
    for (const c of results.decisions.cases) {
      rows.push([
        "Decisions (auth.authorize)",
        `${c.handlers} handler${c.handlers === 1 ? "" : "s"} registered`,
        `${rate(c.authorizePerSec)}/s`,
        "",
        "",
        "",
        "",
        `best round ${rate(c.bestAuthorizePerSec)}/s; sync core decide() ${rate(c.decidePerSec)}/s; resolve() ${rate(c.resolvePerSec)}/s`,
      ]);
    }
    const audit = results.decisions.audit;
    if (audit) {
      rows.push([
        "Decisions (auth.authorize)",
        "1 handler, onDecision set (a counting hook)",
        `${rate(audit.withHookPerSec)}/s`,
        "",
        "",
        "",
        "",
        `${audit.withOverWithout}× the rate without the hook (${rate(audit.withoutHookPerSec)}/s), same rounds`,
      ]);
    }
  }
  if (results.data) {
    const d = results.data;
    const phases = [
      ["withoutIndex", "no metadata index"],
      ["withIndex", "GIN jsonb_path_ops"],
      ["withDateIndex", "GIN + created_at btree"],
    ];
    for (const [key, label] of phases) {
      const phase = d.phases[key];
      if (!phase) continue;
      for (const q of phase.queries) {
        const base = q.query.startsWith("search") ? "search, unfiltered" : "read by id, unfiltered";
        const baseP50 = phase.queries.find((x) => x.query === base).p50;
        const ratio = q.query === base ? "" : `${times(baseP50 ? q.p50 / baseP50 : null)} unfiltered`;
        rows.push([`Data ${int(d.rows)} threads, ${label}`, q.query, "", ms(q.p50), ms(q.p99), ratio, "", q.plan]);
      }
    }
  }
  if (results.gateway) rows.push(...require("../gateway").gatewayRows(results.gateway));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`;
  const out = [line(rows[0]), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.slice(1).map(line)];
  if (results.targets?.length) {
    out.push("", "Targets (ratios from this run):");
    for (const t of results.targets) {
      const measured = t.target >= 1000 ? rate(t.measured) : t.measured;
      const target = t.target >= 1000 ? rate(t.target) : t.target;
      out.push(
        `- [${t.met ? "met" : "MISSED"}] ${t.description}: ${measured} (target ${t.atMost || t.id.startsWith("data") || t.id === "decisions-flat" ? "≤" : "≥"} ${target})`,
      );
    }
  }
  const m = results.machine;
  out.push(
    "",
    `${results.date} · ${results.mode} run · Node ${m.node} · ${m.cpus}× ${m.cpuModel} · load ${m.loadAverageAtStart.join("/")} → ${m.loadAverageAtEnd?.join("/") ?? "?"}`,
  );
  return out.join("\n");
}

module.exports = { renderTable };
