import { FilterError, type Filters } from "../src/filters";
import { filtersToSql } from "../src/sql";
import { OPEN_TIMEOUT_MS, openPglite, openPostgres, uniqueTableName, type TestDb } from "./support/db";

const loose = (value: unknown) => value as Filters;

describe("filtersToSql: shapes", () => {
  it("turns equality into one containment parameter", () => {
    expect(filtersToSql({ owner: "alice" })).toEqual({
      text: '"metadata" @> $1::jsonb',
      values: ['{"owner":"alice"}'],
    });
    expect(filtersToSql({ owner: { $eq: "alice" } })).toEqual({
      text: '"metadata" @> $1::jsonb',
      values: ['{"owner":"alice"}'],
    });
  });

  it("merges distinct keys into one containment document", () => {
    expect(filtersToSql({ owner: "alice", topic: "tax", n: 1.5, ok: true, gone: null })).toEqual({
      text: '"metadata" @> $1::jsonb',
      values: ['{"owner":"alice","topic":"tax","n":1.5,"ok":true,"gone":null}'],
    });
  });

  it("turns $contains (scalar, array, empty array) into an array in the document", () => {
    expect(filtersToSql({ tags: { $contains: "x" } }).values).toEqual(['{"tags":["x"]}']);
    expect(filtersToSql({ tags: { $contains: ["x", 2, null] } }).values).toEqual(['{"tags":["x",2,null]}']);
    expect(filtersToSql({ tags: { $contains: [] } }).values).toEqual(['{"tags":[]}']);
  });

  it("splits $eq and $contains on the same key into two parameters, AND-ed inside parentheses", () => {
    expect(filtersToSql({ owner: "alice", tags: { $eq: "x", $contains: ["x"] } })).toEqual({
      text: '("metadata" @> $1::jsonb AND "metadata" @> $2::jsonb)',
      values: ['{"owner":"alice","tags":"x"}', '{"tags":["x"]}'],
    });
  });

  it("numbers placeholders from startIndex", () => {
    expect(filtersToSql({ owner: "alice" }, { startIndex: 3 }).text).toBe('"metadata" @> $3::jsonb');
    expect(filtersToSql({ a: { $eq: 1, $contains: 1 } }, { startIndex: 10 }).text).toBe(
      '("metadata" @> $10::jsonb AND "metadata" @> $11::jsonb)',
    );
  });

  it("quotes a plain or table-qualified column", () => {
    expect(filtersToSql({ a: 1 }, { column: "meta_data" }).text).toBe('"meta_data" @> $1::jsonb');
    expect(filtersToSql({ a: 1 }, { column: "t.metadata" }).text).toBe('"t"."metadata" @> $1::jsonb');
    expect(filtersToSql({ a: 1 }, { column: "_T1.m2" }).text).toBe('"_T1"."m2" @> $1::jsonb');
  });

  it("gives TRUE with no values for the empty filter {} (an allowed, unscoped decision)", () => {
    expect(filtersToSql({})).toEqual({ text: "TRUE", values: [] });
    expect(filtersToSql({}, { column: "t.m", startIndex: 5 })).toEqual({ text: "TRUE", values: [] });
  });

  it.each([undefined, null])(
    "refuses %p filters: no guard decided the request, so nothing may be read as 'match all'",
    (filters) => {
      expect(() => filtersToSql(filters as Filters | null | undefined)).toThrow(
        /filtersToSql\(\) got .* no authorization decision .*auth\.guard/,
      );
    },
  );

  it("writes numbers as JSON does (-0 as 0, large values with an exponent)", () => {
    expect(filtersToSql({ n: -0 }).values).toEqual(['{"n":0}']);
    expect(filtersToSql({ n: 1e21, m: 5e-324 }).values).toEqual(['{"n":1e+21,"m":5e-324}']);
  });

  it("keeps __proto__ and other prototype names as real keys of the parameter", () => {
    const filters = JSON.parse('{"__proto__": "p", "constructor": {"$contains": "c"}, "toString": 1}');
    const { values } = filtersToSql(filters);
    expect(values).toEqual(['{"__proto__":"p","constructor":["c"],"toString":1}']);
  });

  it.each([
    "",
    "a.b.c",
    "meta data",
    '"metadata"',
    'metadata"; DROP TABLE x; --',
    "metadata) OR TRUE OR (metadata",
    "1metadata",
    "meta-data",
    ".metadata",
    "metadata.",
    "t..metadata",
    "métadonnées",
  ])("rejects the column %p, naming it", (column) => {
    const call = () => filtersToSql({ owner: "alice" }, { column });
    expect(call).toThrow(TypeError);
    expect(call).toThrow(`filtersToSql: column ${JSON.stringify(column)} must be an identifier`);
    // even when there is nothing to filter: a bad column is a programming error either way
    expect(() => filtersToSql(null, { column })).toThrow(TypeError);
  });

  it.each([0, -1, 1.5, NaN, Infinity, 2 ** 53, "1"])("rejects startIndex %p", (startIndex) => {
    const call = () => filtersToSql({ owner: "alice" }, { startIndex: startIndex as number });
    expect(call).toThrow(TypeError);
    expect(call).toThrow(`filtersToSql: startIndex must be a positive integer, got ${String(startIndex)}`);
  });

  it("throws FilterError for a malformed filter", () => {
    expect(() => filtersToSql(loose({ owner: { $ne: "bob" } }))).toThrow(FilterError);
    expect(() => filtersToSql(loose({ $or: [{ owner: "alice" }] }))).toThrow(FilterError);
    expect(() => filtersToSql(loose([{ owner: "alice" }]))).toThrow(FilterError);
    expect(() => filtersToSql(loose({ owner: "\u0000" }))).toThrow(FilterError);
    expect(() => filtersToSql(loose({ owner: {} }))).toThrow(FilterError);
    // PostgreSQL would reject the JSON of a lone surrogate; a hole would become a null
    expect(() => filtersToSql(loose({ owner: "\ud800" }))).toThrow(FilterError);
    // eslint-disable-next-line no-sparse-arrays
    expect(() => filtersToSql(loose({ tags: { $contains: [, "x"] } }))).toThrow(FilterError);
  });

  const hostile = [
    "a'); DROP TABLE x; --",
    "' OR '1'='1",
    "\"metadata\" @> '{}' OR TRUE --",
    "x = $1 OR $2",
    "?::jsonb",
    "\\x27; SELECT pg_sleep(10); --",
    "*/ TRUE /*",
  ];

  it.each(hostile)("keeps the hostile key and value %p out of the SQL text", (evil) => {
    const filters = JSON.parse(JSON.stringify({ [evil]: evil, tags: { $contains: [evil], $eq: evil } }));
    const { text, values } = filtersToSql(filters);
    expect(text).toBe('("metadata" @> $1::jsonb AND "metadata" @> $2::jsonb)');
    expect(values.map((v) => JSON.parse(v))).toEqual([{ [evil]: evil, tags: evil }, { tags: [evil] }]);
  });
});

