#!/usr/bin/env node
"use strict";
/**
 * `npm run bench:peer`: the example agent server (Gatehouse on PGlite) side by
 * side with LangGraph's own dev server (`langgraphjs dev`, in memory), same
 * policy (single owner + read/write scopes), same tokens, same requests, one run.
 *
 * LangGraph's server comes from the repository's own `@langchain/langgraph-api`
 * (a devDependency of packages/langgraph; `--langgraph=repo`, the default when it
 * is installed) through bench/peer/langgraph-server.mjs, or with
 * `--langgraph=cli` from `langgraphjs dev`, whose packages are installed on
 * demand into bench/peers/langgraph (git-ignored; never a dependency of this
 * repository's packages), with `--legacy-peer-deps` because their peer ranges conflict.
 *
 * In the same run, interleaved: the example server with auth off
 * (bench/peer/auth-off-server.js, bench only) on the same database, to show what
 * Gatehouse costs on the route; the example without its PGlite read cache
 * (PGLITE_READ_CACHE_BYTES=0); with DATABASE_URL, the example on that PostgreSQL
 * with WORKERS=1 and WORKERS=2 (and auth off there too).
 *
 * This file seeds, loads and measures; bench/peer/servers.js starts the servers,
 * bench/peer/report.js compares them and writes the tables and goals.
 *
 *   node bench/peer.js [--duration=S] [--rounds=N] [--connections=N] [--port=2124]
 *                      [--scenarios=get,search,mix,create] [--langgraph=repo|cli]
 *                      [--skip-install] [--out=FILE]
 */
const { randomBytes } = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const autocannon = require("autocannon");
const jwt = require("jsonwebtoken");
const { treeCpuMicros } = require("./lib/proc-cpu");
const { median, round } = require("./lib/stats");
const { comparisonsFor, compare, goals, renderTables } = require("./peer/report");
const {
  PEER_DIR,
  ROOT,
  PeerError,
  ensurePeer,
  langgraphInRepo,
  log,
  preparePeerDir,
  startExample,
  startLangGraph,
  writePeerProject,
} = require("./peer/servers");

const SCOPES = ["threads", "assistants", "crons", "store"].flatMap((r) => [`${r}:read`, `${r}:write`]);

function parseArgs(argv) {
  const o = {
    duration: 5,
    rounds: 3,
    connections: 20,
    port: 2124,
    skipInstall: false,
    langgraph: langgraphInRepo() ? "repo" : "cli",
    scenarios: null,
    out: path.join(PEER_DIR, "..", "results.json"),
  };
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new PeerError(`Unknown argument ${arg}; see the top of bench/peer.js`, 2);
    const [, name, value] = m;
    if (name === "skip-install") o.skipInstall = true;
    else if (name === "out") o.out = path.resolve(value);
    else if (name === "langgraph" && ["repo", "cli"].includes(value)) o.langgraph = value;
    else if (name === "scenarios" && value && value.split(",").every((id) => SCENARIOS.some((sc) => sc.id === id)))
      o.scenarios = value.split(",");
    else if (["duration", "rounds", "connections", "port"].includes(name) && Number.isFinite(Number(value)))
      o[name] = Number(value);
    else throw new PeerError(`Bad argument ${arg}; see the top of bench/peer.js`, 2);
  }
  return o;
}

function token(secret, sub) {
  return jwt.sign({ scopes: SCOPES }, secret, { algorithm: "HS256", subject: sub, expiresIn: "2h" });
}

