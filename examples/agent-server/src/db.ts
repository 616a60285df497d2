import { mkdirSync } from "node:fs";
import path from "node:path";
import { Pool, type PoolClient } from "pg";
import { lockPgliteDir } from "./pglite-lock";
import { startPgliteWorker } from "./pglite-worker";
import { ReadCache } from "./read-cache";
import { createSchema } from "./schema";

/** A row as both drivers return it: JSONB parsed, timestamptz as Date. */
export type Row = Record<string, unknown>;

/** How a statement may be run. */
export interface QueryOptions {
  /**
   * What the statement does, for the embedded database's read cache (see
   * `ReadCache`; PostgreSQL, shared with other processes, ignores it):
   * - `true`: it only reads, and its result depends on nothing but the tables'
   *   contents and the parameters (no `now()`, `random()`, locks): it may be
   *   answered from memory until the next write;
   * - `"fresh"`: it only reads, but is always asked of the database (credential
   *   lookups, health checks); it does not empty the cache;
   * - unset: anything else, counted as a write (the cache is emptied).
   */
  read?: boolean | "fresh";
}

/** Anything that runs one parameterised statement. */
export interface Queryable {
  query<T extends Row = Row>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<T[]>;
}

/** The storage the routes use: PostgreSQL, embedded (PGlite) or a real server (pg). */
export interface Db extends Queryable {
  /** Which engine answers: "pglite" or "postgres". */
  readonly kind: "pglite" | "postgres";
  /** Human-readable location, printed at start (never contains a password). */
  readonly description: string;
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** PGlite only: the results of pure reads kept until the next write (counts in `hits`/`misses`). */
  readonly readCache?: ReadCache;
}

export interface DbOptions {
  /** `postgres://…`: use a real PostgreSQL server through a `pg` Pool. */
  databaseUrl?: string;
  /** PostgreSQL schema to create and use (tests use a fresh one per run). Real server only. */
  schema?: string;
  /** PGlite data directory. Ignored with `memory` or `databaseUrl`. */
  pgliteDir?: string;
  /** PGlite in memory: nothing is written to disk. */
  memory?: boolean;
  /**
   * Longest one statement may run, in ms (0 or unset: no limit): PostgreSQL's
   * `statement_timeout` on every connection; on PGlite a per-query deadline (the
   * caller gets `DatabaseTimeoutError`; PGlite cannot cancel the statement).
   */
  statementTimeoutMs?: number;
  /**
   * PGlite only: bytes of pure reads' results kept in memory until the next
   * write (default 16 MiB; 0: none). See `ReadCache`.
   */
  readCacheBytes?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens the database and creates the tables (idempotent).
 *
 * @example
 * const db = await openDb({ memory: true });
 * const rows = await db.query("SELECT thread_id FROM threads WHERE metadata @> $1::jsonb", ['{"owner":"alice"}']);
 */
export async function openDb(options: DbOptions = {}): Promise<Db> {
  const db = options.databaseUrl
    ? openPostgres(options.databaseUrl, options.schema, options.statementTimeoutMs)
    : await openPglite(options.memory ? undefined : (options.pgliteDir ?? defaultPgliteDir()), {
        queryTimeoutMs: options.statementTimeoutMs,
        cacheBytes: options.readCacheBytes,
      });
  try {
    if (db.kind === "postgres") await createSchemaExclusively(db, options.schema);
    else await createSchema(db); // one process opens a PGlite database: nobody to race
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/**
 * Creates the schema and its tables on a server other processes share. Two
 * sessions running `CREATE TABLE IF NOT EXISTS` for one table at the same
 * moment can both miss it, and the loser gets 42P07, 42710 or 23505 instead of a
 * no-op (processes starting together: `WORKERS=N`, a rolling deploy, tests). So
 * the whole creation runs in one transaction holding an advisory lock named
 * after the schema: the first process creates, the others wait, then find
 * everything there.
 */
async function createSchemaExclusively(db: Db, schema: string | undefined): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`gatehouse schema ${schema ?? "(search_path)"}`]);
    if (schema) await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await createSchema(tx);
  });
}

