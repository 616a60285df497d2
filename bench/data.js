"use strict";
/**
 * Data benchmark: threads in PGlite (embedded PostgreSQL), spread over owners,
 * with the example server's table and queries. Measures thread search (the
 * example's `ORDER BY created_at DESC, thread_id DESC LIMIT 10`) with and
 * without the owner filter from `filtersToSql`, and a read by id with and
 * without it, first with no index on `metadata`, then with the GIN
 * (`jsonb_path_ops`) index the example creates, then with a btree index on
 * the sort key as well (so the unfiltered search no longer sorts the whole
 * table: the hardest case for the filtered/unfiltered ratio). Reports p50/p99.
 */
const { PGlite } = require("@electric-sql/pglite");
const { filtersToSql } = require("./lib/gatehouse").gatehouse();
const { quantile, round, ratio } = require("./lib/stats");

// The example server's own threads table and GIN index, from its built schema.
const { SCHEMA_STATEMENTS } = require("../examples/agent-server/dist/schema");
const TABLE = SCHEMA_STATEMENTS.find((sql) => /CREATE TABLE IF NOT EXISTS threads\b/.test(sql));
const GIN = SCHEMA_STATEMENTS.find((sql) => /threads_metadata_gin/.test(sql));
if (!TABLE || !GIN)
  throw new Error("bench/data.js: the threads table or its GIN index is missing from examples/agent-server's schema");
const BY_DATE = "CREATE INDEX threads_created_at ON threads (created_at DESC, thread_id DESC)";
const ORDER = "ORDER BY created_at DESC, thread_id DESC LIMIT 10 OFFSET 0";

/** Deterministic PRNG (mulberry32), so every run asks for the same owners. */
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function timed(db, text, values) {
  const t0 = performance.now();
  const result = await db.query(text, values);
  return { ms: performance.now() - t0, rows: result.rows };
}

async function planOf(db, text, values) {
  const { rows } = await db.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
  const nodes = [];
  (function walk(node) {
    nodes.push(node["Index Name"] ? `${node["Node Type"]} (${node["Index Name"]})` : node["Node Type"]);
    for (const child of node.Plans ?? []) walk(child);
  })(rows[0]["QUERY PLAN"][0].Plan);
  return nodes.join(" → ");
}

/** The four queries, each built for one (owner, thread id) sample. */
const QUERIES = {
  "search, unfiltered": () => ({ text: `SELECT * FROM threads WHERE TRUE ${ORDER}`, values: [] }),
  "search, owner filter": (owner) => {
    const where = filtersToSql({ owner }, { column: "metadata" });
    return { text: `SELECT * FROM threads WHERE ${where.text} ${ORDER}`, values: where.values };
  },
  "read by id, unfiltered": (_owner, id) => ({ text: "SELECT * FROM threads WHERE thread_id = $1", values: [id] }),
  "read by id, owner filter": (owner, id) => {
    const where = filtersToSql({ owner }, { column: "metadata", startIndex: 2 });
    return { text: `SELECT * FROM threads WHERE thread_id = $1 AND ${where.text}`, values: [id, ...where.values] };
  },
};

