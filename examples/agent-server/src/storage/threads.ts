import { randomUUID } from "node:crypto";
import type { Queryable, Row } from "../db";
import { budgetedPage, iso, json, orderBy, Where, type AuthFilters, type SortOrder } from "./sql";
import { HTTPException } from "@gatehouse/express";
import { LimitExceededError } from "../limits";
import { deleteAndBury, idIsFree } from "./tombstones";

export type ThreadStatus = "idle" | "busy" | "interrupted" | "error";

/** A thread as LangGraph's API returns it. */
export interface Thread {
  thread_id: string;
  created_at: string;
  updated_at: string;
  state_updated_at: string;
  metadata: Record<string, unknown>;
  status: ThreadStatus;
  values: Record<string, unknown>;
  interrupts: Record<string, unknown[]>;
  config: Record<string, unknown>;
  error: null;
}

export const THREAD_SORT_COLUMNS = ["thread_id", "status", "created_at", "updated_at", "state_updated_at"] as const;
export type ThreadSortBy = (typeof THREAD_SORT_COLUMNS)[number];

export interface ThreadSearch {
  metadata?: Record<string, unknown>;
  ids?: string[];
  status?: ThreadStatus;
  limit: number;
  offset: number;
  sort_by?: ThreadSortBy;
  sort_order?: SortOrder;
}

export function toThread(row: Row): Thread {
  return {
    thread_id: row.thread_id as string,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    state_updated_at: iso(row.state_updated_at)!,
    metadata: row.metadata as Record<string, unknown>,
    status: row.status as ThreadStatus,
    values: row.state as Record<string, unknown>,
    interrupts: {},
    config: {},
    error: null,
  };
}

export type CreateResult<T> = { kind: "created"; record: T } | { kind: "exists"; record: T } | { kind: "conflict" };

/**
 * Inserts a thread. When `thread_id` is taken: `exists` with the record if it
 * matches `filters` (the caller may see it), else `conflict`, so a foreign
 * record is never returned.
 */
export async function createThread(
  db: Queryable,
  input: { thread_id?: string; metadata: Record<string, unknown>; state?: Record<string, unknown> },
  filters: AuthFilters,
): Promise<CreateResult<Thread>> {
  const threadId = input.thread_id ?? randomUUID();
  // A deleted id stays its owner's: another caller's create of it is a conflict (see tombstones.ts).
  const owner = new Where([threadId, json(input.metadata), json(input.state ?? {})]).scope(
    filters,
    "tombstones.metadata",
  );
  const inserted = await db.query(
    `INSERT INTO threads (thread_id, metadata, state) SELECT $1::uuid, $2::jsonb, $3::jsonb
     WHERE ${idIsFree("thread", "$1::uuid", owner.text)}
     ON CONFLICT (thread_id) DO NOTHING RETURNING *`,
    owner.values,
  );
  if (inserted.length > 0) return { kind: "created", record: toThread(inserted[0]) };
  const existing = await getThread(db, threadId, filters);
  return existing ? { kind: "exists", record: existing } : { kind: "conflict" };
}

/** The thread if it exists and matches `filters`; null otherwise (the two are indistinguishable). */
export async function getThread(
  db: Queryable,
  threadId: string,
  filters: AuthFilters,
  forUpdate = false,
): Promise<Thread | null> {
  const where = new Where().add("thread_id = ?", threadId).scope(filters, "metadata");
  const rows = forUpdate
    ? await db.query(`SELECT * FROM threads WHERE ${where.text} FOR UPDATE`, where.values)
    : await db.query(`SELECT * FROM threads WHERE ${where.text}`, where.values, { read: true });
  return rows.length > 0 ? toThread(rows[0]) : null;
}

/** Whether the thread exists and matches `filters`, without reading its state. */
export async function isThreadVisible(db: Queryable, threadId: string, filters: AuthFilters): Promise<boolean> {
  const where = new Where().add("thread_id = ?", threadId).scope(filters, "metadata");
  return (await db.query(`SELECT 1 FROM threads WHERE ${where.text}`, where.values, { read: true })).length > 0;
}

