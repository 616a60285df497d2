/**
 * The storage layer on real SQL: the schema is idempotent and persists in a
 * PGlite directory that one process at a time may open, authorization filters become GIN-served containment,
 * and concurrent runs on one thread do not lose each other's messages.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { filtersToSql } from "@gatehouse/express";
import { dbOptionsFromEnv, openDb } from "../src/db";
import { echoGraph } from "../src/graph";
import { createAndExecuteRun } from "../src/storage/runs";
import { Where } from "../src/storage/sql";
import { createThread, getThread, searchThreads } from "../src/storage/threads";
import { DEFAULT_LIMITS } from "../src/limits";
import { LOCK_FILE, PgliteInUseError } from "../src/pglite-lock";
import { DATABASES, openTestDatabase, type TestDatabase } from "./support/databases";

jest.setTimeout(60_000);

describe("PGlite data directory", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "agent-server-pglite-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("data survives a restart, and creating the schema again changes nothing", async () => {
    const dataDir = path.join(dir, "not", "yet", "there"); // like .data/pglite on a fresh clone
    const first = await openDb({ pgliteDir: dataDir });
    const created = await createThread(first, { metadata: { owner: "alice", note: "persisted" } }, {});
    await first.close();

    const second = await openDb({ pgliteDir: dataDir });
    try {
      if (created.kind !== "created") throw new Error("expected a new thread");
      const thread = await getThread(second, created.record.thread_id, { owner: "alice" });
      expect(thread?.metadata).toEqual({ owner: "alice", note: "persisted" });
      const assistants = await second.query(
        'SELECT count(*)::int AS n FROM assistants WHERE metadata @> \'{"created_by":"system"}\'',
      );
      expect(assistants[0].n).toBe(1);
    } finally {
      await second.close();
    }
  });
});

describe("one process at a time in a PGlite directory", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "agent-server-pglite-lock-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("a second open in this process is refused until the first is closed; close gives the directory back", async () => {
    const first = await openDb({ pgliteDir: dir });
    expect(readFileSync(path.join(dir, LOCK_FILE), "utf8").trim()).toBe(String(process.pid));
    const second = openDb({ pgliteDir: dir });
    await expect(second).rejects.toBeInstanceOf(PgliteInUseError);
    await expect(second).rejects.toThrow(/is in use by this process .*Stop that process first, or set DATABASE_URL/);
    await first.close();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    const again = await openDb({ pgliteDir: dir });
    await again.close();
  });

  test("another live process's lock is refused, naming its pid; once that process is gone, its lock is stale and taken over", async () => {
    const other = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const exited = new Promise((resolve) => other.once("exit", resolve));
    try {
      writeFileSync(path.join(dir, LOCK_FILE), `${other.pid}\n`);
      await expect(openDb({ pgliteDir: dir })).rejects.toThrow(`is in use by process ${other.pid} (a running server`);
    } finally {
      other.kill("SIGKILL");
      await exited;
    }
    const db = await openDb({ pgliteDir: dir });
    try {
      expect(readFileSync(path.join(dir, LOCK_FILE), "utf8").trim()).toBe(String(process.pid));
      expect(await db.query("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });
});

describe("database options from the environment", () => {
  test("DATABASE_URL wins; --memory and PGLITE_MEMORY=1 keep PGlite in memory; PGLITE_DIR sets the directory", () => {
    expect(dbOptionsFromEnv({ DATABASE_URL: "postgres://x@h/db", PGLITE_MEMORY: "1" }, ["--memory"])).toEqual({
      databaseUrl: "postgres://x@h/db",
      schema: undefined,
    });
    expect(dbOptionsFromEnv({}, ["--memory"])).toEqual({ memory: true });
    expect(dbOptionsFromEnv({ PGLITE_MEMORY: "1" }, [])).toEqual({ memory: true });
    expect(dbOptionsFromEnv({ PGLITE_DIR: "/tmp/x" }, [])).toEqual({ pgliteDir: "/tmp/x" });
    expect(dbOptionsFromEnv({}, []).pgliteDir).toMatch(/agent-server[\\/]\.data[\\/]pglite$/);
  });
});

describe("Where", () => {
  test("numbers fixed conditions and the filter's parameters in order, after leading parameters", () => {
    const where = new Where(["lead"])
      .add("thread_id = ?", "t1")
      .scope({ owner: "alice" }, "metadata")
      .add("status = ?", "idle");
    expect(where.text).toBe('thread_id = $2 AND "metadata" @> $3::jsonb AND status = $4');
    expect(where.values).toEqual(["lead", "t1", '{"owner":"alice"}', "idle"]);
    expect(new Where().scope({}, "metadata").text).toBe("TRUE"); // allowed, unscoped
    expect(() => new Where().scope(undefined as never, "metadata")).toThrow(/no authorization decision/); // no guard ran: fail closed
  });
});

describe.each(DATABASES)("storage on %s", (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  }, 120_000);
  afterAll(() => database?.dispose(), 60_000);

  test("the owner filter is served by the GIN index on metadata", async () => {
    const { db } = database;
    for (let i = 0; i < 50; i++) await createThread(db, { metadata: { owner: i % 2 ? "alice" : "bob", i } }, {});
    const where = filtersToSql({ owner: "alice" }, { column: "metadata", startIndex: 1 });
    const plan = await db.transaction(async (tx) => {
      await tx.query("SET LOCAL enable_seqscan = off");
      return tx.query(`EXPLAIN SELECT thread_id FROM threads WHERE ${where.text}`, where.values);
    });
    expect(plan.map((row) => String(row["QUERY PLAN"])).join("\n")).toContain("threads_metadata_gin");
    const { threads: found } = await searchThreads(
      db,
      { limit: 100, offset: 0 },
      { owner: "alice" },
      DEFAULT_LIMITS.maxResponseBytes,
    );
    expect(found.length).toBeGreaterThanOrEqual(25);
    expect(found.every((t) => t.metadata.owner === "alice")).toBe(true);
  });

  test("concurrent runs on one thread queue up: no message is lost", async () => {
    const { db } = database;
    const created = await createThread(db, { metadata: { owner: "alice" } }, {});
    if (created.kind !== "created") throw new Error("expected a new thread");
    const threadId = created.record.thread_id;
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        createAndExecuteRun(
          db,
          threadId,
          {
            assistant_id: "00000000-0000-4000-8000-000000000000",
            graph: echoGraph,
            input: { messages: [`m${i}`] },
            metadata: {},
            kwargs: {},
            multitask_strategy: null,
          },
          { owner: "alice" },
          DEFAULT_LIMITS,
        ),
      ),
    );
    expect(outcomes.every((o) => o?.run.status === "success")).toBe(true);
    const thread = await getThread(db, threadId, { owner: "alice" });
    const contents = (thread!.values.messages as { content: string }[]).map((m) => m.content);
    expect(contents).toHaveLength(16);
    expect(new Set(contents)).toEqual(new Set(Array.from({ length: 8 }, (_, i) => `m${i}`)));
  });

  test("a run on a thread that does not match the filter is refused and stores nothing", async () => {
    const { db } = database;
    const created = await createThread(db, { metadata: { owner: "alice" } }, {});
    if (created.kind !== "created") throw new Error("expected a new thread");
    const outcome = await createAndExecuteRun(
      db,
      created.record.thread_id,
      {
        assistant_id: "00000000-0000-4000-8000-000000000000",
        graph: echoGraph,
        input: { messages: ["x"] },
        metadata: {},
        kwargs: {},
        multitask_strategy: null,
      },
      { owner: "bob" },
      DEFAULT_LIMITS,
    );
    expect(outcome).toBeNull();
    const runs = await db.query("SELECT count(*)::int AS n FROM runs WHERE thread_id = $1", [created.record.thread_id]);
    expect(runs[0].n).toBe(0);
  });
});