async function measurePhase(db, samples, iterations, warmup) {
  const times = Object.fromEntries(Object.keys(QUERIES).map((q) => [q, []]));
  const plans = {};
  for (const [name, build] of Object.entries(QUERIES)) {
    const { text, values } = build(samples[0].owner, samples[0].id);
    plans[name] = await planOf(db, text, values);
  }
  for (let i = 0; i < warmup + iterations; i++) {
    const { owner, id } = samples[i % samples.length];
    for (const [name, build] of Object.entries(QUERIES)) {
      const { text, values } = build(owner, id);
      const { ms, rows } = await timed(db, text, values);
      if (name.includes("owner") && rows.some((row) => row.metadata.owner !== owner))
        throw new Error(`data benchmark: ${name} returned another owner's thread`);
      if (name.startsWith("read") && rows.length !== 1)
        throw new Error(`data benchmark: ${name} found ${rows.length} rows for an existing thread`);
      if (name.startsWith("search") && rows.length !== 10)
        throw new Error(`data benchmark: ${name} returned ${rows.length} rows, expected 10`);
      if (i >= warmup) times[name].push(ms);
    }
  }
  const queries = Object.entries(times).map(([name, list]) => ({
    query: name,
    p50: round(quantile(list, 0.5), 3),
    p99: round(quantile(list, 0.99), 3),
    plan: plans[name],
  }));
  const p50 = (name) => queries.find((q) => q.query === name).p50;
  return {
    queries,
    searchFilteredOverUnfiltered: ratio(p50("search, owner filter"), p50("search, unfiltered")),
    readFilteredOverUnfiltered: ratio(p50("read by id, owner filter"), p50("read by id, unfiltered")),
  };
}

/**
 * @param {{ rows: number, owners: number, iterations: number, warmup?: number, log?: (line: string) => void }} options
 */
async function runData(options) {
  const log = options.log ?? (() => {});
  const { rows, owners, iterations } = options;
  const warmup = options.warmup ?? Math.min(10, iterations);
  const t0 = performance.now();
  const db = await PGlite.create();
  try {
    await db.exec(TABLE);
    const tInsert = performance.now();
    await db.query(
      `INSERT INTO threads (thread_id, metadata, created_at, updated_at, state_updated_at)
       SELECT gen_random_uuid(),
              jsonb_build_object('owner', 'user-' || (i % $2), 'topic', (ARRAY['tax','travel','code','health'])[1 + i % 4], 'n', i),
              now() - make_interval(secs => i), now(), now()
       FROM generate_series(1, $1::int) AS i`,
      [rows, owners],
    );
    await db.exec("ANALYZE threads");
    const insertMs = performance.now() - tInsert;
    log(`data: ${rows} threads over ${owners} owners inserted in ${(insertMs / 1000).toFixed(1)} s`);
    const random = prng(42);
    const picked = await db.query(
      "SELECT thread_id, metadata->>'owner' AS owner FROM threads WHERE (metadata->>'n')::int % $1 = 0",
      [Math.max(1, Math.floor(rows / 500))],
    );
    const samples = Array.from({ length: 500 }, () => picked.rows[Math.floor(random() * picked.rows.length)]).map(
      (r) => ({ owner: r.owner, id: r.thread_id }),
    );

    const withoutIndex = await measurePhase(db, samples, iterations, warmup);
    log(`data: without GIN  ${withoutIndex.queries.map((q) => `${q.query} p50 ${q.p50} ms`).join(", ")}`);
    const tIndex = performance.now();
    await db.exec(GIN);
    await db.exec("ANALYZE threads");
    const indexMs = performance.now() - tIndex;
    const withIndex = await measurePhase(db, samples, iterations, warmup);
    log(`data: with GIN     ${withIndex.queries.map((q) => `${q.query} p50 ${q.p50} ms`).join(", ")}`);
    // The search's ORDER BY can also be served by an index; then the unfiltered search stops sorting the table.
    await db.exec(BY_DATE);
    await db.exec("ANALYZE threads");
    const withDateIndex = await measurePhase(db, samples, iterations, warmup);
    log(`data: GIN + date   ${withDateIndex.queries.map((q) => `${q.query} p50 ${q.p50} ms`).join(", ")}`);
    return {
      engine: (await db.query("SELECT version() AS v")).rows[0].v.split(" on ")[0],
      rows,
      owners,
      iterations,
      insertMs: round(insertMs, 0),
      indexMs: round(indexMs, 0),
      totalMs: round(performance.now() - t0, 0),
      phases: { withoutIndex, withIndex, withDateIndex },
    };
  } finally {
    await db.close();
  }
}

module.exports = { runData };
