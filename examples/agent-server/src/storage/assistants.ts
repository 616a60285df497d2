import { randomUUID } from "node:crypto";
import type { AssistantSearch as WireAssistantSearch } from "@gatehouse/client";
import type { Queryable, Row } from "../db";
import { GRAPHS, systemAssistantId } from "../graph";
import { budgetedPage, iso, json, orderBy, Where, type AuthFilters } from "./sql";
import { deleteAndBury, idIsFree } from "./tombstones";
import type { CreateResult } from "./threads";

/** An assistant as LangGraph's API returns it. */
export interface Assistant {
  assistant_id: string;
  graph_id: string;
  name: string;
  description: string | null;
  config: Record<string, unknown>;
  context: Record<string, unknown>;
  metadata: Record<string, unknown>;
  version: number;
  created_at: string;
  updated_at: string;
}

export const ASSISTANT_SORT_COLUMNS = [
  "assistant_id",
  "graph_id",
  "name",
  "created_at",
  "updated_at",
] as const satisfies readonly NonNullable<WireAssistantSearch["sort_by"]>[];
export type AssistantSortBy = (typeof ASSISTANT_SORT_COLUMNS)[number];

export interface AssistantFields {
  graph_id: string;
  name?: string;
  description?: string | null;
  config?: Record<string, unknown>;
  context?: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** The client's search body, after the route filled in the page defaults. */
export type AssistantSearch = WireAssistantSearch & { limit: number; offset: number };

function toAssistant(row: Row): Assistant {
  return {
    assistant_id: row.assistant_id as string,
    graph_id: row.graph_id as string,
    name: row.name as string,
    description: (row.description as string | null) ?? null,
    config: row.config as Record<string, unknown>,
    context: row.context as Record<string, unknown>,
    metadata: row.metadata as Record<string, unknown>,
    version: row.version as number,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

/**
 * Stores one system assistant per built-in graph, as LangGraph does
 * (`metadata.created_by = "system"`, id derived from the graph id). They
 * have no owner, so owner-scoped policies hide them; runs still accept
 * their id or the graph id.
 */
export async function ensureSystemAssistants(db: Queryable): Promise<void> {
  for (const graph of GRAPHS.values()) {
    await db.query(
      `INSERT INTO assistants (assistant_id, graph_id, name, description, metadata)
       VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (assistant_id) DO NOTHING`,
      [
        systemAssistantId(graph.graphId),
        graph.graphId,
        graph.graphId,
        graph.description,
        json({ created_by: "system" }),
      ],
    );
  }
}

/** Inserts an assistant; a taken id gives `exists` when it matches `filters`, else `conflict`. */
export async function createAssistant(
  db: Queryable,
  input: AssistantFields & { assistant_id?: string },
  filters: AuthFilters,
): Promise<CreateResult<Assistant>> {
  const assistantId = input.assistant_id ?? randomUUID();
  // A deleted id stays its owner's: another caller's create of it is a conflict (see tombstones.ts).
  const owner = new Where([
    assistantId,
    input.graph_id,
    input.name ?? "Untitled",
    input.description ?? null,
    json(input.config ?? {}),
    json(input.context ?? {}),
    json(input.metadata),
  ]).scope(filters, "tombstones.metadata");
  const inserted = await db.query(
    `INSERT INTO assistants (assistant_id, graph_id, name, description, config, context, metadata)
     SELECT $1::uuid, $2::text, $3::text, $4::text, $5::jsonb, $6::jsonb, $7::jsonb
     WHERE ${idIsFree("assistant", "$1::uuid", owner.text)}
     ON CONFLICT (assistant_id) DO NOTHING RETURNING *`,
    owner.values,
  );
  if (inserted.length > 0) return { kind: "created", record: toAssistant(inserted[0]) };
  const existing = await getAssistant(db, assistantId, filters);
  return existing ? { kind: "exists", record: existing } : { kind: "conflict" };
}

/** The assistant if it exists and matches `filters`, else null. */
export async function getAssistant(
  db: Queryable,
  assistantId: string,
  filters: AuthFilters,
): Promise<Assistant | null> {
  const where = new Where().add("assistant_id = ?", assistantId).scope(filters, "metadata");
  const rows = await db.query(`SELECT * FROM assistants WHERE ${where.text}`, where.values, { read: true });
  return rows.length > 0 ? toAssistant(rows[0]) : null;
}

/** Applies a patch (metadata shallow-merged) and bumps the version; null when not visible. */
export async function patchAssistant(
  db: Queryable,
  assistantId: string,
  patch: Partial<AssistantFields>,
  filters: AuthFilters,
): Promise<Assistant | null> {
  const where = new Where().add("assistant_id = ?", assistantId).scope(filters, "metadata");
  const n = where.next;
  const rows = await db.query(
    `UPDATE assistants SET
       graph_id = COALESCE($${n}, graph_id),
       name = COALESCE($${n + 1}, name),
       description = COALESCE($${n + 2}, description),
       config = COALESCE($${n + 3}::jsonb, config),
       context = COALESCE($${n + 4}::jsonb, context),
       metadata = metadata || COALESCE($${n + 5}::jsonb, '{}'::jsonb),
       version = version + 1,
       updated_at = now()
     WHERE ${where.text} RETURNING *`,
    [
      ...where.values,
      patch.graph_id ?? null,
      patch.name ?? null,
      patch.description ?? null,
      patch.config === undefined ? null : json(patch.config),
      patch.context === undefined ? null : json(patch.context),
      patch.metadata === undefined ? null : json(patch.metadata),
    ],
  );
  return rows.length > 0 ? toAssistant(rows[0]) : null;
}

/** Deletes the assistant; false when not found or not matching `filters`. */
export async function deleteAssistant(db: Queryable, assistantId: string, filters: AuthFilters): Promise<boolean> {
  const where = new Where().add("assistant_id = ?", assistantId).scope(filters, "metadata");
  const rows = await db.query(
    deleteAndBury("assistant", `DELETE FROM assistants WHERE ${where.text} RETURNING assistant_id AS id, metadata`),
    where.values,
  );
  return rows.length > 0;
}

/** One page of matching assistants (about `budget` bytes at most) and how many match in total (both after the filters). */
export async function searchAssistants(
  db: Queryable,
  query: AssistantSearch,
  filters: AuthFilters,
  budget: number,
): Promise<{ assistants: Assistant[]; total: number; truncated: boolean }> {
  const where = new Where().scope(filters, "metadata");
  if (query.graph_id) where.add("graph_id = ?", query.graph_id);
  if (query.name) where.add("name ILIKE ?", `%${query.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (query.metadata && Object.keys(query.metadata).length > 0) where.add("metadata @> ?::jsonb", json(query.metadata));
  const order = orderBy(query.sort_by ?? "created_at", query.sort_order, "assistant_id");
  const page = await budgetedPage(db, {
    table: "assistants",
    keys: ["assistant_id"],
    where,
    orderBy: order,
    ...query,
    budget,
  });
  return { assistants: page.rows.map(toAssistant), total: await countAssistants(db, where), truncated: page.truncated };
}

async function countAssistants(db: Queryable, where: Where): Promise<number> {
  const rows = await db.query(`SELECT count(*)::int AS total FROM assistants WHERE ${where.text}`, where.values);
  return rows[0].total as number;
}
