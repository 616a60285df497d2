/**
 * Prototype pollution and literal matching inside Gatehouse, through a
 * purpose-built app whose handler returns a filter built from the request, the
 * worst case for hostile keys. Properties (fast-check): a filter with
 * `__proto__`/`constructor`/`prototype`, SQL metacharacters or unicode in keys
 * and values is either refused (500, fail closed, route never runs) or scopes
 * the route by own-key literal comparison, and it never widens access; the
 * default guard value and the metadata write-back keep such keys as plain own
 * data. `Object.prototype` and friends never change.
 */
import express from "express";
import fc from "fast-check";
import request from "supertest";
import { Auth, filtersToSql, matchFilters, type Filters } from "../../src/index";
import { memoryLogger } from "../support/jwt-app";

// Hundreds of HTTP round trips per property: jest's 5 s default fails on a busy machine (issue 16).
jest.setTimeout(180_000);

const KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "owner",
  "tags",
  "' OR 1=1 --",
  "a->>b",
  "$1",
  "é",
  "👩‍👩‍👧",
  "\u202e",
  "",
];
const word = fc.oneof(
  fc.constantFrom(...KEYS),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: "grapheme", maxLength: 4 }),
);
const scalar = fc.oneof(word, fc.integer(), fc.boolean(), fc.constant(null));
const condition = fc.oneof(
  scalar,
  fc.record({ $eq: scalar }),
  fc.record({ $contains: fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })) }),
  fc.dictionary(word, scalar, { maxKeys: 2 }), // unknown operators and plain objects: must be refused
  fc.array(scalar, { maxLength: 2 }), // not a scalar: must be refused
);
const filterArb = fc.dictionary(word, condition, { maxKeys: 3, noNullPrototype: true });
const metadataArb = fc.dictionary(
  word,
  fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(word, scalar, { maxKeys: 2 })),
  { maxKeys: 4, noNullPrototype: true },
);

/** An oracle written independently of filters.ts: own keys only, strict equality, array containment. */
function oracle(filter: Record<string, unknown>, metadata: Record<string, unknown>): boolean {
  return Object.keys(filter).every((key) => {
    if (!Object.prototype.hasOwnProperty.call(metadata, key)) return false;
    const field = metadata[key];
    const cond = filter[key];
    const conds =
      cond !== null && typeof cond === "object" && !Array.isArray(cond)
        ? (cond as Record<string, unknown>)
        : { $eq: cond };
    if ("$eq" in conds && field !== conds.$eq) return false;
    if ("$contains" in conds) {
      const wanted = Array.isArray(conds.$contains) ? conds.$contains : [conds.$contains];
      if (!Array.isArray(field) || !wanted.every((w) => field.includes(w))) return false;
    }
    return true;
  });
}

function snapshot(): string {
  return [Object.prototype, Array.prototype, Function.prototype]
    .map((proto) => Object.getOwnPropertyNames(proto).sort().join(","))
    .join("|");
}

const records: { id: number; metadata: Record<string, unknown> }[] = [];
const logger = memoryLogger();
const auth = new Auth({ logger })
  .authenticate(() => ({ identity: "tester" }))
  // The filter is whatever the caller sent: the worst case for hostile keys.
  .on("threads:search", ({ value }) => (value as { filter: Filters }).filter)
  .on("threads:update", ({ value, user }) => {
    (value as { metadata: Record<string, unknown> }).metadata.owner = user.identity;
  });
const app = express();
app.use(express.json());
app.use(auth.middleware());
let routeRuns = 0;
app.post("/search", auth.guard("threads:search", { value: (req) => ({ filter: req.body.filter }) }), (req, res) => {
  routeRuns++;
  const filters = req.auth!.filters;
  res.json({
    ids: records.filter((r) => matchFilters(filters, r.metadata)).map((r) => r.id),
    sql: filtersToSql(filters),
  });
});
app.patch("/threads/:thread_id", auth.guard("threads:update"), (req, res) => {
  const metadata = req.body.metadata as Record<string, unknown>;
  res.json({ keys: Object.keys(metadata), proto: Object.getPrototypeOf(metadata) === Object.prototype, metadata });
});

let before: string;
beforeAll(() => {
  before = snapshot();
});
afterEach(() => {
  expect(snapshot()).toBe(before);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test("hostile filters are refused (500, route not run) or match by own-key literal comparison, never more", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(metadataArb, { minLength: 1, maxLength: 6 }), filterArb, async (metadatas, filter) => {
      records.length = 0;
      metadatas.forEach((metadata, id) => records.push({ id, metadata }));
      const runsBefore = routeRuns;
      // Sent as JSON text, so `__proto__` keys arrive as own properties, as from any client.
      const res = await request(app)
        .post("/search")
        .set("Content-Type", "application/json")
        .send(JSON.stringify({ filter }));
      if (res.status === 500) {
        expect(res.body).toEqual({ error: "internal_error", message: "Internal server error" });
        expect(routeRuns).toBe(runsBefore);
        return;
      }
      expect(res.status).toBe(200);
      const sent = JSON.parse(JSON.stringify(filter)) as Record<string, unknown>;
      const stored = JSON.parse(JSON.stringify(metadatas)) as Record<string, unknown>[];
      expect(res.body.ids).toEqual(stored.map((m, id) => (oracle(sent, m) ? id : -1)).filter((id) => id >= 0));
      // The SQL never contains a key or value of the filter: only placeholders.
      expect(res.body.sql.text).toMatch(/^(TRUE|\(?"metadata" @> \$\d+::jsonb( AND "metadata" @> \$\d+::jsonb)*\)?)$/);
    }),
    { numRuns: 300 },
  );
});

test("`__proto__`, `constructor` and `prototype` keys in a filter are plain field names: records without them do not match", async () => {
  records.length = 0;
  records.push(
    { id: 0, metadata: { owner: "alice" } },
    { id: 1, metadata: JSON.parse('{"__proto__":{"admin":true},"owner":"bob"}') },
  );
  for (const key of ["__proto__", "constructor", "prototype"]) {
    const res = await request(app)
      .post("/search")
      .set("Content-Type", "application/json")
      .send(`{"filter":{"${key}":{"admin":true}}}`);
    // A plain object is not an equality value: refused, never "matches everything".
    expect(res.status).toBe(500);
    const scalar = await request(app)
      .post("/search")
      .set("Content-Type", "application/json")
      .send(`{"filter":{"${key}":"x"}}`);
    expect(scalar.status).toBe(200);
    expect(scalar.body.ids).toEqual([]);
  }
  const toString = await request(app)
    .post("/search")
    .set("Content-Type", "application/json")
    .send('{"filter":{"toString":{"$eq":null}}}');
  expect(toString.body.ids).toEqual([]);
});

test("the guard's default value and the metadata write-back keep hostile keys as own data, on a plain object", async () => {
  await fc.assert(
    fc.asyncProperty(metadataArb, async (metadata) => {
      const res = await request(app)
        .patch("/threads/t1")
        .set("Content-Type", "application/json")
        .send(
          `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"metadata":${JSON.stringify(metadata)}}`,
        );
      expect(res.status).toBe(200);
      expect(res.body.proto).toBe(true);
      expect(res.body.metadata).toEqual({ ...JSON.parse(JSON.stringify(metadata)), owner: "tester" });
    }),
    { numRuns: 200 },
  );
});
