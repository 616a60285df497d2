/**
 * Timeouts: a statement that runs past the statement timeout answers 503 with
 * a JSON body and the next request is served; a request that gets no answer
 * within the request deadline answers 504 and the server keeps serving. The
 * database is made slow by holding a lock (PostgreSQL: an exclusive table lock
 * from another connection; PGlite: an open transaction, which PGlite runs one
 * at a time), so nothing depends on how fast this machine is.
 */
import { Client } from "pg";
import { DatabaseTimeoutError } from "../../src/deadline";
import { DATABASES, type DatabaseKind } from "../support/databases";
import { client, startServer, token } from "../support/server";
import { openWith } from "./support";

jest.setTimeout(90_000);

const STATEMENT_TIMEOUT_MS = 1_500;

/** Makes queries on `threads` wait until the returned function is called. */
async function holdThreads(
  kind: DatabaseKind,
  database: Awaited<ReturnType<typeof openWith>>,
): Promise<() => Promise<void>> {
  if (kind === "postgres") {
    const locker = new Client({ connectionString: process.env.DATABASE_URL! });
    await locker.connect();
    await locker.query("BEGIN");
    await locker.query(`LOCK TABLE ${database.schema}.threads IN ACCESS EXCLUSIVE MODE`);
    return async () => {
      await locker.query("COMMIT");
      await locker.end();
    };
  }
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const holding = new Promise<void>((resolve) => (started = resolve));
  const done = database.db.transaction(async (tx) => {
    await tx.query("SELECT 1");
    started();
    await gate;
  });
  await holding;
  return async () => {
    release();
    await done;
  };
}

describe.each(DATABASES)("timeouts on %s", (kind) => {
  test("a statement past the statement timeout is a 503 with a JSON body, then the server recovers", async () => {
    const database = await openWith(kind, { statementTimeoutMs: STATEMENT_TIMEOUT_MS });
    const server = await startServer({ db: database.db });
    const alice = client(server.url, token("alice"));
    try {
      expect((await alice.post("/threads", { metadata: { n: 1 } })).status).toBe(200);
      const release = await holdThreads(kind, database);
      let slow;
      try {
        slow = await alice.post("/threads/search", {});
      } finally {
        await release();
      }
      expect(slow.status).toBe(503);
      expect(slow.headers.get("retry-after")).toBe("1");
      expect(slow.body).toEqual({
        error: "service_unavailable",
        message: "The database took too long to answer; try again",
        request_id: slow.headers.get("x-request-id"),
      });
      const again = await alice.post("/threads/search", {});
      expect(again.status).toBe(200);
      expect(again.body).toHaveLength(1);
    } finally {
      await server.close();
      await database.dispose();
    }
  });

  test("a request past the request deadline is a 504 with a JSON body; the server keeps serving", async () => {
    const database = await openWith(kind); // no statement timeout: only the request deadline can end the wait
    const server = await startServer({ db: database.db, requestTimeoutMs: 1_000 });
    const alice = client(server.url, token("alice"));
    try {
      const release = await holdThreads(kind, database);
      let slow;
      try {
        slow = await alice.post("/threads/search", {});
      } finally {
        await release();
      }
      expect(slow.status).toBe(504);
      expect(slow.body).toEqual({
        error: "request_timeout",
        message: "The request did not finish within 1000 ms",
        request_id: slow.headers.get("x-request-id"),
      });
      expect((await alice.post("/threads/search", {})).status).toBe(200);
      expect((await client(server.url).get("/health")).status).toBe(200);
    } finally {
      await server.close();
      await database.dispose();
    }
  });
});

test("PGlite: a query past its deadline rejects with DatabaseTimeoutError; once PGlite has finished it, queries are answered again", async () => {
  const database = await openWith("pglite", { statementTimeoutMs: 500 });
  try {
    await expect(database.db.query("SELECT pg_sleep(1.5)")).rejects.toBeInstanceOf(DatabaseTimeoutError);
    // PGlite cannot cancel the sleep: queries wait behind it (and may time out too) until it ends.
    let answer: unknown;
    for (let attempt = 0; attempt < 40 && answer === undefined; attempt++) {
      answer = await database.db.query("SELECT 1 AS one").catch((error: unknown) => {
        expect(error).toBeInstanceOf(DatabaseTimeoutError);
        return undefined;
      });
    }
    expect(answer).toEqual([{ one: 1 }]);
  } finally {
    await database.dispose();
  }
});
