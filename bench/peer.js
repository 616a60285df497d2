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
 * Gatehouse costs on the route; with DATABASE_URL, the example on that PostgreSQL
 * with WORKERS=1 and WORKERS=2 (and auth off there too).
 *
 *   node bench/peer.js [--duration=S] [--rounds=N] [--connections=N] [--port=2124]
 *                      [--scenarios=get,search,mix,create] [--langgraph=repo|cli]
 *                      [--skip-install] [--out=FILE]
 */
const { spawn } = require("node:child_process");
const { randomBytes } = require("node:crypto");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const autocannon = require("autocannon");
const jwt = require("jsonwebtoken");
const { treeCpuMicros } = require("./lib/proc-cpu");
const { median, round } = require("./lib/stats");

const ROOT = path.join(__dirname, "..");
const PEER_DIR = path.join(__dirname, "peers", "langgraph");
const EXAMPLE_MAIN = path.join(ROOT, "examples", "agent-server", "dist", "main.js");
const AUTH_OFF_MAIN = path.join(__dirname, "peer", "auth-off-server.js");
const REPO_LANGGRAPH_MAIN = path.join(__dirname, "peer", "langgraph-server.mjs");
const PEER_PACKAGES = [
  "@langchain/langgraph-api@^1",
  "@langchain/langgraph-cli@^1",
  "@langchain/langgraph@^1",
  "@langchain/langgraph-checkpoint@^1",
  "@langchain/langgraph-sdk@^1",
  "@langchain/core@^1",
  "jsonwebtoken@^9",
];
const SCOPES = ["threads", "assistants", "crons", "store"].flatMap((r) => [`${r}:read`, `${r}:write`]);

class PeerError extends Error {
  constructor(message, exitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

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

const log = (line) => process.stderr.write(`${line}\n`);

function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", (err) => resolve({ code: -1, output: `${output}\n${err.message}` }));
    child.on("exit", (code) => resolve({ code, output }));
  });
}

/** Whether the repository's own @langchain/langgraph-api is installed (npm ci). */
function langgraphInRepo() {
  try {
    require.resolve("@langchain/langgraph-api/package.json", { paths: [ROOT] });
    return true;
  } catch {
    return false;
  }
}

function peerInstalled() {
  const has = (name) => fs.existsSync(path.join(PEER_DIR, "node_modules", ...name.split("/"), "package.json"));
  return (
    has("@langchain/langgraph-api") &&
    has("@langchain/langgraph-cli") &&
    has("@langchain/langgraph") &&
    has("jsonwebtoken") &&
    fs.existsSync(path.join(PEER_DIR, "node_modules", ".bin", "langgraphjs"))
  );
}

/** bench/peers/langgraph: the LangGraph project's directory (git-ignored). */
function preparePeerDir() {
  fs.mkdirSync(path.join(PEER_DIR, "src"), { recursive: true });
  const pkg = path.join(PEER_DIR, "package.json");
  if (!fs.existsSync(pkg)) {
    fs.writeFileSync(
      pkg,
      `${JSON.stringify({ name: "gatehouse-bench-peer-langgraph", private: true, type: "module" }, null, 2)}\n`,
    );
  }
}

/** Installs LangGraph's server and CLI into bench/peers/langgraph unless they are there. */
async function ensurePeer(skipInstall) {
  preparePeerDir();
  if (peerInstalled()) return;
  if (skipInstall)
    throw new PeerError("LangGraph is not installed in bench/peers/langgraph and --skip-install was given", 2);
  log(
    `peer: installing ${PEER_PACKAGES.join(" ")} into ${path.relative(ROOT, PEER_DIR)} (npm install --legacy-peer-deps)…`,
  );
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const { code, output } = await run(
    npm,
    ["install", "--legacy-peer-deps", "--no-audit", "--no-fund", "--ignore-scripts", ...PEER_PACKAGES],
    {
      cwd: PEER_DIR,
      env: { ...process.env, npm_config_workspaces: "false" },
    },
  );
  if (code !== 0 || !peerInstalled()) {
    const tail = output.trim().split("\n").slice(-15).join("\n");
    throw new PeerError(
      `Could not install LangGraph's server from the npm registry (npm exited with ${code}).\n${tail}\n\n` +
        "The peer benchmark needs @langchain/langgraph-api and @langchain/langgraph-cli from registry.npmjs.org. " +
        "Nothing in this repository's packages was changed. Check network access to the registry and run `npm run bench:peer` again; " +
        "`npm run bench` runs the in-repository benchmarks without it.",
      3,
    );
  }
}

