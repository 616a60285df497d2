"use strict";
/**
 * Gateway benchmark: LangGraph's own server (examples/langgraph-gateway, built,
 * in a child process) measured directly and through the Gatehouse gateway
 * (that example's `node dist/main.js` with LANGGRAPH_URL, another child), in the
 * same run, alternating so a noisy machine slows both sides alike.
 *
 * - throughput: autocannon `GET /threads/:id` (a thread alice owns) against
 *   each side per round; ratio = median over rounds of gateway ÷ direct req/s;
 * - first event of a stream: `POST /threads/:id/runs/stream` (fresh thread per
 *   request, stream mode values), time from sending the request to the first
 *   SSE event, alternating direct and gateway; p50/p99 of each and the p50
 *   the gateway adds (the target). The same for a stateless `POST /runs/stream`,
 *   which has no parent thread to check: what the proxying alone adds.
 *   Every stream is read to its end before the next.
 */
const { spawn } = require("node:child_process");
const path = require("node:path");
const autocannon = require("autocannon");
const { cpuMicros } = require("./lib/proc-cpu");
const { median, quantile, round } = require("./lib/stats");

const EXAMPLE = path.join(__dirname, "..", "examples", "langgraph-gateway", "dist");
const SECRET = "bench-gateway-secret-bench-gateway-secret";

function requireExample() {
  try {
    return {
      process: require(path.join(EXAMPLE, "langgraph-process.js")),
      tokens: require(path.join(EXAMPLE, "tokens.js")),
    };
  } catch (error) {
    throw new Error(`gateway: examples/langgraph-gateway is not built (${error.message}); run "npm run build" first`, {
      cause: error,
    });
  }
}

/** The example's start script in front of `upstream`; resolves once it prints its URL. */
function startGateway(upstream, cpuProfDir) {
  const profile = cpuProfDir
    ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=gateway-${Date.now()}.cpuprofile`]
    : [];
  const child = spawn(process.execPath, [...profile, path.join(EXAMPLE, "main.js")], {
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      JWT_SECRET: SECRET,
      LANGGRAPH_URL: upstream,
      LANGGRAPH_API_KEY: "",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("gateway: the gateway did not start within 60 s")), 60_000);
    const fail = (error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m && output.includes("BOB_TOKEN=")) {
        clearTimeout(timer);
        child.stdout.resume();
        resolve({ url: m[1], child });
      }
    });
    child.once("exit", (code) =>
      fail(new Error(`gateway: the gateway exited with code ${code} before it was ready:\n${output}`)),
    );
  });
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function json(url, method, token, body) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Fails loudly unless the gateway serves alice's thread, refuses bob (404) and no token (401). */
async function check(side, threadId, tokens) {
  const path_ = `/threads/${threadId}`;
  const ok = await json(side.gateway + path_, "GET", tokens.alice);
  if (ok.status !== 200 || ok.body?.thread_id !== threadId)
    throw new Error(`gateway: expected alice's thread through the gateway, got ${ok.status}`);
  const bob = await json(side.gateway + path_, "GET", tokens.bob);
  if (bob.status !== 404) throw new Error(`gateway: expected 404 for bob on alice's thread, got ${bob.status}`);
  const none = await json(side.gateway + path_, "GET");
  if (none.status !== 401) throw new Error(`gateway: expected 401 without a token, got ${none.status}`);
  const direct = await json(side.direct + path_, "GET");
  if (direct.status !== 200)
    throw new Error(`gateway: expected the thread directly from LangGraph, got ${direct.status}`);
}

function load(url, token, { duration, connections }) {
  return autocannon({
    url,
    connections,
    duration,
    pipelining: 1,
    sampleInt: Math.min(1000, Math.max(100, duration * 250)),
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** Runs one load window, with the CPU per request of each child in `pids` ({ name: pid }). */
async function measured(pids, run) {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMicros(pid)]));
  const result = await run();
  const s = summarise(result);
  s.cpuPerReqUs = {};
  for (const [name, pid] of Object.entries(pids)) {
    const after = cpuMicros(pid);
    s.cpuPerReqUs[name] =
      after === null || before[name] === null || !result.requests.total
        ? null
        : round((after - before[name]) / result.requests.total, 0);
  }
  return s;
}

