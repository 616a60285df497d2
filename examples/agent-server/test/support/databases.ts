import { randomBytes } from "node:crypto";
import { Pool } from "pg";
import { openDb, type Db } from "../../src/db";

/** A database a suite runs against, and how to throw it away afterwards. */
export interface TestDatabase {
  db: Db;
  dispose(): Promise<void>;
}

export type DatabaseKind = "pglite" | "postgres";

/**
 * The engines suites run on: PGlite in memory always; a real PostgreSQL too
 * when DATABASE_URL is set (as `.ci/run` does), each run in a fresh schema
 * that is dropped afterwards.
 */
export const DATABASES: readonly DatabaseKind[] = process.env.DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

export async function openTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === "pglite") {
    const db = await openDb({ memory: true });
    return { db, dispose: () => db.close() };
  }
  const url = process.env.DATABASE_URL!;
  const schema = `gh_agent_${randomBytes(6).toString("hex")}`;
  const db = await openDb({ databaseUrl: url, schema });
  return {
    db,
    async dispose() {
      await db.close();
      const admin = new Pool({ connectionString: url, max: 1 });
      try {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
