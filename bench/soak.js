"use strict";
/**
 * Soak: the built example server (examples/agent-server/dist) under a steady
 * mix of allowed, denied and invalid requests, to show it neither errs nor
 * leaks over time. Not a test (no pass/fail thresholds besides errors), not in
 * `npm test`.
 *
 *   npm run soak                                  # build, then 60 s at 50 connections
 *   node bench/soak.js --duration=300 --connections=100
 *
 * The server runs in a child process (PGlite in memory, or DATABASE_URL) so its
 * memory is its own; autocannon drives it from this process. Every response's
 * status is checked against what that request must get: a 2xx where a 404 was
 * due is counted as an error, like a socket error or a timeout. Prints errors,
 * latency percentiles, and the server's RSS and heap (after a full GC) at the
 * start and the end of the load.
 */
const { fork } = require("node:child_process");
const path = require("node:path");

const DIST = path.join(__dirname, "..", "examples", "agent-server", "dist");
const SECRET = "soak-secret-0123456789abcdef";

if (process.argv.includes("--serve")) serve();
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });

/** Child: the example app on 127.0.0.1, an ephemeral port; answers memory questions over IPC. */
async function serve() {
  const { openDb } = require(path.join(DIST, "db"));
  const { createApp } = require(path.join(DIST, "app"));
  const db = await openDb(
    process.env.DATABASE_URL
      ? { databaseUrl: process.env.DATABASE_URL, schema: process.env.SOAK_SCHEMA }
      : { memory: true },
  );
  const quiet = console.error;
  let logged = 0;
  let stopping = false;
  console.error = (...args) => {
    // A few server-side errors are worth seeing, a flood is not; after the load, requests the
    // load generator abandoned may still be running when the database closes: not the soak's concern.
    if (!stopping && ++logged <= 5) quiet(...args);
  };
  const server = createApp({ db, jwtSecret: SECRET }).listen(0, "127.0.0.1", () => {
    process.send({ ready: true, port: server.address().port });
  });
  process.on("message", (message) => {
    if (message && message.memory) {
      if (global.gc) global.gc();
      const { rss, heapUsed } = process.memoryUsage();
      process.send({ memory: { rss, heapUsed, logged }, id: message.id });
    }
  });
  const stop = () => {
    stopping = true;
    // Like main.ts: let requests in flight finish before the database closes.
    server.close(() => db.close().then(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on("disconnect", stop);
  process.on("SIGTERM", stop);
}

function option(name, fallback) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const raw = arg ? arg.slice(name.length + 3) : process.env[`SOAK_${name.toUpperCase()}`];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

function ask(child, message) {
  const id = Math.random();
  return new Promise((resolve) => {
    const onMessage = (reply) => {
      if (reply.id !== id) return;
      child.off("message", onMessage);
      resolve(reply);
    };
    child.on("message", onMessage);
    child.send({ ...message, id });
  });
}

async function call(base, method, url, token, body) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main() {
  let autocannon;
  try {
    autocannon = require("autocannon");
  } catch {
    throw new Error("autocannon is missing: run npm install at the repository root");
  }
  const jwt = require("jsonwebtoken");
  const { mintToken } = require(path.join(DIST, "tokens"));
  const duration = option("duration", 60);
  const connections = option("connections", 50);

  const child = fork(__filename, ["--serve"], {
    execArgv: ["--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const { port } = await new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`the server exited (code ${code}) before listening`)));
  });
  const base = `http://127.0.0.1:${port}`;

  // Tokens and records for the mix.
  const alice = mintToken(SECRET, "alice");
  const bob = mintToken(SECRET, "bob");
  const reader = mintToken(SECRET, "carol", { scopes: ["threads:read"] });
  const expired = jwt.sign({ sub: "alice", scopes: [], exp: Math.floor(Date.now() / 1000) - 60 }, SECRET, {
    algorithm: "HS256",
  });
  const forged = jwt.sign({ sub: "alice", scopes: [] }, "not-the-secret-0123456789", { algorithm: "HS256" });
  const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"alice"}').toString("base64url")}.`;
  const aliceThread = (await call(base, "POST", "/threads", alice, { metadata: { soak: true } })).body.thread_id;
  const bobThread = (await call(base, "POST", "/threads", bob, { metadata: { soak: true } })).body.thread_id;
  await call(base, "PUT", "/store/items", alice, { namespace: ["alice", "soak"], key: "k", value: { n: 0 } });
  await call(base, "POST", `/threads/${aliceThread}/runs/wait`, alice, {
    assistant_id: "echo",
    input: { messages: [{ role: "user", content: "hi" }] },
  });

  const json = (token) => ({
    "content-type": "application/json",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  });
  /** [kind, expected status, request]: cycled in order by every connection. */
  const mix = [
    ["allowed", 200, { method: "GET", path: `/threads/${aliceThread}`, headers: json(alice) }],
    [
      "allowed",
      200,
      { method: "POST", path: "/threads/search", headers: json(bob), body: JSON.stringify({ limit: 10 }) },
    ],
    [
      "allowed",
      200,
      {
        method: "PATCH",
        path: `/threads/${aliceThread}`,
        headers: json(alice),
        body: JSON.stringify({ metadata: { tick: 1 } }),
      },
    ],
    ["allowed", 200, { method: "GET", path: "/store/items?namespace=alice.soak&key=k", headers: json(alice) }],
    [
      "allowed",
      204,
      {
        method: "PUT",
        path: "/store/items",
        headers: json(alice),
        body: JSON.stringify({ namespace: ["alice", "soak"], key: "k", value: { n: 1 } }),
      },
    ],
    ["allowed", 200, { method: "GET", path: `/threads/${aliceThread}/runs`, headers: json(alice) }],
    ["allowed", 200, { method: "GET", path: "/health" }],
    ["denied", 404, { method: "GET", path: `/threads/${aliceThread}`, headers: json(bob) }],
    [
      "denied",
      404,
      {
        method: "PATCH",
        path: `/threads/${bobThread}`,
        headers: json(alice),
        body: JSON.stringify({ metadata: { stolen: true } }),
      },
    ],
    [
      "denied",
      403,
      {
        method: "PUT",
        path: "/store/items",
        headers: json(bob),
        body: JSON.stringify({ namespace: ["alice", "soak"], key: "k", value: { n: 2 } }),
      },
    ],
    ["denied", 403, { method: "POST", path: "/threads", headers: json(reader), body: "{}" }],
    [
      "denied",
      409,
      { method: "POST", path: "/threads", headers: json(bob), body: JSON.stringify({ thread_id: aliceThread }) },
    ],
    ["invalid", 401, { method: "POST", path: "/threads/search", headers: json(), body: "{}" }],
    ["invalid", 401, { method: "GET", path: `/threads/${bobThread}`, headers: json(forged) }],
    ["invalid", 401, { method: "GET", path: `/threads/${bobThread}`, headers: json(expired) }],
    ["invalid", 401, { method: "GET", path: `/threads/${bobThread}`, headers: json(none) }],
    ["invalid", 400, { method: "POST", path: "/threads", headers: json(alice), body: '{"metadata": ' }],
    ["invalid", 400, { method: "GET", path: "/threads/not-a-uuid", headers: json(alice) }],
  ];
  // Check each request once before loading, so a wrong expectation is caught here, not as 60 s of "errors".
  for (const [kind, expected, r] of mix) {
    const res = await fetch(base + r.path, { method: r.method, headers: r.headers, body: r.body });
    await res.arrayBuffer();
    if (res.status !== expected)
      throw new Error(`${kind} ${r.method} ${r.path}: expected ${expected}, got ${res.status}`);
  }

  const counts = { allowed: 0, denied: 0, invalid: 0 };
  const wrong = new Map();
  const requests = mix.map(([kind, expected, r]) => ({
    ...r,
    onResponse(status) {
      counts[kind]++;
      if (status !== expected) {
        const key = `${r.method} ${r.path.slice(0, 40)}: ${status} (expected ${expected})`;
        wrong.set(key, (wrong.get(key) ?? 0) + 1);
      }
    },
  }));

  // Warm up (JIT, pools, PGlite caches), then the baseline.
  await new Promise((resolve, reject) =>
    autocannon({ url: base, connections, duration: Math.min(5, duration), requests }, (err, r) =>
      err ? reject(err) : resolve(r),
    ),
  );
  counts.allowed = counts.denied = counts.invalid = 0;
  wrong.clear();
  const start = (await ask(child, { memory: true })).memory;
  console.log(
    `Soak: ${connections} connections for ${duration} s against ${base} (${mix.length} request kinds: 7 allowed, 5 denied, 6 invalid)`,
  );

  const samples = [];
  const sampler = setInterval(
    async () => samples.push((await ask(child, { memory: true })).memory.rss),
    Math.max(1000, (duration * 1000) / 12),
  );
  const result = await new Promise((resolve, reject) => {
    const instance = autocannon({ url: base, connections, duration, requests, timeout: 10 }, (err, r) =>
      err ? reject(err) : resolve(r),
    );
    process.once("SIGINT", () => instance.stop());
  });
  clearInterval(sampler);
  const end = (await ask(child, { memory: true })).memory;
  child.disconnect();

  const wrongTotal = [...wrong.values()].reduce((a, b) => a + b, 0);
  const errors = result.errors + result.timeouts + wrongTotal;
  const lines = [
    `requests      ${result.requests.total} (${Math.round(result.requests.average)} req/s): ${counts.allowed} allowed, ${counts.denied} denied, ${counts.invalid} invalid`,
    `errors        ${errors} (socket errors ${result.errors}, timeouts ${result.timeouts}, unexpected statuses ${wrongTotal})`,
    `latency       p50 ${result.latency.p50} ms, p90 ${result.latency.p90} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
    `server RSS    start ${mb(start.rss)}, end ${mb(end.rss)} (${end.rss >= start.rss ? "+" : ""}${mb(end.rss - start.rss)}); samples ${samples.map(mb).join(", ")}`,
    `server heap   after GC: start ${mb(start.heapUsed)}, end ${mb(end.heapUsed)} (${end.heapUsed >= start.heapUsed ? "+" : ""}${mb(end.heapUsed - start.heapUsed)})`,
    `server log    ${end.logged} error lines`,
  ];
  console.log(lines.join("\n"));
  for (const [key, n] of wrong) console.log(`  unexpected: ${key} × ${n}`);
  process.exitCode = errors > 0 ? 1 : 0;
}