function summarise(result) {
  const seconds = result.duration || 1;
  return {
    rps: round(result.requests.total / seconds, 0),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** Median CPU µs per request of each process over the rounds (null without /proc). */
function medianCpu(list) {
  const out = {};
  for (const name of Object.keys(list[0]?.cpuPerReqUs ?? {})) {
    const values = list.map((s) => s.cpuPerReqUs[name]).filter((v) => v !== null);
    out[name] = values.length ? median(values) : null;
  }
  return out;
}

/** Milliseconds from sending the stream request to its first SSE event; reads the stream to its end. */
async function firstEventMs(url, token) {
  const headers = { "content-type": "application/json", accept: "text/event-stream" };
  if (token) headers.authorization = `Bearer ${token}`;
  const body = JSON.stringify({
    assistant_id: "agent",
    input: { messages: [{ role: "user", content: "bench" }] },
    stream_mode: ["values"],
  });
  const t0 = process.hrtime.bigint();
  const res = await fetch(url, { method: "POST", headers, body });
  if (res.status !== 200)
    throw new Error(`gateway: stream ${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const decoder = new TextDecoder();
  let text = "";
  let first = null;
  for await (const chunk of res.body) {
    if (first === null) {
      text += decoder.decode(chunk, { stream: true });
      if (/(^|\n)event: ?\S+\n/.test(text)) first = Number(process.hrtime.bigint() - t0) / 1e6;
    }
  }
  if (first === null) throw new Error(`gateway: stream ${url} ended without an event`);
  return first;
}

/**
 * Runs the gateway benchmark.
 * @param {{ duration: number, warmup: number, rounds: number, connections: number, streams: number, cpuProfDir?: string, log?: (line: string) => void }} options
 */
async function runGateway(options) {
  const log = options.log ?? (() => {});
  const example = requireExample();
  const tokens = { alice: example.tokens.mintToken(SECRET, "alice"), bob: example.tokens.mintToken(SECRET, "bob") };
  log("gateway: starting LangGraph's server and the gateway in front of it");
  const langgraph = await example.process.startLangGraph({ stdio: "inherit" });
  let gateway;
  try {
    gateway = await startGateway(langgraph.url, options.cpuProfDir);
    const side = { direct: langgraph.url, gateway: gateway.url };
    const created = await json(`${side.gateway}/threads`, "POST", tokens.alice, { metadata: { topic: "bench" } });
    if (created.status !== 200)
      throw new Error(`gateway: creating a thread through the gateway answered ${created.status}`);
    const threadId = created.body.thread_id;
    await check(side, threadId, tokens);

    // Throughput of GET /threads/:id, direct and through the gateway, order alternating per round.
    const route = `/threads/${threadId}`;
    const targets = { direct: [side.direct + route, undefined], gateway: [side.gateway + route, tokens.alice] };
    if (options.warmup > 0)
      for (const [url, token] of Object.values(targets))
        await load(url, token, { duration: options.warmup, connections: options.connections });
    const rounds = { direct: [], gateway: [] };
    for (let r = 0; r < options.rounds; r++) {
      for (const name of r % 2 ? ["gateway", "direct"] : ["direct", "gateway"]) {
        const pids =
          name === "gateway"
            ? { gateway: gateway.child.pid, langgraph: langgraph.child.pid }
            : { langgraph: langgraph.child.pid };
        const s = await measured(pids, () => load(...targets[name], options));
        rounds[name].push(s);
        const cpu = Object.entries(s.cpuPerReqUs)
          .map(([n, us]) => `${n} ${us ?? "–"} µs`)
          .join(", ");
        log(
          `gateway: round ${r + 1}/${options.rounds} ${name.padEnd(8)} ${String(s.rps).padStart(7)} req/s  p50 ${s.p50} ms  p99 ${s.p99} ms  CPU/req ${cpu}${s.non2xx ? `  non-2xx ${s.non2xx}` : ""}`,
        );
      }
    }
    const side_ = (name) => ({
      rps: median(rounds[name].map((s) => s.rps)),
      p50: median(rounds[name].map((s) => s.p50)),
      p99: median(rounds[name].map((s) => s.p99)),
      non2xx: rounds[name].reduce((n, s) => n + s.non2xx, 0),
      errors: rounds[name].reduce((n, s) => n + s.errors, 0),
      cpuPerReqUs: medianCpu(rounds[name]),
      rounds: rounds[name],
    });
    const throughput = { direct: side_("direct"), gateway: side_("gateway") };
    throughput.ratio = round(median(rounds.gateway.map((s, r) => s.rps / rounds.direct[r].rps)), 2);

    // First event of a stream: a fresh thread per request (created beforehand, outside the timing).
    const warm = Math.min(5, options.streams);
    const total = options.streams + warm;
    const threads = { direct: [], gateway: [] };
    for (let i = 0; i < total; i++) {
      threads.direct.push((await json(`${side.direct}/threads`, "POST", undefined, {})).body.thread_id);
      threads.gateway.push((await json(`${side.gateway}/threads`, "POST", tokens.alice, {})).body.thread_id);
    }
    const samples = { direct: [], gateway: [] };
    const stateless = { direct: [], gateway: [] };
    for (let i = 0; i < total; i++) {
      for (const name of i % 2 ? ["gateway", "direct"] : ["direct", "gateway"]) {
        const token = name === "gateway" ? tokens.alice : undefined;
        const ms = await firstEventMs(`${side[name]}/threads/${threads[name][i]}/runs/stream`, token);
        const msStateless = await firstEventMs(`${side[name]}/runs/stream`, token);
        if (i >= warm) {
          samples[name].push(ms);
          stateless[name].push(msStateless);
        }
      }
    }
    const stats = (list) => ({
      p50: round(quantile(list, 0.5), 2),
      p99: round(quantile(list, 0.99), 2),
      samples: list.map((v) => round(v, 2)),
    });
    const summary = (pair) => {
      const out = { streams: options.streams, direct: stats(pair.direct), gateway: stats(pair.gateway) };
      out.addedP50Ms = round(out.gateway.p50 - out.direct.p50, 2);
      return out;
    };
    const firstEvent = summary(samples);
    const firstEventStateless = summary(stateless);
    log(
      `gateway: first stream event p50 direct ${firstEvent.direct.p50} ms, through the gateway ${firstEvent.gateway.p50} ms (+${firstEvent.addedP50Ms} ms); stateless +${firstEventStateless.addedP50Ms} ms`,
    );
    return {
      route: "GET /threads/:id",
      connections: options.connections,
      duration: options.duration,
      rounds: options.rounds,
      throughput,
      firstEvent,
      firstEventStateless,
    };
  } finally {
    if (gateway) await stopChild(gateway.child);
    await langgraph.stop();
  }
}

const ms = (v) => (v === null || v === undefined ? "–" : `${Number(v).toFixed(2)} ms`);
const us = (v) => (v === null || v === undefined ? "" : `${Math.round(v)} µs`);
const signed = (v) => (v === null || v === undefined ? "–" : `${v < 0 ? "−" : "+"}${ms(Math.abs(v))}`);

/** The rows of the results table (bench/lib/table.js) for this benchmark's results. */
function gatewayRows(g) {
  const int = (n) => (n === null ? "–" : Math.round(n).toLocaleString("en-US"));
  const flags = (s) =>
    [s.non2xx ? `${s.non2xx} non-2xx!` : "", s.errors ? `${s.errors} errors!` : ""].filter(Boolean).join(", ");
  const t = g.throughput;
  const f = g.firstEvent;
  return [
    [
      "Gateway GET /threads/:id",
      "LangGraph server, direct",
      `${int(t.direct.rps)} req/s`,
      ms(t.direct.p50),
      ms(t.direct.p99),
      "",
      us(t.direct.cpuPerReqUs?.langgraph),
      flags(t.direct),
    ],
    [
      "Gateway GET /threads/:id",
      "through the Gatehouse gateway",
      `${int(t.gateway.rps)} req/s`,
      ms(t.gateway.p50),
      ms(t.gateway.p99),
      `${t.ratio}× direct`,
      us(t.gateway.cpuPerReqUs?.gateway),
      [
        t.gateway.cpuPerReqUs?.langgraph != null
          ? `LangGraph behind it ${us(t.gateway.cpuPerReqUs.langgraph)}/req`
          : "",
        flags(t.gateway),
      ]
        .filter(Boolean)
        .join("; "),
    ],
    [
      "Gateway stream first event",
      "LangGraph server, direct",
      "",
      ms(f.direct.p50),
      ms(f.direct.p99),
      "",
      "",
      `${f.streams} streams`,
    ],
    [
      "Gateway stream first event",
      "through the Gatehouse gateway",
      "",
      ms(f.gateway.p50),
      ms(f.gateway.p99),
      `${signed(f.addedP50Ms)} at p50`,
      "",
      "includes the parent-thread check",
    ],
    ...(g.firstEventStateless
      ? [
          [
            "Gateway stateless stream first event",
            "LangGraph server, direct",
            "",
            ms(g.firstEventStateless.direct.p50),
            ms(g.firstEventStateless.direct.p99),
            "",
            "",
            "POST /runs/stream",
          ],
          [
            "Gateway stateless stream first event",
            "through the Gatehouse gateway",
            "",
            ms(g.firstEventStateless.gateway.p50),
            ms(g.firstEventStateless.gateway.p99),
            `${signed(g.firstEventStateless.addedP50Ms)} at p50`,
            "",
            "no parent thread to check",
          ],
        ]
      : []),
  ];
}

/** The issue's targets for this benchmark. */
function gatewayTargets(g) {
  return [
    {
      id: "gateway-throughput",
      description: "GET /threads/:id through the gateway ÷ directly against LangGraph's server, req/s",
      target: 0.8,
      measured: g.throughput.ratio,
      met: g.throughput.ratio >= 0.8,
    },
    {
      id: "gateway-first-event",
      description: "ms the gateway adds to a stream's first event at p50",
      target: 2,
      measured: g.firstEvent.addedP50Ms,
      met: g.firstEvent.addedP50Ms <= 2,
      atMost: true,
    },
  ];
}

module.exports = { runGateway, gatewayRows, gatewayTargets };