/** The plan of `sql` as one string. */
async function explain(db: TestDb, sql: string, values: unknown[]): Promise<string> {
  const rows = await db.query<Record<string, string>>(`EXPLAIN ${sql}`, values);
  return rows.map((row) => Object.values(row)[0]).join("\n");
}

// PGlite starts (initdb, several seconds on a busy machine) in its worker thread while the pure tests run.
const pglite = openPglite();
pglite.catch(() => {}); // reported by beforeAll, which awaits it
const backends: Array<[string, () => Promise<TestDb>]> = [["PGlite", () => pglite]];
if (process.env.DATABASE_URL)
  backends.push(["PostgreSQL (DATABASE_URL)", () => openPostgres(process.env.DATABASE_URL!)]);

describe.each(backends)("filtersToSql on %s", (_name, open) => {
  let db: TestDb;
  const table = uniqueTableName("gatehouse_sql_test");
  const index = `${table}_gin`;

  beforeAll(async () => {
    db = await open();
    await db.query(`CREATE TEMP TABLE ${table} (id int PRIMARY KEY, metadata jsonb)`);
    await db.query(`CREATE INDEX ${index} ON ${table} USING gin (metadata jsonb_path_ops)`);
    // 3000 rows: owner user0..user99, tags t0..t6 and u0..u10, and a few special ones.
    await db.query(
      `INSERT INTO ${table} (id, metadata)
       SELECT i, jsonb_build_object('owner', 'user' || (i % 100), 'n', i % 10, 'tags', jsonb_build_array('t' || (i % 7), 'u' || (i % 11)))
       FROM generate_series(1, 3000) AS i`,
    );
    const special: Array<[number, unknown]> = [
      [10001, { "a'); DROP TABLE x; --": "a'); DROP TABLE x; --" }],
      [10002, JSON.parse('{"__proto__": "p", "owner": "proto"}')],
      [10003, { owner: "alice", n: "1" }],
      [10004, { owner: "alice", n: 1, tags: [] }],
      [10005, { owner: "alice", tags: ["x", "y"] }],
      [10006, { owner: "alice", tags: "x" }],
      [10007, ["owner", "alice"]],
      [10008, null],
    ];
    for (const [id, metadata] of special) {
      await db.query(`INSERT INTO ${table} (id, metadata) VALUES ($1, $2::jsonb)`, [id, JSON.stringify(metadata)]);
    }
    await db.query(`INSERT INTO ${table} (id, metadata) VALUES (10009, NULL)`);
    await db.query(`ANALYZE ${table}`);
  }, OPEN_TIMEOUT_MS);

  afterAll(async () => {
    if (!db) return;
    await db.query(`DROP TABLE IF EXISTS ${table}`);
    await db.close();
  });

  async function ids(filters: Filters | null, options: { column?: string } = {}): Promise<number[]> {
    const where = filtersToSql(filters, { ...options, startIndex: 2 });
    const rows = await db.query<{ id: number }>(
      `SELECT id FROM ${table} AS t WHERE id > $1 AND ${where.text} ORDER BY id`,
      [10000, ...where.values],
    );
    return rows.map((r) => r.id);
  }

  it("selects the rows the filter describes, after a parameter that precedes it", async () => {
    expect(await ids({ owner: "alice" })).toEqual([10003, 10004, 10005, 10006]);
    expect(await ids({ owner: "alice", n: 1 })).toEqual([10004]);
    expect(await ids({ owner: "alice", n: "1" })).toEqual([10003]);
    expect(await ids({ tags: { $contains: "x" } })).toEqual([10005]);
    expect(await ids({ tags: { $contains: ["y", "x"] } })).toEqual([10005]);
    expect(await ids({ tags: { $contains: [] } })).toEqual([10004, 10005]);
    expect(await ids({ tags: "x" })).toEqual([10006]);
    expect(await ids({ owner: "alice", tags: { $eq: "x", $contains: "x" } })).toEqual([]);
    expect(await ids(JSON.parse('{"__proto__": "p"}'))).toEqual([10002]);
    expect(await ids({ owner: "alice" }, { column: "t.metadata" })).toEqual([10003, 10004, 10005, 10006]);
  });

  it("an empty filter selects every row, SQL NULL and non-object metadata included", async () => {
    expect(await ids({})).toEqual([10001, 10002, 10003, 10004, 10005, 10006, 10007, 10008, 10009]);
  });

  it("runs a hostile key as data: it finds its row and the table survives", async () => {
    expect(await ids({ "a'); DROP TABLE x; --": "a'); DROP TABLE x; --" })).toEqual([10001]);
    expect(await ids({ "' OR '1'='1": "' OR '1'='1" })).toEqual([]);
    const [{ count }] = await db.query<{ count: string | number }>(`SELECT count(*) AS count FROM ${table}`);
    expect(Number(count)).toBe(3009);
  });

  describe("with sequential scans disabled", () => {
    beforeAll(() => db.query("SET enable_seqscan = off"));
    afterAll(() => db.query("RESET enable_seqscan"));

    it.each<[string, Filters]>([
      ["equality", { owner: "user42" }],
      ["several keys", { owner: "user42", n: 2 }],
      ["$contains", { tags: { $contains: ["t3", "u5"] } }],
      ["$eq and $contains on one key (two parameters)", { owner: "user42", tags: { $eq: "t1", $contains: "t1" } }],
    ])("the GIN index serves %s", async (_what, filters) => {
      const where = filtersToSql(filters);
      const plan = await explain(db, `SELECT id FROM ${table} WHERE ${where.text}`, where.values);
      expect(plan).toContain(`Index Scan on ${index}`);
      expect(plan).toMatch(/Index Cond: .*metadata @> /);
    });

    it("(control: a ->> comparison, which the index cannot serve, is not reported as using it)", async () => {
      const plan = await explain(db, `SELECT id FROM ${table} WHERE metadata->>'owner' = $1`, ["user42"]);
      expect(plan).not.toContain(index);
    });

    it("the indexed query returns the same rows as the data says", async () => {
      const where = filtersToSql({ owner: "user42", tags: { $contains: "t0" } });
      const rows = await db.query<{ id: number }>(
        `SELECT id FROM ${table} WHERE ${where.text} ORDER BY id`,
        where.values,
      );
      const expected: number[] = [];
      for (let i = 1; i <= 3000; i++) if (i % 100 === 42 && i % 7 === 0) expected.push(i);
      expect(expected.length).toBeGreaterThan(0);
      expect(rows.map((r) => r.id)).toEqual(expected);
    });
  });
});