/** The LangGraph project: config, the same policy as the example server, and an echo graph. */
function writePeerProject(secret) {
  fs.writeFileSync(
    path.join(PEER_DIR, "langgraph.json"),
    `${JSON.stringify({ node_version: "20", graphs: { echo: "./src/graph.mjs:graph" }, auth: { path: "./src/auth.mjs:auth" }, env: ".env", dependencies: ["."] }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(PEER_DIR, ".env"), `JWT_SECRET=${secret}\n`);
  fs.writeFileSync(
    path.join(PEER_DIR, "src", "auth.mjs"),
    `// Written by bench/peer.js: the example server's policy (examples/agent-server/src/auth.ts) for LangGraph's Auth.
import { createSecretKey } from "node:crypto";
import { Auth, HTTPException } from "@langchain/langgraph-sdk/auth";
import jwt from "jsonwebtoken";

const key = createSecretKey(Buffer.from(process.env.JWT_SECRET, "utf8"));
const WRITE = new Set(["create", "update", "delete", "create_run", "put"]);

export const auth = new Auth()
  .authenticate(async (request) => {
    const match = /^Bearer\\s+(\\S+)$/i.exec(request.headers.get("authorization") ?? "");
    if (!match) throw new HTTPException(401, { message: "Authentication required" });
    let claims;
    try {
      claims = jwt.verify(match[1], key, { algorithms: ["HS256"] });
    } catch (err) {
      throw new HTTPException(401, { message: \`Invalid credentials: \${err.message}\` });
    }
    if (typeof claims.sub !== "string" || claims.sub === "") throw new HTTPException(401, { message: 'The token has no "sub" claim' });
    return { identity: claims.sub, permissions: Array.isArray(claims.scopes) ? claims.scopes : [] };
  })
  .on(["threads", "assistants", "crons"], ({ event, value, user, permissions }) => {
    const [resource, action] = event.split(":");
    const needed = \`\${resource}:\${WRITE.has(action) ? "write" : "read"}\`;
    if (!permissions.includes(needed)) throw new HTTPException(403, { message: \`Forbidden: this needs "\${needed}"\` });
    if (action === "create" || action === "update" || action === "create_run") {
      value.metadata = { ...(value.metadata ?? {}), owner: user.identity };
    }
    return { owner: user.identity };
  });
`,
  );
  fs.writeFileSync(
    path.join(PEER_DIR, "src", "graph.mjs"),
    `// Written by bench/peer.js: echo each human message back, like the example server's "echo" graph.
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";

const State = Annotation.Root({ messages: Annotation({ reducer: (a, b) => a.concat(b), default: () => [] }) });

export const graph = new StateGraph(State)
  .addNode("echo", (state) => ({ messages: state.messages.filter((m) => m.type === "human" || m.role === "user").map((m) => ({ type: "ai", content: m.content })) }))
  .addEdge(START, "echo")
  .addEdge("echo", END)
  .compile();
`,
  );
}

function portFree(port) {
  return new Promise((resolve) => {
    const server = net
      .createServer()
      .once("error", () => resolve(false))
      .once("listening", () => server.close(() => resolve(true)));
    server.listen(port, "127.0.0.1");
  });
}

async function waitForHttp(url, child, what, logFile, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not listening yet: try again
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").trim().split("\n").slice(-25).join("\n") : "";
  throw new PeerError(
    `${what} did not answer ${url} ${child.exitCode !== null ? `(it exited with ${child.exitCode})` : `within ${timeoutMs / 1000} s`}. Its log (${logFile}):\n${tail}`,
    4,
  );
}

/** Starts a process in its own process group, logging to a file; stop() ends that group. */
function startProcess(command, args, options, logFile) {
  const out = fs.openSync(logFile, "w");
  const child = spawn(command, args, { ...options, stdio: ["ignore", out, out], detached: true });
  fs.closeSync(out);
  return {
    child,
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const force = setTimeout(() => {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // already gone
          }
        }, 10_000);
        child.once("exit", () => {
          clearTimeout(force);
          resolve();
        });
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          resolve();
        }
      });
    },
  };
}

