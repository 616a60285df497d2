/**
 * Per-identity rate limits: counted after authentication, 429 with Retry-After
 * and RateLimit headers for the identity over its budget, nobody else touched;
 * on PostgreSQL two app instances (two pools) share one budget, also when
 * they start at the same moment on a fresh schema.
 */
import { randomBytes } from "node:crypto";
import { openDb } from "../../src/db";
import { createLogger } from "../../src/logging";
import { DATABASES } from "../support/databases";
import { client, startServer, token, type TestServer } from "../support/server";
import { dropSchema, openWith } from "./support";

jest.setTimeout(60_000);

const LIMIT = 3;

describe.each(DATABASES)("rate limits on %s", (kind) => {
  let database: Awaited<ReturnType<typeof openWith>>;
  let server: TestServer;

  beforeAll(async () => {
    database = await openWith(kind);
    server = await startServer({ db: database.db, rateLimitPerMinute: LIMIT });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  test("one identity over its budget gets 429 with Retry-After; another identity is untouched", async () => {
    const alice = client(server.url, token("alice"));
    const bob = client(server.url, token("bob"));
    for (let i = 1; i <= LIMIT; i++) {
      const ok = await alice.post("/threads/search", {});
      expect(ok.status).toBe(200);
      expect(ok.headers.get("ratelimit-limit")).toBe(String(LIMIT));
      expect(ok.headers.get("ratelimit-remaining")).toBe(String(LIMIT - i));
      expect(ok.headers.get("ratelimit-policy")).toBe(`${LIMIT};w=60`);
    }
    const refused = await alice.post("/threads/search", {});
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    expect(refused.body).toMatchObject({ error: "too_many_requests", request_id: refused.headers.get("x-request-id") });
    expect(refused.body.message).toMatch(/limit is 3 a minute/);

    const other = await bob.post("/threads/search", {});
    expect(other.status).toBe(200);
    expect(other.headers.get("ratelimit-remaining")).toBe(String(LIMIT - 1));
  });

  test("anonymous and badly authenticated requests are refused before they are counted; public paths are not limited", async () => {
    for (let i = 0; i < LIMIT + 2; i++) {
      const anonymous = await client(server.url).post("/threads/search", {});
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("ratelimit-limit")).toBeNull();
    }
    for (let i = 0; i < LIMIT + 2; i++) {
      const health = await client(server.url).get("/health");
      expect(health.status).toBe(200);
      expect(health.headers.get("ratelimit-limit")).toBeNull();
    }
    const carol = await client(server.url, token("carol")).post("/threads/search", {});
    expect(carol.headers.get("ratelimit-remaining")).toBe(String(LIMIT - 1));
  });

  test("0 disables the limit", async () => {
    const unlimited = await startServer({ db: database.db, rateLimitPerMinute: 0 });
    try {
      const dave = client(unlimited.url, token("dave"));
      for (let i = 0; i < LIMIT + 2; i++) {
        const res = await dave.post("/threads/search", {});
        expect(res.status).toBe(200);
        expect(res.headers.get("ratelimit-limit")).toBeNull();
      }
    } finally {
      await unlimited.close();
    }
  });
});

(process.env.DATABASE_URL ? describe : describe.skip)("rate limits shared through PostgreSQL", () => {
  test("two app instances with their own pools on one database share each identity's budget", async () => {
    const first = await openWith("postgres");
    const second = await openDb({ databaseUrl: process.env.DATABASE_URL!, schema: first.schema });
    const a = await startServer({ db: first.db, rateLimitPerMinute: LIMIT });
    const b = await startServer({ db: second, rateLimitPerMinute: LIMIT });
    try {
      const viaA = client(a.url, token("erin"));
      const viaB = client(b.url, token("erin"));
      const statuses = [];
      for (let i = 0; i < LIMIT; i++)
        statuses.push((await (i % 2 === 0 ? viaA : viaB).post("/threads/search", {})).status);
      expect(statuses).toEqual(Array(LIMIT).fill(200));
      expect((await viaA.post("/threads/search", {})).status).toBe(429);
      expect((await viaB.post("/threads/search", {})).status).toBe(429);
      expect((await client(b.url, token("frank")).post("/threads/search", {})).status).toBe(200);
    } finally {
      await a.close();
      await b.close();
      await second.close();
      await first.dispose();
    }
  });

  // Processes starting together (WORKERS=N, or a rolling deploy) used to race on CREATE TABLE IF NOT EXISTS,
  // which PostgreSQL can refuse with 42P07/42710/23505 when two sessions create one table at once: the
  // loser then either failed to start or counted its rate limits in memory only (issue 16, a flaky CI run).
  test("instances that start at the same moment on a fresh schema all open, and share one budget", async () => {
    const INSTANCES = 3;
    for (let round = 0; round < 10; round++) {
      const schema = `gh_ops_${randomBytes(6).toString("hex")}`;
      const opened = await Promise.allSettled(
        Array.from({ length: INSTANCES }, () => openDb({ databaseUrl: process.env.DATABASE_URL!, schema })),
      );
      const dbs = opened.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
      const servers: TestServer[] = [];
      try {
        const refused = opened.flatMap((result) => (result.status === "rejected" ? [String(result.reason)] : []));
        expect({ round, refused }).toEqual({ round, refused: [] });
        const errors: string[] = []; // e.g. "rate limits: the PostgreSQL store failed; counted in memory"
        const logger = createLogger({ level: "error", destination: { write: (line: string) => errors.push(line) } });
        servers.push(...(await Promise.all(dbs.map((db) => startServer({ db, logger, rateLimitPerMinute: LIMIT })))));
        const statuses = [];
        for (let i = 0; i < LIMIT + INSTANCES; i++)
          statuses.push((await client(servers[i % INSTANCES].url, token("gina")).post("/threads/search", {})).status);
        expect({ round, errors, statuses }).toEqual({
          round,
          errors: [],
          statuses: [...Array(LIMIT).fill(200), ...Array(INSTANCES).fill(429)],
        });
      } finally {
        await Promise.all(servers.map((server) => server.close()));
        await Promise.all(dbs.map((db) => db.close()));
        await dropSchema(schema);
      }
    }
  });
});
