"use strict";
/**
 * bench:peer's servers (see bench/peer.js): LangGraph's own server, from the
 * repository's @langchain/langgraph-api or installed on demand into
 * bench/peers/langgraph with its project (the example's policy as a LangGraph
 * `Auth`, an echo graph), and the example server's variants, each in its own
 * process group with its log in bench/peers/langgraph.
 */
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");

const log = (line) => process.stderr.write(`${line}\n`);

const ROOT = path.join(__dirname, "..", "..");

const PEER_DIR = path.join(__dirname, "..", "peers", "langgraph");

const EXAMPLE_MAIN = path.join(ROOT, "examples", "agent-server", "dist", "main.js");

const AUTH_OFF_MAIN = path.join(__dirname, "auth-off-server.js");

const REPO_LANGGRAPH_MAIN = path.join(__dirname, "langgraph-server.mjs");

const PEER_PACKAGES = [
  "@langchain/langgraph-api@^1",
  "@langchain/langgraph-cli@^1",
  "@langchain/langgraph@^1",
  "@langchain/langgraph-checkpoint@^1",
  "@langchain/langgraph-sdk@^1",
  "@langchain/core@^1",
  "jsonwebtoken@^9",
];

class PeerError extends Error {
  constructor(message, exitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

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

module.exports = {
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
};
