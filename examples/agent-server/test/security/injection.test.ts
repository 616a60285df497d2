/**
 * Injection and prototype pollution through the real HTTP routes, with
 * fast-check: metadata, search filters, store values and token identities full
 * of SQL metacharacters, unicode, `__proto__`/`constructor`/`prototype` keys,
 * deep nesting and huge arrays. Each request is either refused with a 400 or
 * stored and matched literally (what comes back is what was sent; a search
 * finds exactly what contains it), never another user's records, and
 * `Object.prototype` (and friends) never change.
 */
import fc from "fast-check";
import jwt from "jsonwebtoken";
import { openDb, type Db } from "../../src/db";
import { MAX_BODY_DEPTH, nestsDeeperThan } from "../../src/validate";
import { client, SECRET, startServer, token, type Client, type Reply, type TestServer } from "../support/server";
import { expectSafeError, prototypeSnapshot } from "./support";

jest.setTimeout(180_000);

const RUNS = Number(process.env.SECURITY_RUNS ?? 60);
/** The body limit of express.json() in the app (over it: 413). */
const BODY_LIMIT = 1024 * 1024;
/** The seed of this file's properties (jest.fast-check.js), for checks made after a property. */
const seedNote = () =>
  `(fast-check seed ${fc.readConfigureGlobal().seed}: replay with FC_SEED=${fc.readConfigureGlobal().seed})`;

/**
 * Counterexamples CI found, replayed first on every run. Issue 16 (seed 952444139):
 * the create was accepted because the policy stamps `owner` over the NUL value,
 * and a search with the caller's own metadata was rightly a 400 that the test
 * read as a list. (The server now refuses the NUL in the create's body too;
 * either answer is valid, the test must accept both.)
 */
const REGRESSIONS: [Record<string, unknown>][] = [[{ owner: [[{ "": { "\u0000": null } }]] }]];

const SQL = [
  "' OR '1'='1",
  "'; DROP TABLE threads; --",
  '" OR ""="',
  "1; SELECT pg_sleep(10)",
  "$1",
  "$$ $$",
  "E'\\x41'",
  "\\",
  "\\\\'",
  "') OR metadata @> '{}",
  "?",
  "?|",
  "@>",
  "->>",
  "#>>",
  "::jsonb",
  "/*",
  "*/",
  "--",
  ";",
  "%",
  "_",
  "NULL",
  "null",
  "true",
];
const PROTO = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "__defineGetter__",
  "isPrototypeOf",
];
const UNICODE = [
  "é",
  "ß",
  "İ",
  "ﬁ",
  "👩‍👩‍👧",
  "🔥",
  "\u202e",
  "\u200b",
  "\ufeff",
  "\u0301",
  "ｏｗｎｅｒ",
  "ǆ",
  "\ud83d\ude00",
  "\u2028",
  "\u00a0",
  "𝕒",
];
const FORBIDDEN = ["\u0000", "a\u0000b", "\ud800", "x\udc00"]; // PostgreSQL cannot store NUL or unpaired surrogates

const word = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(...SQL, ...PROTO, ...UNICODE, "owner", "", " ", "$eq", "$contains", "a.b", 'a"b'),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom(...FORBIDDEN) },
);

/** JSON values without NaN, infinities or -0 (JSON cannot say them; they are not "literal"). */
const scalar = fc.oneof(
  word,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
  fc.boolean(),
  fc.constant(null),
);

const { tree } = fc.letrec<{ tree: unknown; object: Record<string, unknown> }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("tree"), { maxLength: 4 }),
    tie("object"),
  ),
  object: fc.dictionary(word, tie("tree"), { maxKeys: 4, noNullPrototype: true }),
}));

