import { randomUUID } from "node:crypto";
import type { CronSearch as WireCronSearch } from "@gatehouse/client";
import type { Queryable, Row } from "../db";
import { budgetedPage, iso, json, orderBy, Where, type AuthFilters } from "./sql";

/** What a cron is created from (and updated with). */
export interface CronFields {
  assistant_id: string;
  thread_id: string | null;
  schedule: string;
  timezone: string | null;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  user_id: string | null;
  enabled: boolean;
  on_run_completed: string | null;
  end_time: string | null;
}

/** A cron as LangGraph's API returns it. */
export interface Cron extends CronFields {
  cron_id: string;
  next_run_date: string | null;
  created_at: string;
  updated_at: string;
}

export const CRON_SORT_COLUMNS = [
  "cron_id",
  "assistant_id",
  "thread_id",
  "created_at",
  "updated_at",
  "next_run_date",
] as const satisfies readonly NonNullable<WireCronSearch["sort_by"]>[];
export type CronSortBy = (typeof CRON_SORT_COLUMNS)[number];

/** The client's search body, after the route filled in the page defaults; `enabled` is this server's extra. */
export type CronSearch = WireCronSearch & { enabled?: boolean; limit: number; offset: number };

function toCron(row: Row): Cron {
  return {
    cron_id: row.cron_id as string,
    assistant_id: row.assistant_id as string,
    thread_id: (row.thread_id as string | null) ?? null,
    schedule: row.schedule as string,
    timezone: (row.timezone as string | null) ?? null,
    payload: row.payload as Record<string, unknown>,
    metadata: row.metadata as Record<string, unknown>,
    user_id: (row.user_id as string | null) ?? null,
    enabled: row.enabled as boolean,
    on_run_completed: (row.on_run_completed as string | null) ?? null,
    end_time: iso(row.end_time),
    next_run_date: iso(row.next_run_date),
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

/** Stores a cron schedule. */
export async function createCron(db: Queryable, input: CronFields): Promise<Cron> {
  const rows = await db.query(
    `INSERT INTO crons (cron_id, assistant_id, thread_id, schedule, timezone, payload, metadata, user_id, enabled, on_run_completed, end_time)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10, $11) RETURNING *`,
    [
      randomUUID(),
      input.assistant_id,
      input.thread_id,
      input.schedule,
      input.timezone,
      json(input.payload),
      json(input.metadata),
      input.user_id,
      input.enabled,
      input.on_run_completed,
      input.end_time,
    ],
  );
  return toCron(rows[0]);
}

/** Crons matching the query AND the filters (applied before LIMIT/OFFSET), about `budget` bytes at most. */
export async function searchCrons(
  db: Queryable,
  query: CronSearch,
  filters: AuthFilters,
  budget: number,
): Promise<{ crons: Cron[]; truncated: boolean }> {
  const where = new Where().scope(filters, "metadata");
  if (query.assistant_id) where.add("assistant_id = ?", query.assistant_id);
  if (query.thread_id) where.add("thread_id = ?", query.thread_id);
  if (query.enabled !== undefined) where.add("enabled = ?", query.enabled);
  if (query.metadata && Object.keys(query.metadata).length > 0) where.add("metadata @> ?::jsonb", json(query.metadata));
  const order = orderBy(query.sort_by ?? "created_at", query.sort_order, "cron_id");
  const page = await budgetedPage(db, { table: "crons", keys: ["cron_id"], where, orderBy: order, ...query, budget });
  return { crons: page.rows.map(toCron), truncated: page.truncated };
}

/** Shallow-merges `metadata` and applies the other fields; null when not found or not matching. */
export async function patchCron(
  db: Queryable,
  cronId: string,
  patch: { schedule?: string; enabled?: boolean; metadata?: Record<string, unknown> },
  filters: AuthFilters,
): Promise<Cron | null> {
  const where = new Where().add("cron_id = ?", cronId).scope(filters, "metadata");
  const n = where.next;
  const rows = await db.query(
    `UPDATE crons SET schedule = COALESCE($${n}, schedule), enabled = COALESCE($${n + 1}, enabled),
       metadata = metadata || COALESCE($${n + 2}::jsonb, '{}'::jsonb), updated_at = now()
     WHERE ${where.text} RETURNING *`,
    [
      ...where.values,
      patch.schedule ?? null,
      patch.enabled ?? null,
      patch.metadata === undefined ? null : json(patch.metadata),
    ],
  );
  return rows.length > 0 ? toCron(rows[0]) : null;
}

/** Deletes the cron; false when not found or not matching `filters`. */
export async function deleteCron(db: Queryable, cronId: string, filters: AuthFilters): Promise<boolean> {
  const where = new Where().add("cron_id = ?", cronId).scope(filters, "metadata");
  const rows = await db.query(`DELETE FROM crons WHERE ${where.text} RETURNING cron_id`, where.values);
  return rows.length > 0;
}