/**
 * Reads the database choice from the environment and command line:
 * `DATABASE_URL` (real server), else PGlite in `PGLITE_DIR` (default
 * `.data/pglite` in the example), or in memory with `--memory` / `PGLITE_MEMORY=1`.
 */
export function dbOptionsFromEnv(env: NodeJS.ProcessEnv, argv: readonly string[]): DbOptions {
  if (env.DATABASE_URL) return { databaseUrl: env.DATABASE_URL, schema: env.DATABASE_SCHEMA || undefined };
  const memory = argv.includes("--memory") || env.PGLITE_MEMORY === "1" || env.PGLITE_MEMORY === "true";
  return memory ? { memory: true } : { pgliteDir: env.PGLITE_DIR || defaultPgliteDir() };
}

/** `.data/pglite` inside the example, wherever it is run from. */
export function defaultPgliteDir(): string {
  return path.resolve(__dirname, "..", ".data", "pglite");
}

async function openPglite(
  dataDir: string | undefined,
  options: { queryTimeoutMs?: number; cacheBytes?: number },
): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true }); // a fresh clone has no .data/ yet
  // Only this process opens the database (the lock makes sure), so every write passes here and the cache knows when to forget.
  const release = dataDir ? lockPgliteDir(dataDir) : () => undefined;
  const cache = new ReadCache(options.cacheBytes === undefined ? {} : { maxBytes: options.cacheBytes });
  const pg = await startPgliteWorker(dataDir, { queryTimeoutMs: options.queryTimeoutMs }).catch((error: unknown) => {
    release();
    throw error;
  });
  return {
    kind: "pglite",
    description: dataDir ? `PGlite (embedded PostgreSQL) in ${dataDir}` : "PGlite (embedded PostgreSQL) in memory",
    // Once the worker has failed, nothing is answered from memory: the caller sees the failure.
    query: <T extends Row>(text: string, params?: readonly unknown[], options?: QueryOptions) =>
      (options?.read === "fresh"
        ? pg.query(text, params)
        : options?.read === true && !pg.failed
          ? cache.read(text, params, () => pg.query(text, params))
          : cache.write(() => pg.query(text, params))) as Promise<T[]>,
    transaction: (fn) => cache.write(() => pg.transaction(fn)),
    close: () => cache.write(() => pg.close()).finally(release),
    readCache: cache,
  };
}

function openPostgres(databaseUrl: string, schema: string | undefined, statementTimeoutMs = 0): Db {
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`DATABASE_SCHEMA must be a lower-case SQL identifier, got ${JSON.stringify(schema)}`);
  }
  const pool = new Pool({
    connectionString: databaseUrl,
    max: 10,
    // A server that does not answer is a 503 after 5 s, not a request held open for the OS's TCP timeout.
    connectionTimeoutMillis: 5_000,
    // A statement running past this is cancelled by the server (SQLSTATE 57014 → 503); the connection stays usable.
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process.
  pool.on("error", (error) => console.error(`postgres: idle client error: ${error.message}`));
  const run = async <T extends Row>(q: Pool | PoolClient, text: string, params?: readonly unknown[]) =>
    (await q.query(text, params ? [...params] : undefined)).rows as T[];
  return {
    kind: "postgres",
    description: `PostgreSQL at ${redact(databaseUrl)}${schema ? ` (schema ${schema})` : ""}`,
    query: (text, params) => run(pool, text, params),
    async transaction(fn) {
      const client = await pool.connect();
      // The pool stops listening for a client's errors while it is checked out: without this, a connection
      // dropping mid-transaction is an unhandled 'error' event, which crashes the process.
      const onError = (error: Error) =>
        console.error(`postgres: connection lost during a transaction: ${error.message}`);
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await fn({ query: (text, params) => run(client, text, params) });
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.off("error", onError);
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}
