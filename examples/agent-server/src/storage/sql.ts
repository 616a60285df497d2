import { filtersToSql } from "@gatehouse/express";

/** What an authorization handler returned to scope an action (undefined: no scope). */
export type AuthFilters = Record<string, unknown> | undefined;

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
    if (i !== params.length) throw new Error(`Where.add: ${params.length} parameters for ${i} placeholders in ${condition}`);
    this.parts.push(text);
    return this;
  }

  /** Restricts to rows whose `column` matches the authorization filters. */
  scope(filters: AuthFilters, column: string): this {
    const fragment = filtersToSql(filters as Parameters<typeof filtersToSql>[0], { column, startIndex: this.values.length + 1 });
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

/** A timestamptz as JSON: ISO 8601 in UTC. */
export function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
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
