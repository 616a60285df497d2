import { types } from "node:util";
import { filtersToSql, type Filters } from "@gatehouse/express";
import type { Queryable, Row } from "../db";

/** What a guard put on `req.auth.filters`; `undefined` (no guard ran) is refused by `scope()`. */
export type AuthFilters = Filters | undefined;

/**
 * Builds a WHERE clause from fixed conditions and the caller's authorization
 * filters. Conditions use `?` for their parameters; placeholders are numbered
 * here, and the filter clause comes from `filtersToSql` (parameters only).
 *
 * @example
 * const where = new Where().add("thread_id = ?", id).scope(filters, "metadata");
 * await db.query(`SELECT * FROM threads WHERE ${where.text}`, where.values);
 */
export class Where {
  private readonly parts: string[] = [];
  readonly values: unknown[];

  /** @param leading parameters the statement uses before the WHERE clause ($1, $2, …). */
  constructor(leading: readonly unknown[] = []) {
    this.values = [...leading];
  }

  /** Adds `condition`, whose `?` placeholders take `params` in order. */
  add(condition: string, ...params: unknown[]): this {
    let i = 0;
    const text = condition.replace(/\?/g, () => {
      if (i >= params.length) throw new Error(`Where.add: more placeholders than parameters in ${condition}`);
      this.values.push(params[i++]);
      return `$${this.values.length}`;
    });
    if (i !== params.length)
      throw new Error(`Where.add: ${params.length} parameters for ${i} placeholders in ${condition}`);
    this.parts.push(text);
    return this;
  }

  /** Restricts to rows whose `column` matches the authorization filters. */
  scope(filters: AuthFilters, column: string): this {
    const fragment = filtersToSql(filters, { column, startIndex: this.values.length + 1 });
    if (fragment.text !== "TRUE") {
      this.values.push(...fragment.values);
      this.parts.push(fragment.text);
    }
    return this;
  }

  /** The next free placeholder number, for parameters appended after the WHERE clause. */
  get next(): number {
    return this.values.length + 1;
  }

  get text(): string {
    return this.parts.length === 0 ? "TRUE" : this.parts.join(" AND ");
  }
}

/** One page of a listing, and whether it was cut short by the byte budget. */
export interface BudgetedPage {
  rows: Row[];
  /** True when records of the page were left out to stay within the budget: continue at `offset + rows.length`. */
  truncated: boolean;
}

/**
 * A `LIMIT`/`OFFSET` page of `table` that stops before the record that would
 * take the page past `budget` bytes (the first record always comes). Sizes
 * come from each table's stored `record_bytes` column (computed by PostgreSQL
 * on write, see schema.ts), so records left out are never read: a search over
 * big records costs what it returns, not what it matches.
 *
 * @example
 * const where = new Where().scope(filters, "metadata");
 * const { rows, truncated } = await budgetedPage(db, { table: "threads", keys: ["thread_id"], where, orderBy: "ORDER BY created_at DESC, thread_id DESC", limit: 10, offset: 0, budget: 10_000_000 });
 */
export async function budgetedPage(
  db: Queryable,
  page: {
    table: string;
    keys: readonly string[];
    where: Where;
    orderBy: string;
    limit: number;
    offset: number;
    budget: number;
  },
): Promise<BudgetedPage> {
  const keys = page.keys.join(", ");
  const n = page.where.next;
  const rows = await db.query(
    `WITH page AS (
       SELECT ${keys}, record_bytes, row_number() OVER (${page.orderBy}) AS ord
       FROM ${page.table} WHERE ${page.where.text} ${page.orderBy} LIMIT $${n} OFFSET $${n + 1}
     ), kept AS (
       SELECT ${keys}, ord, count(*) OVER ()::int AS page_rows, row_number() OVER (ORDER BY ord) AS position,
              sum(record_bytes) OVER (ORDER BY ord ROWS UNBOUNDED PRECEDING) AS bytes_through
       FROM page
     )
     SELECT t.*, kept.page_rows FROM kept JOIN ${page.table} t USING (${keys})
     WHERE kept.position = 1 OR kept.bytes_through <= $${n + 2} ORDER BY kept.ord`,
    [...page.where.values, page.limit, page.offset, page.budget],
    { read: true },
  );
  return { rows, truncated: rows.length > 0 && rows.length < Number(rows[0].page_rows) };
}

/** A timestamptz as JSON: ISO 8601 in UTC. */
export function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  // types.isDate also answers for a Date from another realm (the PGlite worker's).
  if (types.isDate(value)) return value.toISOString();
  if (typeof value === "string") return new Date(value).toISOString();
  throw new TypeError(`a timestamp column returned a ${typeof value}`);
}

/** JSON for a `$n::jsonb` parameter (both drivers accept text for jsonb). */
export function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export type SortOrder = "asc" | "desc";

/** `ORDER BY` for a whitelisted column, newest first by default. */
export function orderBy(column: string, order: SortOrder | undefined, tieBreaker: string): string {
  const direction = order === "asc" ? "ASC" : "DESC";
  return `ORDER BY ${column} ${direction}, ${tieBreaker} ${direction}`;
}
