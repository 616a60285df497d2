import type { Queryable } from "./db";
import { API_KEYS_TABLE } from "./api-keys";
import { RATE_LIMIT_TABLE_STATEMENT } from "./rate-limit";
import { ensureSystemAssistants } from "./storage/assistants";
import { TOMBSTONES_TABLE } from "./storage/tombstones";

/**
 * The tables, created at start (every statement is idempotent).
 *
 * Authorization filters are metadata filters, so every record that has an
 * owner keeps it in a JSONB `metadata` column with a GIN index
 * (`jsonb_path_ops`), which serves the `metadata @> $1` containment that
 * `filtersToSql` produces. Store items are filtered on `filter_doc`: the
 * item's value plus its namespace and key.
 */
export const SCHEMA_STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS assistants (
     assistant_id uuid PRIMARY KEY,
     graph_id text NOT NULL,
     name text NOT NULL,
     description text,
     config jsonb NOT NULL DEFAULT '{}',
     context jsonb NOT NULL DEFAULT '{}',
     metadata jsonb NOT NULL DEFAULT '{}',
     version integer NOT NULL DEFAULT 1,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE INDEX IF NOT EXISTS assistants_metadata_gin ON assistants USING GIN (metadata jsonb_path_ops)`,

  `CREATE TABLE IF NOT EXISTS threads (
     thread_id uuid PRIMARY KEY,
     metadata jsonb NOT NULL DEFAULT '{}',
     status text NOT NULL DEFAULT 'idle',
     state jsonb NOT NULL DEFAULT '{}',
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now(),
     state_updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE INDEX IF NOT EXISTS threads_metadata_gin ON threads USING GIN (metadata jsonb_path_ops)`,

  `CREATE TABLE IF NOT EXISTS runs (
     run_id uuid PRIMARY KEY,
     thread_id uuid NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
     assistant_id uuid NOT NULL,
     status text NOT NULL,
     metadata jsonb NOT NULL DEFAULT '{}',
     kwargs jsonb NOT NULL DEFAULT '{}',
     multitask_strategy text,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE INDEX IF NOT EXISTS runs_thread_idx ON runs (thread_id, created_at)`,
  `CREATE INDEX IF NOT EXISTS runs_metadata_gin ON runs USING GIN (metadata jsonb_path_ops)`,

  `CREATE TABLE IF NOT EXISTS crons (
     cron_id uuid PRIMARY KEY,
     assistant_id uuid NOT NULL,
     thread_id uuid REFERENCES threads (thread_id) ON DELETE CASCADE,
     schedule text NOT NULL,
     timezone text,
     payload jsonb NOT NULL DEFAULT '{}',
     metadata jsonb NOT NULL DEFAULT '{}',
     user_id text,
     enabled boolean NOT NULL DEFAULT true,
     on_run_completed text,
     end_time timestamptz,
     next_run_date timestamptz,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE INDEX IF NOT EXISTS crons_metadata_gin ON crons USING GIN (metadata jsonb_path_ops)`,

  `CREATE TABLE IF NOT EXISTS store_items (
     namespace text[] NOT NULL,
     key text NOT NULL,
     value jsonb NOT NULL,
     filter_doc jsonb NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (namespace, key)
   )`,
  `CREATE INDEX IF NOT EXISTS store_items_filter_gin ON store_items USING GIN (filter_doc jsonb_path_ops)`,

  TOMBSTONES_TABLE,

  // Per-identity rate limits on PostgreSQL (unused on PGlite, which counts in memory).
  RATE_LIMIT_TABLE_STATEMENT,
  // Created here too, not only by the API-key strategy at its first lookup: processes that start together
  // would otherwise race to create it, and the loser's first API-key request would fail.
  API_KEYS_TABLE,

  // Each listed record's size, computed by PostgreSQL on write, so that a page can stop at a byte
  // budget without reading the records it leaves out (see budgetedPage in storage/sql.ts).
  ...(
    [
      ["threads", "octet_length(state::text) + octet_length(metadata::text)"],
      ["runs", "octet_length(kwargs::text) + octet_length(metadata::text)"],
      ["assistants", "octet_length(config::text) + octet_length(context::text) + octet_length(metadata::text)"],
      ["crons", "octet_length(payload::text) + octet_length(metadata::text)"],
      ["store_items", "octet_length(value::text)"],
    ] as const
  ).map(
    ([table, size]) =>
      `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS record_bytes integer GENERATED ALWAYS AS (${size}) STORED`,
  ),
];

/** Creates every table and index that is missing, and the system assistants. Safe to run on every start. */
export async function createSchema(db: Queryable): Promise<void> {
  for (const statement of SCHEMA_STATEMENTS) await db.query(statement);
  await ensureSystemAssistants(db);
}
