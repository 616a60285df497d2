import { isHTTPException } from "@gatehouse/express";
import type { AppAuth, AuthContext } from "../auth";
import type { Queryable } from "../db";
import { Where } from "../storage/sql";

/** The read events whose decision gates what a write answers, and the table and id column each reads. */
const READS = {
  "threads:read": { table: "threads", id: "thread_id" },
  "assistants:read": { table: "assistants", id: "assistant_id" },
  "crons:read": { table: "crons", id: "cron_id" },
} as const;

export type ReadEvent = keyof typeof READS;

/**
 * The answer to a write is a read. A create, update or run returns the
 * record as stored, which may hold what the caller never sent (other fields,
 * another write's state, the existing record of `if_exists: do_nothing`). So
 * the record is returned only when the policy lets the caller read it: the
 * read event is authorized and its filter matches the stored record (in SQL,
 * like every other filter here). Otherwise (e.g. a token with `threads:write`
 * but not `threads:read`) the caller gets `redacted(record)`: ids and
 * timestamps, no contents. Errors other than a denial (500, 503) propagate.
 *
 * @example
 * res.json(await readBack(db, auth, req.auth!, "threads:read", thread.thread_id, thread, redactThread));
 */
export async function readBack<T>(
  db: Queryable,
  auth: AppAuth,
  context: AuthContext,
  event: ReadEvent,
  id: string,
  record: T,
  redacted: (record: T) => Partial<T>,
): Promise<T | Partial<T>> {
  return (await mayRead(db, auth, context, event, id)) ? record : redacted(record);
}

/** Whether the caller may read record `id` through `event`: allowed, and its filter matches the stored record. */
export async function mayRead(
  db: Queryable,
  auth: AppAuth,
  context: AuthContext,
  event: ReadEvent,
  id: string,
): Promise<boolean> {
  const { table, id: column } = READS[event];
  let filters;
  try {
    ({ filters } = await auth.authorize(context, event, { [column]: id } as never));
  } catch (error) {
    if (isHTTPException(error) && (error.status === 403 || error.status === 404)) return false;
    throw error;
  }
  const where = new Where().add(`${column} = ?`, id).scope(filters ?? {}, "metadata");
  return (await db.query(`SELECT 1 FROM ${table} WHERE ${where.text}`, where.values)).length > 0;
}

/** Only the fields that identify a record and say when it changed. */
export function pickFields<T extends object, K extends keyof T>(record: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) out[key] = record[key];
  return out;
}
