#!/usr/bin/env node
"use strict";
/**
 * `npm run bench`: the HTTP, auth pipeline, decision and data benchmarks in one run, on the
 * built packages (dist). Prints one table (Markdown) and writes
 * bench/results.json with machine info, the date and every figure.
 *
 *   node bench/run.js                 full run (~3–4 minutes on 2 cores)
 *   node bench/run.js --quick         scaled down (~1 minute)
 *   node bench/run.js --smoke         seconds; what `npm test` runs
 *   options: --duration=S --warmup=S --rounds=N --connections=N (HTTP and gateway)
 *            --decision-ms=MS --pipeline-ms=MS --rows=N --owners=N --iterations=N (data)
 *            --streams=N (gateway: stream first-event samples per side)
 *            --only=http,pipeline,decisions,data,gateway  --scenarios=express,gatehouse-full
 *            --out=FILE  --cpu-prof[=DIR] (profiles every HTTP server)
 */
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { runHttp } = require("./http/http");
const { runDecisions } = require("./decisions");
const { runData } = require("./data");
const { runPipeline } = require("./pipeline");
const { runGateway, gatewayTargets } = require("./gateway");
const { renderTable } = require("./lib/table");
const { median } = require("./lib/stats");

const PRESETS = {
  full: {
    duration: 2,
    warmup: 1,
    rounds: 7,
    connections: 50,
    decisionMs: 150,
    decisionRounds: 7,
    pipelineMs: 200,
    rows: 100_000,
    owners: 1_000,
    iterations: 100,
    streams: 100,
  },
  quick: {
    duration: 1,
    warmup: 0.5,
    rounds: 3,
    connections: 50,
    decisionMs: 150,
    decisionRounds: 2,
    pipelineMs: 200,
    rows: 20_000,
    owners: 200,
    iterations: 30,
    streams: 40,
  },
  smoke: {
    duration: 0.3,
    warmup: 0,
    rounds: 1,
    connections: 4,
    decisionMs: 20,
    decisionRounds: 1,
    pipelineMs: 20,
    rows: 2_000,
    owners: 20,
    iterations: 3,
    streams: 4,
  },
};

