/**
 * Filters → a parameterised PostgreSQL WHERE fragment on a JSONB column.
 * Every clause becomes JSONB containment (`column @> $n::jsonb`), which a GIN
 * index on the column serves (`USING gin (metadata jsonb_path_ops)`), and every
 * value travels as a parameter: nothing from the filter is concatenated into SQL.
 */
import { assertDecided, parseFilters, type Filters } from "./filters";
import { setOwn } from "./own";

export interface FiltersToSqlOptions {
  /** The JSONB column (optionally `table.column`). Default `"metadata"`. */
  column?: string;
  /** Number of the first placeholder (`$1`, `$2`, …), to append to a query that already has parameters. Default 1. */
  startIndex?: number;
}

/** A WHERE fragment and its parameters. `text` is `TRUE` for the empty filter `{}` (an allowed, unscoped decision). */
export interface SqlFragment {
  text: string;
  values: string[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function quoteColumn(column: string): string {
  const parts = column.split(".");
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new TypeError(
      `filtersToSql: column ${JSON.stringify(column)} must be an identifier such as "metadata" or "t.metadata"`,
    );
  }
  return parts.map((p) => `"${p}"`).join(".");
}

/**
 * Translates a filter into SQL that matches exactly the rows {@link matchFilters}
 * would match in memory. Throws `FilterError` for a malformed filter, and a
 * `TypeError` for `undefined`/`null` (no guard decided the request: fail closed).
 *
 * @example
 * const where = filtersToSql({ owner: "alice" }, { column: "metadata", startIndex: 2 });
 * // where.text   === '"metadata" @> $2::jsonb'
 * // where.values  == ['{"owner":"alice"}']
 * await db.query(`SELECT * FROM threads WHERE thread_id = $1 AND ${where.text}`, [id, ...where.values]);
 */
export function filtersToSql(filters: Filters | null | undefined, options: FiltersToSqlOptions = {}): SqlFragment {
  const column = quoteColumn(options.column ?? "metadata");
  const start = options.startIndex ?? 1;
  if (!Number.isSafeInteger(start) || start < 1) {
    throw new TypeError(`filtersToSql: startIndex must be a positive integer, got ${String(options.startIndex)}`);
  }
  assertDecided(filters, "filtersToSql()");
  // Group clauses into containment documents, at most one clause per key in each.
  const documents: Record<string, unknown>[] = [];
  for (const clause of parseFilters(filters)) {
    let doc = documents.find((d) => !Object.hasOwn(d, clause.key));
    if (!doc) documents.push((doc = {}));
    setOwn(doc, clause.key, clause.value);
  }
  if (documents.length === 0) return { text: "TRUE", values: [] };
  const text = documents.map((_, i) => `${column} @> $${start + i}::jsonb`).join(" AND ");
  return { text: documents.length > 1 ? `(${text})` : text, values: documents.map((d) => JSON.stringify(d)) };
}
