"use strict";
/**
 * HTTP benchmark: every scenario's server runs in its own child process; load
 * comes from autocannon in this (parent) process, one scenario at a time, in
 * rounds whose order rotates so slow phases of a shared machine spread over
 * all scenarios. Reported per scenario: the median over rounds of req/s, p50
 * and p99 latency, and the median over rounds of the ratio to bare Express in
 * the same round; also the
 * server process's CPU time per request (process.cpuUsage around each load
 * window), which other processes on a shared machine disturb far less.
 */
const { fork } = require("node:child_process");
const path = require("node:path");
const autocannon = require("autocannon");
const { ROUTE, THREAD, validToken, invalidToken } = require("./fixture");
const scenarios = require("./scenarios");
const { median, round } = require("../lib/stats");

const SERVER = path.join(__dirname, "server.js");

/** Starts a scenario's server; resolves to { name, url, child }. */
function start(name, { cpuProfDir } = {}) {
  const execArgv = cpuProfDir
    ? ["--cpu-prof", "--cpu-prof-dir", cpuProfDir, "--cpu-prof-name", `${name}.cpuprofile`]
    : [];
  const child = fork(SERVER, [name], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`The ${name} server did not start within 30 s`));
    }, 30_000);
    child.once("message", (message) => {
      clearTimeout(timer);
      resolve({ name, url: `http://127.0.0.1:${message.port}`, child });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`The ${name} server exited with code ${code} before it was ready`));
    });
  });
}

function stop(server) {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    const timer = setTimeout(() => server.child.kill("SIGKILL"), 5_000);
    server.child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    server.child.kill("SIGTERM");
  });
}

/** Fails loudly unless the scenario answers the valid token with the thread and refuses bad tokens. */
async function check(server, token) {
  const ok = await fetch(server.url + ROUTE, { headers: { authorization: `Bearer ${token}` } });
  const body = await ok.json();
  if (ok.status !== 200 || JSON.stringify(body) !== JSON.stringify(THREAD)) {
    throw new Error(
      `${server.name}: expected 200 with the thread for a valid token, got ${ok.status} ${JSON.stringify(body).slice(0, 200)}`,
    );
  }
  if (!scenarios[server.name].auth) return;
  for (const [what, headers] of [
    ["an invalid token", { authorization: `Bearer ${invalidToken()}` }],
    ["no token", {}],
  ]) {
    const res = await fetch(server.url + ROUTE, { headers });
    await res.arrayBuffer();
    if (res.status !== 401) throw new Error(`${server.name}: expected 401 for ${what}, got ${res.status}`);
  }
}

/** The server process's CPU time (user + system, µs). */
function cpuOf(server) {
  return new Promise((resolve) => {
    const id = Math.random();
    const onMessage = (message) => {
      if (message && message.cpu && message.id === id) {
        server.child.off("message", onMessage);
        resolve(message.cpu.user + message.cpu.system);
      }
    };
    server.child.on("message", onMessage);
    server.child.send({ cpu: true, id });
  });
}

async function measure(server, token, options) {
  const before = await cpuOf(server);
  const result = await load(server, token, options);
  const cpu = (await cpuOf(server)) - before;
  return { result, cpu };
}

function load(server, token, { duration, connections }) {
  return autocannon({
    url: server.url + ROUTE,
    connections,
    duration,
    pipelining: 1,
    sampleInt: Math.min(1000, Math.max(100, duration * 250)),
    headers: { authorization: `Bearer ${token}` },
  });
}

function summarise({ result, cpu }) {
  const seconds = result.duration || 1;
  return {
    rps: round(result.requests.total / seconds, 0),
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuUsPerRequest: result.requests.total ? round(cpu / result.requests.total, 1) : null,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/**
 * Runs the HTTP benchmark.
 * @param {{ scenarios?: string[], duration: number, warmup: number, rounds: number, connections: number, cpuProfDir?: string, log?: (line: string) => void }} options
 */
async function runHttp(options) {
  const log = options.log ?? (() => {});
  const names = options.scenarios ?? Object.keys(scenarios);
  if (!names.includes("express")) names.unshift("express");
  const token = validToken();
  const servers = [];
  try {
    const started = await Promise.allSettled(names.map((name) => start(name, options)));
    for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    for (const server of servers) await check(server, token);
    if (options.warmup > 0) {
      log(`http: warming up ${servers.length} servers (${options.warmup} s each)`);
      for (const server of servers)
        await load(server, token, { duration: options.warmup, connections: options.connections });
    }
    const rounds = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < options.rounds; r++) {
      for (let i = 0; i < servers.length; i++) {
        const server = servers[(i + r) % servers.length];
        const summary = summarise(await measure(server, token, options));
        rounds[server.name].push(summary);
        log(
          `http: round ${r + 1}/${options.rounds} ${server.name.padEnd(24)} ${String(summary.rps).padStart(7)} req/s  p50 ${summary.p50} ms  p99 ${summary.p99} ms  server CPU ${summary.cpuUsPerRequest} µs/req${summary.non2xx ? `  non-2xx ${summary.non2xx}` : ""}`,
        );
      }
    }
    // Ratios are paired per round (the scenario against bare Express in the same round), then the median is taken:
    // a burst of load from other processes moves both figures of a pair far more than it moves the ratio.
    const pairedRatio = (samples, key, invert) =>
      median(samples.map((s, r) => (invert ? rounds.express[r][key] / s[key] : s[key] / rounds.express[r][key])));
    const results = names.map((name) => {
      const samples = rounds[name];
      return {
        id: name,
        label: scenarios[name].label,
        rps: median(samples.map((s) => s.rps)),
        p50: median(samples.map((s) => s.p50)),
        p99: median(samples.map((s) => s.p99)),
        ratio: round(pairedRatio(samples, "rps", false), 2),
        cpuUsPerRequest: median(samples.map((s) => s.cpuUsPerRequest)),
        cpuRatio: round(pairedRatio(samples, "cpuUsPerRequest", true), 2),
        non2xx: samples.reduce((n, s) => n + s.non2xx, 0),
        errors: samples.reduce((n, s) => n + s.errors, 0),
        rounds: samples,
      };
    });
    return {
      connections: options.connections,
      duration: options.duration,
      rounds: options.rounds,
      route: `GET ${ROUTE}`,
      scenarios: results,
    };
  } finally {
    await Promise.all(servers.map(stop));
  }
}

module.exports = { runHttp, start, stop };