function parseArgs(argv) {
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`Unknown argument ${argv[i]}; see the top of bench/run.js`);
    const takesValue =
      m[2] === undefined && i + 1 < argv.length && !argv[i + 1].startsWith("--") && !["smoke", "quick"].includes(m[1]);
    flags[m[1]] = m[2] ?? (takesValue ? argv[++i] : true);
  }
  const mode = flags.smoke ? "smoke" : flags.quick ? "quick" : "full";
  const o = { mode, ...PRESETS[mode] };
  const num = (name, key = name) => {
    if (flags[name] === undefined) return;
    const n = Number(flags[name]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number`);
    o[key] = n;
  };
  num("duration");
  num("warmup");
  num("rounds");
  num("connections");
  num("decision-ms", "decisionMs");
  num("pipeline-ms", "pipelineMs");
  num("rows");
  num("owners");
  num("iterations");
  num("streams");
  o.only = new Set(
    typeof flags.only === "string" ? flags.only.split(",") : ["http", "pipeline", "decisions", "data", "gateway"],
  );
  o.scenarios = typeof flags.scenarios === "string" ? flags.scenarios.split(",") : undefined;
  o.out = path.resolve(typeof flags.out === "string" ? flags.out : path.join(__dirname, "results.json"));
  if (flags["cpu-prof"])
    o.cpuProfDir = path.resolve(
      typeof flags["cpu-prof"] === "string" ? flags["cpu-prof"] : path.join(__dirname, "profiles"),
    );
  return o;
}

function machine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

/** The targets, read from this run's figures only. */
function targets(results) {
  const list = [];
  const http = results.http?.scenarios;
  if (http) {
    const by = (id) => http.find((s) => s.id === id);
    const full = by("gatehouse-full");
    const nocache = by("gatehouse-full-nocache");
    const pj = by("passport-jwt");
    if (full)
      list.push({
        id: "http-vs-express",
        description: "Gatehouse authenticate+guard+filter (cache) ÷ bare Express req/s",
        target: 0.85,
        measured: full.ratio,
        met: full.ratio >= 0.85,
      });
    if (nocache)
      list.push({
        id: "http-vs-express-nocache",
        description: "same without the token cache ÷ bare Express req/s",
        target: 0.85,
        measured: nocache.ratio,
        met: nocache.ratio >= 0.85,
      });
    const paired = (a, b) => Math.round(median(a.rounds.map((s, i) => s.rps / b.rounds[i].rps)) * 100) / 100;
    if (full && pj) {
      const r = paired(full, pj);
      list.push({
        id: "http-vs-passport-jwt",
        description: "Gatehouse authenticate+guard+filter (cache) ÷ passport-jwt common config",
        target: 4,
        measured: r,
        met: r >= 4,
      });
    }
    if (nocache && pj) {
      const r = paired(nocache, pj);
      list.push({
        id: "http-vs-passport-jwt-nocache",
        description: "same without the token cache ÷ passport-jwt common config",
        target: 4,
        measured: r,
        met: r >= 4,
      });
    }
  }
  const cases = results.decisions?.cases;
  if (cases) {
    const min = Math.min(...cases.map((c) => c.authorizePerSec));
    const flat = results.decisions.flatness;
    list.push({
      id: "decisions-rate",
      description: "auth.authorize decisions/s, slowest handler count",
      target: 5_000_000,
      measured: min,
      met: min >= 5_000_000,
    });
    list.push({
      id: "decisions-flat",
      description: "fastest ÷ slowest handler count within a round, median of rounds (flat ≤ 1.25)",
      target: 1.25,
      measured: flat,
      met: flat <= 1.25,
    });
  }
  const data = results.data?.phases;
  if (data) {
    for (const [phase, label] of [
      ["withIndex", "with GIN"],
      ["withoutIndex", "without GIN"],
      ["withDateIndex", "GIN + created_at index"],
    ]) {
      const r = data[phase].searchFilteredOverUnfiltered;
      list.push({
        id: `data-${phase}`,
        description: `filtered ÷ unfiltered search p50, ${label}, ${results.data.rows} rows`,
        target: 2,
        measured: r,
        met: r !== null && r <= 2,
      });
    }
  }
  if (results.gateway) list.push(...gatewayTargets(results.gateway));
  return list;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const log = (line) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  const results = {
    date: new Date().toISOString(),
    mode: o.mode,
    machine: machine(),
    options: { ...o, only: [...o.only] },
  };
  if (o.cpuProfDir) fs.mkdirSync(o.cpuProfDir, { recursive: true });
  const phaseSeconds = {};
  const phase = async (name, fn) => {
    const t0 = Date.now();
    results[name] = await fn();
    phaseSeconds[name] = Math.round((Date.now() - t0) / 100) / 10;
  };
  if (o.only.has("http")) {
    await phase("http", () =>
      runHttp({
        scenarios: o.scenarios,
        duration: o.duration,
        warmup: o.warmup,
        rounds: o.rounds,
        connections: o.connections,
        cpuProfDir: o.cpuProfDir,
        log,
      }),
    );
  }
  if (o.only.has("pipeline")) {
    await phase("pipeline", () =>
      runPipeline({ durationMs: o.pipelineMs, rounds: o.decisionRounds, scenarios: o.scenarios, log }),
    );
  }
  if (o.only.has("decisions")) {
    await phase("decisions", () => runDecisions({ durationMs: o.decisionMs, rounds: o.decisionRounds, log }));
  }
  if (o.only.has("data")) {
    await phase("data", () => runData({ rows: o.rows, owners: o.owners, iterations: o.iterations, log }));
  }
  if (o.only.has("gateway")) {
    await phase("gateway", () =>
      runGateway({
        duration: o.duration,
        warmup: o.warmup,
        rounds: o.rounds,
        connections: o.connections,
        streams: o.streams,
        cpuProfDir: o.cpuProfDir,
        log,
      }),
    );
  }
  results.targets = targets(results);
  results.machine.loadAverageAtEnd = os.loadavg().map((n) => Math.round(n * 100) / 100);
  results.elapsedSeconds = Math.round((Date.now() - started) / 1000);
  results.phaseSeconds = phaseSeconds;
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${renderTable(results)}\n`);
  log(`results written to ${path.relative(process.cwd(), o.out) || o.out} (${results.elapsedSeconds} s)`);
}

main().catch((err) => {
  console.error(err?.stack ?? err);
  process.exit(1);
});