/** How often a patch is tried again when the thread changed between its update and the check after it. */
const PATCH_ATTEMPTS = 3;

/**
 * Shallow-merges `metadata` into the thread's; null when not found or not
 * matching `filters`. Throws `LimitExceededError` (413) when the merged
 * metadata would pass `maxBytes`: patches add up, each under the body limit.
 *
 * When the update matches nothing, a second statement tells "not found" from
 * "too big". A thread created (or shrunk) by a concurrent request between the
 * two is neither: the patch is tried again on it.
 */
export async function patchThread(
  db: Queryable,
  threadId: string,
  metadata: Record<string, unknown>,
  filters: AuthFilters,
  maxBytes: number,
): Promise<Thread | null> {
  const where = new Where().add("thread_id = ?", threadId).scope(filters, "metadata");
  const n = where.next;
  const params = [...where.values, json(metadata), maxBytes];
  const fits = `octet_length((metadata || $${n}::jsonb)::text) <= $${n + 1}`;
  for (let attempt = 1; ; attempt++) {
    const rows = await db.query(
      `UPDATE threads SET metadata = metadata || $${n}::jsonb, updated_at = now()
       WHERE ${where.text} AND ${fits} RETURNING *`,
      params,
    );
    if (rows.length > 0) return toThread(rows[0]);
    const found = await db.query<{ fits: boolean }>(`SELECT ${fits} AS fits FROM threads WHERE ${where.text}`, params);
    if (found.length === 0) return null;
    if (!found[0].fits)
      throw new LimitExceededError(
        `This patch would make the thread's metadata more than ${maxBytes} bytes (MAX_THREAD_STATE_BYTES limits metadata too): remove fields or start a new thread`,
      );
    if (attempt === PATCH_ATTEMPTS)
      throw new HTTPException(409, { message: "The thread kept changing while it was patched; try again" });
  }
}

/** Deletes the thread (and its runs); false when not found or not matching `filters`. */
export async function deleteThread(db: Queryable, threadId: string, filters: AuthFilters): Promise<boolean> {
  const where = new Where().add("thread_id = ?", threadId).scope(filters, "metadata");
  const rows = await db.query(
    deleteAndBury("thread", `DELETE FROM threads WHERE ${where.text} RETURNING thread_id AS id, metadata`),
    where.values,
  );
  return rows.length > 0;
}

/**
 * Threads matching the query AND the filters; the filters apply before
 * LIMIT/OFFSET. The page stops at about `budget` bytes of records (see `budgetedPage`).
 */
export async function searchThreads(
  db: Queryable,
  query: ThreadSearch,
  filters: AuthFilters,
  budget: number,
): Promise<{ threads: Thread[]; truncated: boolean }> {
  const where = new Where().scope(filters, "metadata");
  if (query.metadata && Object.keys(query.metadata).length > 0) where.add("metadata @> ?::jsonb", json(query.metadata));
  if (query.ids) where.add("thread_id = ANY(?::uuid[])", query.ids);
  if (query.status) where.add("status = ?", query.status);
  const order = orderBy(query.sort_by ?? "created_at", query.sort_order, "thread_id");
  const page = await budgetedPage(db, {
    table: "threads",
    keys: ["thread_id"],
    where,
    orderBy: order,
    ...query,
    budget,
  });
  return { threads: page.rows.map(toThread), truncated: page.truncated };
}

/** Writes a run's result (the state as JSON, checked against the limits) into the thread's state. */
export async function saveThreadState(
  db: Queryable,
  threadId: string,
  stateJson: string,
  status: ThreadStatus,
): Promise<void> {
  await db.query(
    `UPDATE threads SET state = $2::jsonb, status = $3, updated_at = now(), state_updated_at = now() WHERE thread_id = $1`,
    [threadId, stateJson, status],
  );
}
