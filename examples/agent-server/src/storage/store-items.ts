import type { Queryable, Row } from "../db";
import { budgetedPage, iso, json, Where, type AuthFilters } from "./sql";

/** A store item as LangGraph's API returns it. */
export interface Item {
  namespace: string[];
  key: string;
  value: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

function toItem(row: Row): Item {
  return {
    namespace: row.namespace as string[],
    key: row.key as string,
    value: row.value as Record<string, unknown>,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

/**
 * What authorization filters are matched against for an item: its value plus
 * its namespace and key (namespace and key win over value fields of the same name).
 */
export function filterDocument(
  namespace: string[],
  key: string,
  value: Record<string, unknown>,
): Record<string, unknown> {
  return { ...value, namespace, key };
}

/**
 * Inserts or replaces an item. An existing item that does not match `filters`
 * is left alone and `false` is returned.
 */
export async function putItem(
  db: Queryable,
  namespace: string[],
  key: string,
  value: Record<string, unknown>,
  filters: AuthFilters,
): Promise<boolean> {
  const guard = new Where([namespace, key, json(value), json(filterDocument(namespace, key, value))]);
  guard.scope(filters, "store_items.filter_doc");
  const rows = await db.query(
    `INSERT INTO store_items (namespace, key, value, filter_doc) VALUES ($1::text[], $2, $3::jsonb, $4::jsonb)
     ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value, filter_doc = EXCLUDED.filter_doc, updated_at = now()
     WHERE ${guard.text} RETURNING key`,
    guard.values,
  );
  return rows.length > 0;
}

/** The item if it exists and matches `filters`, else null. */
export async function getItem(
  db: Queryable,
  namespace: string[],
  key: string,
  filters: AuthFilters,
): Promise<Item | null> {
  const where = new Where().add("namespace = ?::text[]", namespace).add("key = ?", key).scope(filters, "filter_doc");
  const rows = await db.query(`SELECT * FROM store_items WHERE ${where.text}`, where.values, { read: true });
  return rows.length > 0 ? toItem(rows[0]) : null;
}

/** Deletes the item; false when not found or not matching `filters`. */
export async function deleteItem(
  db: Queryable,
  namespace: string[],
  key: string,
  filters: AuthFilters,
): Promise<boolean> {
  const where = new Where().add("namespace = ?::text[]", namespace).add("key = ?", key).scope(filters, "filter_doc");
  const rows = await db.query(`DELETE FROM store_items WHERE ${where.text} RETURNING key`, where.values);
  return rows.length > 0;
}

export interface ItemSearch {
  namespace_prefix: string[];
  /** Value fields that must match (JSON containment). */
  filter?: Record<string, unknown>;
  limit: number;
  offset: number;
}

/** Items under a namespace prefix, newest first (filters before LIMIT/OFFSET), about `budget` bytes at most. */
export async function searchItems(
  db: Queryable,
  query: ItemSearch,
  filters: AuthFilters,
  budget: number,
): Promise<{ items: Item[]; truncated: boolean }> {
  const where = new Where().scope(filters, "filter_doc");
  if (query.namespace_prefix.length > 0) {
    where.add("namespace[1:?::int] = ?::text[]", query.namespace_prefix.length, query.namespace_prefix);
  }
  if (query.filter && Object.keys(query.filter).length > 0) where.add("value @> ?::jsonb", json(query.filter));
  const order = "ORDER BY updated_at DESC, namespace, key";
  const page = await budgetedPage(db, {
    table: "store_items",
    keys: ["namespace", "key"],
    where,
    orderBy: order,
    ...query,
    budget,
  });
  return { items: page.rows.map(toItem), truncated: page.truncated };
}

export interface NamespaceQuery {
  prefix?: string[];
  suffix?: string[];
  max_depth?: number;
  limit: number;
  offset: number;
}

/** Distinct namespaces (cut to `max_depth`) of the items matching the filters. */
export async function listNamespaces(db: Queryable, query: NamespaceQuery, filters: AuthFilters): Promise<string[][]> {
  const where = new Where().scope(filters, "filter_doc");
  if (query.prefix?.length) where.add("namespace[1:?::int] = ?::text[]", query.prefix.length, query.prefix);
  if (query.suffix?.length) {
    const n = query.suffix.length;
    where.add("cardinality(namespace) >= ?::int", n);
    where.add("namespace[cardinality(namespace) - ?::int + 1:cardinality(namespace)] = ?::text[]", n, query.suffix);
  }
  const n = where.next;
  const depth = query.max_depth === undefined ? "namespace" : `namespace[1:$${n + 2}::int]`;
  const rows = await db.query(
    `SELECT DISTINCT ${depth} AS ns FROM store_items WHERE ${where.text} ORDER BY ns LIMIT $${n} OFFSET $${n + 1}`,
    [...where.values, query.limit, query.offset, ...(query.max_depth === undefined ? [] : [query.max_depth])],
  );
  return rows.map((row) => row.ns as string[]);
}