async function call(server, method, route, tok, body) {
  const res = await fetch(server.url + route, {
    method,
    headers: { authorization: `Bearer ${tok}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

/** Seeds threads for two users and checks that both servers enforce the same policy. */
async function prepare(server, tokens) {
  const ids = { alice: [], bob: [] };
  for (let i = 0; i < 20; i++) {
    for (const user of ["alice", "bob"]) {
      const r = await call(server, "POST", "/threads", tokens[user], { metadata: { topic: `seed-${i}` } });
      if (r.status !== 200)
        throw new PeerError(
          `${server.name}: POST /threads as ${user} answered ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`,
          5,
        );
      ids[user].push(r.body.thread_id);
    }
  }
  const threadId = ids.alice[0];
  const checks = {
    ownRead: (await call(server, "GET", `/threads/${threadId}`, tokens.alice)).status,
    foreignRead: (await call(server, "GET", `/threads/${threadId}`, tokens.bob)).status,
    invalidToken: (await call(server, "GET", `/threads/${threadId}`, tokens.invalid)).status,
    foreignInSearch: (await call(server, "POST", "/threads/search", tokens.bob, { limit: 100 })).body.filter?.((t) =>
      ids.alice.includes(t.thread_id),
    ).length,
  };
  const expected = { ownRead: 200, foreignRead: 404, invalidToken: 401, foreignInSearch: 0 };
  if (server.noAuth) {
    // Verifies no token, by design: the invalid-token check does not apply (and its scenario is skipped).
    delete expected.invalidToken;
    delete checks.invalidToken;
  }
  for (const [key, value] of Object.entries(expected)) {
    if (checks[key] !== value)
      throw new PeerError(
        `${server.name}: policy check ${key} gave ${checks[key]}, expected ${value}; the servers would not be comparable`,
        5,
      );
  }
  return { threadId, checks };
}

const SCENARIOS = [
  {
    id: "get",
    label: "GET /threads/:thread_id",
    requests: (ctx) => [
      { method: "GET", path: `/threads/${ctx.threadId}`, headers: { authorization: `Bearer ${ctx.tokens.alice}` } },
    ],
  },
  {
    id: "search",
    label: "POST /threads/search",
    requests: (ctx) => [
      {
        method: "POST",
        path: "/threads/search",
        headers: { authorization: `Bearer ${ctx.tokens.alice}`, "content-type": "application/json" },
        body: JSON.stringify({ limit: 10, offset: 0 }),
      },
    ],
  },
  {
    id: "mix",
    label: "GET, half with invalid tokens",
    expectNon2xx: 0.5,
    requests: (ctx) => [
      { method: "GET", path: `/threads/${ctx.threadId}`, headers: { authorization: `Bearer ${ctx.tokens.alice}` } },
      { method: "GET", path: `/threads/${ctx.threadId}`, headers: { authorization: `Bearer ${ctx.tokens.invalid}` } },
    ],
  },
  // Last: it grows the stores that the other scenarios read.
  {
    id: "create",
    label: "POST /threads",
    requests: (ctx) => [
      {
        method: "POST",
        path: "/threads",
        headers: { authorization: `Bearer ${ctx.tokens.alice}`, "content-type": "application/json" },
        body: JSON.stringify({ metadata: { topic: "bench" } }),
      },
    ],
  },
];

async function load(server, scenario, ctx, o) {
  const before = treeCpuMicros(server.child.pid);
  const result = await autocannon({
    url: server.url,
    connections: o.connections,
    duration: o.duration,
    requests: scenario.requests(ctx),
  });
  const after = treeCpuMicros(server.child.pid);
  const total = result.requests.total;
  return {
    rps: round(total / (result.duration || 1), 0),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xxShare: total ? round(result.non2xx / total, 3) : null,
    errors: result.errors + result.timeouts,
    // The server's CPU (all its threads and child processes) per request: less disturbed by the machine's load than req/s.
    cpuUs: before === null || after === null || !total ? null : round((after - before) / total, 0),
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const scenarioList = o.scenarios ? SCENARIOS.filter((sc) => o.scenarios.includes(sc.id)) : SCENARIOS;
  const started = [];
  const cleanup = () => Promise.all(started.map((s) => s.stop()));
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => cleanup().then(() => process.exit(130)));
  try {
    if (o.langgraph === "cli") await ensurePeer(o.skipInstall);
    else preparePeerDir();
    const secret = randomBytes(32).toString("base64url");
    writePeerProject(secret);
    const tokens = {
      alice: token(secret, "alice"),
      bob: token(secret, "bob"),
      invalid: token(randomBytes(32).toString("base64url"), "alice"),
    };

    log(`peer: starting LangGraph's server (${o.langgraph}) on 127.0.0.1:${o.port} and the example servers…`);
    const langgraph = await startLangGraph(o.port, secret, o.langgraph);
    started.push(langgraph);
    const plans = [
      { id: "example-pglite", name: "Example (PGlite)", env: { PGLITE_MEMORY: "1" } },
      { id: "example-pglite-noauth", name: "Example (PGlite), auth off", env: { PGLITE_MEMORY: "1" }, noAuth: true },
      {
        id: "example-pglite-nocache",
        name: "Example (PGlite), no read cache",
        env: { PGLITE_MEMORY: "1", PGLITE_READ_CACHE_BYTES: "0" },
      },
    ];
    if (process.env.DATABASE_URL) {
      const pg = (n) => ({ DATABASE_URL: process.env.DATABASE_URL, DATABASE_SCHEMA: `bench_peer_${process.pid}_${n}` });
      plans.push(
        { id: "example-postgres", name: "Example (PostgreSQL)", env: { ...pg(1), WORKERS: "1" } },
        { id: "example-postgres-noauth", name: "Example (PostgreSQL), auth off", env: pg(2), noAuth: true },
        { id: "example-postgres-w2", name: "Example (PostgreSQL), WORKERS=2", env: { ...pg(3), WORKERS: "2" } },
      );
    }
    const servers = [langgraph];
    for (const plan of plans) {
      const server = await startExample(secret, plan);
      started.push(server);
      servers.push(server);
    }

    const contexts = {};
    for (const server of servers) contexts[server.id] = { tokens, ...(await prepare(server, tokens)) };
    // Skipped: the invalid-token mix on a server that verifies no token.
    const runs = (server, scenario) => !(server.noAuth && scenario.expectNon2xx);
    for (const server of servers)
      for (const scenario of scenarioList)
        if (runs(server, scenario))
          await load(server, scenario, contexts[server.id], { ...o, duration: Math.min(1, o.duration) });

    const comparisons = comparisonsFor(servers);
    const scenarios = [];
    for (const scenario of scenarioList) {
      const samples = Object.fromEntries(servers.map((s) => [s.id, []]));
      for (let r = 0; r < o.rounds; r++) {
        const order = r % 2 === 0 ? servers : [...servers].reverse();
        for (const server of order) {
          if (!runs(server, scenario)) continue;
          const figures = await load(server, scenario, contexts[server.id], o);
          samples[server.id].push(figures);
          log(
            `peer: ${scenario.label.padEnd(30)} round ${r + 1}/${o.rounds} ${server.name.padEnd(34)} ${String(figures.rps).padStart(6)} req/s  CPU ${figures.cpuUs} µs/req  p99 ${figures.p99} ms  non-2xx ${figures.non2xxShare}`,
          );
        }
      }
      const figures = {};
      for (const server of servers) {
        const list = samples[server.id];
        figures[server.id] = list.length
          ? {
              rps: median(list.map((f) => f.rps)),
              p50: median(list.map((f) => f.p50)),
              p99: median(list.map((f) => f.p99)),
              cpuUs: median(list.map((f) => f.cpuUs)),
              non2xxShare: median(list.map((f) => f.non2xxShare)),
              errors: list.reduce((n, f) => n + f.errors, 0),
              rounds: list,
            }
          : null;
      }
      // Paired per round, then the median: both servers of a round ran back to back under the same machine load.
      const compared = Object.fromEntries(comparisons.map((c) => [c.id, compare(c, samples)]));
      scenarios.push({
        id: scenario.id,
        label: scenario.label,
        expectedNon2xxShare: scenario.expectNon2xx ?? 0,
        figures,
        compared,
      });
    }

    const versionOf = (name) => {
      for (const base of [path.join(PEER_DIR, "node_modules"), path.join(ROOT, "node_modules")]) {
        const file = path.join(base, ...name.split("/"), "package.json");
        if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")).version;
      }
      return null;
    };
    const peerVersions = Object.fromEntries(
      ["@langchain/langgraph-api", "@langchain/langgraph"].map((name) => [name, versionOf(name)]),
    );
    const results = {
      date: new Date().toISOString(),
      machine: {
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        loadAverage: os.loadavg(),
      },
      options: o,
      peerVersions,
      policyChecks: Object.fromEntries(servers.map((s) => [s.id, contexts[s.id].checks])),
      servers: servers.map((s) => ({ id: s.id, name: s.name, noAuth: s.noAuth ?? false })),
      comparisons: comparisons.map(({ id, label, kind, a, b }) => ({ id, label, kind, a, b })),
      scenarios,
    };
    results.goals = goals(results);
    fs.mkdirSync(path.dirname(o.out), { recursive: true });
    fs.writeFileSync(o.out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(renderTables(results));
    console.log(`\n${results.goals.join("\n")}`);
    console.log(
      `\n${results.date} · LangGraph ${peerVersions["@langchain/langgraph-api"]} (${o.langgraph}) · -c${o.connections}, median of ${o.rounds} × ${o.duration} s, interleaved · Node ${process.version} · ${results.machine.cpus} cores · load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join("/")}`,
    );
    log(`peer: results written to ${path.relative(process.cwd(), o.out)}`);
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(err instanceof PeerError ? `bench:peer: ${err.message}` : (err?.stack ?? err));
  process.exit(err instanceof PeerError ? err.exitCode : 1);
});