async function startLangGraph(port, secret, mode) {
  if (port === 0 && mode !== "repo") throw new PeerError("--port=0 (any free port) needs --langgraph=repo", 2);
  if (port !== 0 && !(await portFree(port)))
    throw new PeerError(`Port ${port} on 127.0.0.1 is in use: pass --port=<another> for LangGraph's dev server`, 2);
  fs.rmSync(path.join(PEER_DIR, ".langgraph_api"), { recursive: true, force: true });
  const logFile = path.join(PEER_DIR, "dev.log");
  const [command, ...args] =
    mode === "repo"
      ? [
          process.execPath,
          REPO_LANGGRAPH_MAIN,
          "--config",
          path.join(PEER_DIR, "langgraph.json"),
          "--host",
          "127.0.0.1",
          "--port",
          String(port),
        ]
      : [path.join(PEER_DIR, "node_modules", ".bin", "langgraphjs"), ...langgraphCliArgs(port)];
  const proc = startProcess(
    command,
    args,
    {
      cwd: PEER_DIR,
      env: {
        ...process.env,
        JWT_SECRET: secret,
        LANGSMITH_TRACING: "false",
        LANGCHAIN_TRACING_V2: "false",
        NODE_ENV: "production",
      },
    },
    logFile,
  );
  const url =
    port === 0
      ? await listeningUrl(proc, logFile, /LangGraph server listening on (http:\/\/\S+)/)
      : `http://127.0.0.1:${port}`;
  if (!url)
    throw new PeerError(
      `LangGraph's server did not start. Its log (${logFile}):\n${fs.readFileSync(logFile, "utf8").slice(-3000)}`,
      4,
    );
  await waitForHttp(`${url}/info`, proc.child, "LangGraph's server", logFile);
  return { name: "LangGraph (in memory)", id: "langgraph", url, ...proc };
}

function langgraphCliArgs(port) {
  return [
    "dev",
    "--port",
    String(port),
    "--host",
    "127.0.0.1",
    "--no-browser",
    "--no-reload",
    "--config",
    path.join(PEER_DIR, "langgraph.json"),
  ];
}

async function startExample(secret, { id, name, env, noAuth = false }) {
  if (!fs.existsSync(EXAMPLE_MAIN))
    throw new PeerError(
      `${path.relative(ROOT, EXAMPLE_MAIN)} is missing: run \`npm run build\` first (npm run bench:peer does)`,
      2,
    );
  const logFile = path.join(PEER_DIR, `${id}.log`);
  // A throughput run is one identity flooding the server: no per-identity limit, and request lines only for failures.
  const childEnv = {
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    JWT_SECRET: secret,
    RATE_LIMIT_PER_MINUTE: "0",
    LOG_LEVEL: "warn",
    ...env,
  };
  // The PGlite plans must not inherit this run's DATABASE_URL: the server would take it over --memory.
  if (!env.DATABASE_URL) for (const name of ["DATABASE_URL", "DATABASE_SCHEMA"]) delete childEnv[name];
  const proc = startProcess(
    process.execPath,
    [noAuth ? AUTH_OFF_MAIN : EXAMPLE_MAIN, ...(env.DATABASE_URL ? [] : ["--memory"])],
    { cwd: path.dirname(EXAMPLE_MAIN), env: childEnv },
    logFile,
  );
  const url = await listeningUrl(proc, logFile, /listening on (http:\/\/\S+)/);
  if (!url)
    throw new PeerError(
      `The example server did not start. Its log (${logFile}):\n${fs.readFileSync(logFile, "utf8").slice(-3000)}`,
      4,
    );
  await waitForHttp(`${url}/info`, proc.child, "The example server", logFile);
  const database = /^Database: (PGlite|PostgreSQL)\b/m.exec(fs.readFileSync(logFile, "utf8"))?.[1];
  const expected = env.DATABASE_URL ? "PostgreSQL" : "PGlite";
  if (database !== expected)
    throw new PeerError(`${name} runs on ${database ?? "an unknown database"}, not ${expected} (see ${logFile})`, 4);
  return { name, id, url, noAuth, ...proc };
}

/** The URL a started process prints in its log (`pattern`'s first group); undefined if it exits or 120 s pass first. */
async function listeningUrl(proc, logFile, pattern) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && proc.child.exitCode === null) {
    const m = pattern.exec(fs.readFileSync(logFile, "utf8"));
    if (m) return m[1];
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
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