/** A metadata object: hostile keys, hostile values, sometimes very deep or with a huge array. */
const metadata: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(word, tree, { maxKeys: 6, noNullPrototype: true }) },
  {
    weight: 1,
    arbitrary: fc.tuple(word, fc.integer({ min: 1, max: 150 })).map(([key, depth]) => ({ [key]: nest(depth) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(word, fc.integer({ min: 1, max: 100_000 }), scalar)
      .map(([key, n, v]) => ({ [key]: Array.from({ length: n }, () => v) })),
  },
);

function nest(depth: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { d: value };
  return value;
}

/** Why the server may refuse a well-formed metadata object: strings PostgreSQL cannot store, nesting past the limit, a body over 1 MB. */
function mayRefuse(m: unknown): boolean {
  return (
    hasForbidden(m) ||
    nestsDeeperThan({ metadata: m }, MAX_BODY_DEPTH) ||
    Buffer.byteLength(JSON.stringify({ metadata: m })) > 1024 * 1024
  );
}

/** Strings PostgreSQL cannot store (NUL, unpaired surrogates), in keys or values. */
function hasForbidden(value: unknown): boolean {
  const bad = (s: string) =>
    s.includes("\u0000") || /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
  const seen: unknown[] = [value];
  while (seen.length > 0) {
    const v = seen.pop();
    if (typeof v === "string" && bad(v)) return true;
    if (v && typeof v === "object") for (const [k, inner] of Object.entries(v)) seen.push(bad(k) ? "\u0000" : inner);
  }
  return false;
}

/** Serialises like JSON.stringify but refuses what would not round-trip; `__proto__` keys stay own keys. */
const withOwner = (m: Record<string, unknown>, owner: string) =>
  JSON.parse(JSON.stringify({ ...m, owner })) as Record<string, unknown>;

/**
 * A follow-up request built from an accepted one (the stored metadata as a
 * filter, plus ids or a probe key) may be refused only for a reason it has:
 * a body over the limit (413), or strings PostgreSQL cannot store (400).
 * Returns whether it was refused; the status is checked before the body is read.
 */
function refusedWithReason(res: Reply, body: unknown): boolean {
  if (res.status === 200) return false;
  expectSafeError(res, res.status);
  const oversized = Buffer.byteLength(JSON.stringify(body)) > BODY_LIMIT;
  if (!((res.status === 413 && oversized) || (res.status === 400 && hasForbidden(body)))) {
    throw new Error(
      `unexpected ${res.status} (${res.text.slice(0, 200)}) for ${JSON.stringify(body).slice(0, 300)} ${seedNote()}`,
    );
  }
  return true;
}

function refusedOrOk(res: Reply, sent: unknown): "refused" | "ok" {
  if (res.status === 400 || res.status === 413) {
    expectSafeError(res, res.status);
    return "refused";
  }
  if (res.status !== 200 && res.status !== 204)
    throw new Error(`unexpected ${res.status}: ${res.text.slice(0, 300)} for ${JSON.stringify(sent).slice(0, 300)}`);
  return "ok";
}

let db: Db;
let server: TestServer;
let alice: Client;
let bob: Client;
let aliceThreads: string[];
let before: string;
const tally = { created: 0, refused: 0, refusedWithoutReason: [] as string[] };

beforeAll(async () => {
  db = await openDb({ memory: true });
  server = await startServer({ db });
  alice = client(server.url, token("alice"));
  bob = client(server.url, token("bob"));
  aliceThreads = [];
  for (const m of [{ secret: "alice-1" }, { tags: ["x", "y"] }, {}])
    aliceThreads.push((await alice.post("/threads", { metadata: m })).body.thread_id);
  before = prototypeSnapshot();
}, 120_000);

afterEach(() => {
  expect(prototypeSnapshot()).toBe(before);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

afterAll(async () => {
  await server?.close();
  await db?.close();
}, 60_000);

test("create, read and search threads with hostile metadata: 400 or stored and matched literally", async () => {
  await fc.assert(
    fc.asyncProperty(metadata, async (m) => {
      const created = await bob.post("/threads", { metadata: m });
      if (refusedOrOk(created, m) === "refused") {
        tally.refused++;
        if (!mayRefuse(m)) tally.refusedWithoutReason.push(JSON.stringify(m).slice(0, 200));
        return;
      }
      tally.created++;
      const expected = withOwner(m, "bob");
      expect(created.body.metadata).toEqual(expected);
      const id = created.body.thread_id as string;
      expect((await bob.get(`/threads/${id}`)).body.metadata).toEqual(expected);
      // The stored metadata as a search filter finds exactly this thread, and never one of alice's.
      const search = { metadata: expected, ids: [id, ...aliceThreads] };
      const found = await bob.post("/threads/search", search);
      if (!refusedWithReason(found, search))
        expect((found.body as { thread_id: string }[]).map((t) => t.thread_id)).toEqual([id]);
      // A value it does not hold does not match it.
      const probe = { metadata: { ...expected, "probe-missing": "⊥" }, ids: [id] };
      const miss = await bob.post("/threads/search", probe);
      if (!refusedWithReason(miss, probe)) expect(miss.body).toEqual([]);
      // And alice's search with the same filter never returns bob's thread. The policy stamped
      // `owner` over whatever `m.owner` held, so `m` itself may hold what a search refuses (NUL: 400).
      const theirs = { metadata: m, limit: 1000 };
      const hers = await alice.post("/threads/search", theirs);
      if (!refusedWithReason(hers, theirs)) {
        expect((hers.body as { metadata: { owner: string } }[]).every((t) => t.metadata.owner === "alice")).toBe(true);
      }
    }),
    { numRuns: RUNS, examples: REGRESSIONS },
  );
  if (tally.refusedWithoutReason.length > 0)
    throw new Error(`refused without a reason: ${tally.refusedWithoutReason.join("; ")} ${seedNote()}`);
  // Some generated metadata must be storable, or the property tested only refusals: the generators drifted.
  // About half is refused (NUL, lone surrogates, depth, size: P ≈ 0.53 measured over 3,000 samples), so
  // "more than a third accepted" failed about one seed in 40; at least a tenth of 60 fails about one in 10^8.
  if (RUNS >= 30 && tally.created < RUNS / 10)
    throw new Error(`only ${tally.created} of ${RUNS} creates were accepted ${seedNote()}`);
});

test("search filters made of hostile keys and values never reach another user's threads", async () => {
  await fc.assert(
    fc.asyncProperty(
      metadata,
      fc.integer({ min: 1, max: 1000 }),
      fc.integer({ min: 0, max: 5 }),
      async (filter, limit, offset) => {
        const res = await bob.post("/threads/search", { metadata: filter, limit, offset });
        if (refusedOrOk(res, filter) === "refused") return;
        for (const thread of res.body as { thread_id: string; metadata: { owner: string } }[]) {
          expect(thread.metadata.owner).toBe("bob");
          expect(aliceThreads).not.toContain(thread.thread_id);
        }
      },
    ),
    { numRuns: RUNS },
  );
});

test("patch with hostile metadata: 400 or shallow-merged literally, and the owner cannot change", async () => {
  const id = (await bob.post("/threads", { metadata: { base: 1 } })).body.thread_id as string;
  let current: Record<string, unknown> = { base: 1, owner: "bob" };
  await fc.assert(
    fc.asyncProperty(metadata, async (patch) => {
      const res = await bob.patch(`/threads/${id}`, { metadata: { ...patch, owner: "alice" } });
      if (refusedOrOk(res, patch) === "refused") return;
      current = JSON.parse(JSON.stringify({ ...current, ...patch, owner: "bob" }));
      expect(res.body.metadata).toEqual(current);
      expect((await alice.get(`/threads/${id}`)).status).toBe(404);
    }),
    { numRuns: RUNS },
  );
});

test("store values and filters: 400 or stored, read back and matched literally, only in the caller's namespace", async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(metadata, async (value) => {
      const key = `k${n++}`;
      const put = await bob.put("/store/items", { namespace: ["bob", "fuzz"], key, value });
      if (refusedOrOk(put, value) === "refused") return;
      const got = await bob.get(`/store/items?namespace=bob.fuzz&key=${key}`);
      expect(got.body.value).toEqual(JSON.parse(JSON.stringify(value)));
      const search = { namespace_prefix: ["bob", "fuzz"], filter: value, limit: 1000 };
      const found = await bob.post("/store/items/search", search);
      if (!refusedWithReason(found, search))
        expect((found.body.items as { key: string }[]).map((item) => item.key)).toContain(key);
      expect((await alice.get(`/store/items?namespace=bob.fuzz&key=${key}`)).status).toBe(404);
    }),
    { numRuns: RUNS },
  );
});

test("hostile identities (JWT sub) are owners like any other: literal, private, and never a filter operator", async () => {
  await fc.assert(
    fc.asyncProperty(
      word.filter((s) => s.length > 0),
      async (sub) => {
        const caller = client(
          server.url,
          jwt.sign({ sub, scopes: ["threads:read", "threads:write"] }, SECRET, { algorithm: "HS256", expiresIn: 60 }),
        );
        const created = await caller.post("/threads", { metadata: { n: 1 } });
        if (hasForbidden(sub)) {
          // The filter { owner: sub } cannot be stored or compared: refused before any write, never a 2xx.
          expect(created.status).toBeGreaterThanOrEqual(400);
          expect(created.status).toBeLessThan(600);
          expect(created.text).not.toMatch(/\bat .*\(|node_modules/);
          return;
        }
        expect(created.status).toBe(200);
        expect(created.body.metadata.owner).toBe(sub);
        const mine = (await caller.post("/threads/search", { limit: 1000 })).body as { metadata: { owner: string } }[];
        expect(mine.length).toBeGreaterThan(0);
        expect(mine.every((t) => t.metadata.owner === sub)).toBe(true);
        expect((await bob.get(`/threads/${created.body.thread_id}`)).status).toBe(404);
        expect((await caller.get(`/threads/${aliceThreads[0]}`)).status).toBe(404);
      },
    ),
    { numRuns: RUNS },
  );
});

test("bodies that are not objects, or pollute through the body itself, are 400s and change nothing", async () => {
  const raw = [
    '{"__proto__":{"polluted":true},"metadata":{"__proto__":{"polluted":true}}}',
    '{"constructor":{"prototype":{"polluted":true}},"metadata":{"constructor":{"prototype":{"polluted":true}}}}',
    '[{"metadata":{}}]',
    '"metadata"',
    "null",
    '{"metadata":[1,2]}',
    '{"metadata":"owner"}',
  ];
  for (const body of raw) {
    const res = await bob.post("/threads", undefined, { rawBody: body });
    expect([200, 400]).toContain(res.status);
    if (res.status === 200) expect(res.body.metadata.owner).toBe("bob");
    else expectSafeError(res, 400);
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test("a body nested deeper than the limit is a 400 however deep, and the server still answers", async () => {
  for (const depth of [MAX_BODY_DEPTH, 2_500, 10_000, 100_000]) {
    const body = `{"metadata":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
    const res = await bob.post("/threads", undefined, { rawBody: body });
    expectSafeError(res, 400, "bad_request");
    expect(res.body.message).toMatch(/nests .* more than 64 levels/);
  }
  const deepest = `{"metadata":${'{"a":'.repeat(MAX_BODY_DEPTH - 1)}1${"}".repeat(MAX_BODY_DEPTH - 1)}}`;
  expect((await bob.post("/threads", undefined, { rawBody: deepest })).status).toBe(200);
  expect((await bob.post("/threads/search", {})).status).toBe(200);
});
