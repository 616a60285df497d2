/**
 * Ids freed by deletion stay their owner's. Threads and assistants take
 * caller-chosen ids; without a record of deleted ones, another user could
 * re-create a deleted id and receive what still refers to it (a client's
 * saved id, a cron). A tombstone keeps the deleted record's metadata, and a
 * create of that id is allowed only to callers whose filters match it (the
 * owner; an unscoped caller); anyone else gets the 409 of a taken id.
 */

/** The kinds of record whose ids are kept after deletion. */
export type TombstoneKind = "thread" | "assistant";

/** The statement creating the table (see `schema.ts`). */
export const TOMBSTONES_TABLE = `CREATE TABLE IF NOT EXISTS tombstones (
     kind text NOT NULL,
     id uuid NOT NULL,
     metadata jsonb NOT NULL,
     deleted_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (kind, id)
   )`;

/**
 * A condition that holds unless `id` was deleted by someone the caller's
 * filters do not match. `ownerCondition` is the caller's filters applied to
 * the column `tombstones.metadata` (from `Where.scope`; "TRUE" when unscoped).
 *
 * @example
 * const owner = new Where([id, json(metadata)]).scope(filters, "tombstones.metadata");
 * `INSERT INTO threads (thread_id, metadata) SELECT $1::uuid, $2::jsonb WHERE ${idIsFree("thread", "$1::uuid", owner.text)}`
 */
export function idIsFree(kind: TombstoneKind, id: string, ownerCondition: string): string {
  return `NOT EXISTS (SELECT 1 FROM tombstones WHERE tombstones.kind = '${kind}' AND tombstones.id = ${id} AND NOT (${ownerCondition}))`;
}

/**
 * Wraps a `DELETE … RETURNING <id> AS id, metadata` so that the deleted rows
 * leave a tombstone, in the same statement; returns one row per deleted record.
 *
 * @example
 * await db.query(deleteAndBury("thread", `DELETE FROM threads WHERE thread_id = $1 RETURNING thread_id AS id, metadata`), [id]);
 */
export function deleteAndBury(kind: TombstoneKind, deleteStatement: string): string {
  return `WITH gone AS (${deleteStatement})
     INSERT INTO tombstones (kind, id, metadata) SELECT '${kind}', gone.id, gone.metadata FROM gone
     ON CONFLICT (kind, id) DO UPDATE SET metadata = EXCLUDED.metadata, deleted_at = now()
     RETURNING id`;
}
