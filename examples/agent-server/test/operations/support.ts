import { randomBytes } from "node:crypto";
import { Pool } from "pg";
import { openDb, type Db, type DbOptions } from "../../src/db";
import type { DatabaseKind } from "../support/databases";

/** A database of `kind` opened with extra options (e.g. a statement timeout), in a fresh schema on PostgreSQL. */
export async function openWith(
  kind: DatabaseKind,
  extra: Partial<DbOptions> = {},
): Promise<{ db: Db; schema?: string; dispose(): Promise<void> }> {
  if (kind === "pglite") {
    const db = await openDb({ memory: true, ...extra });
    return { db, dispose: () => db.close() };
  }
  const url = process.env.DATABASE_URL!;
  const schema = `gh_ops_${randomBytes(6).toString("hex")}`;
  const db = await openDb({ databaseUrl: url, schema, ...extra });
  return {
    db,
    schema,
    async dispose() {
      await db.close();
      await dropSchema(schema);
    },
  };
}

/** Drops a test schema on DATABASE_URL. */
export async function dropSchema(schema: string): Promise<void> {
  const admin = new Pool({ connectionString: process.env.DATABASE_URL!, max: 1 });
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await admin.end();
  }
}
