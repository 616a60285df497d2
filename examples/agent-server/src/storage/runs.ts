import { randomUUID } from "node:crypto";
import type { Db, Queryable, Row } from "../db";
import type { Graph, GraphState } from "../graph";
import { checkThreadState, type Limits } from "../limits";
import { budgetedPage, iso, json, Where, type AuthFilters } from "./sql";
import { getThread, isThreadVisible, saveThreadState } from "./threads";

import type { MultitaskStrategy, Run as WireRun, RunStatus } from "@gatehouse/client";

export type { MultitaskStrategy, RunStatus };
export const RUN_STATUSES: readonly RunStatus[] = ["pending", "running", "error", "success", "timeout", "interrupted"];

/** A run as LangGraph's API returns it: the client's type, with every field this server always sends. */
export type Run = Required<WireRun>;

/** What a finished run produced: the run, the thread's values after it, and the node that wrote them. */
export interface RunOutcome {
  run: Run;
  values: Record<string, unknown>;
  node: string;
}

export interface RunRequest {
  assistant_id: string;
  graph: Graph;
  input: unknown;
  metadata: Record<string, unknown>;
  kwargs: Record<string, unknown>;
  multitask_strategy: MultitaskStrategy | null;
}

function toRun(row: Row): Run {
  return {
    run_id: row.run_id as string,
    thread_id: row.thread_id as string,
    assistant_id: row.assistant_id as string,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    status: row.status as RunStatus,
    metadata: row.metadata as Record<string, unknown>,
    multitask_strategy: (row.multitask_strategy as MultitaskStrategy | null) ?? null,
    kwargs: row.kwargs as Record<string, unknown>,
  };
}

/**
 * Creates a run on a thread the caller may see (`threadFilters`) and executes
 * it. The built-in graphs are synchronous and instant, so the run finishes
 * inside one transaction, with the thread row locked: concurrent runs on the
 * same thread queue up instead of overwriting each other's state.
 * Returns null when the thread does not exist or does not match; throws
 * `GraphInputError` (and stores nothing) when the graph rejects the input.
 */
export async function createAndExecuteRun(
  db: Db,
  threadId: string,
  request: RunRequest,
  threadFilters: AuthFilters,
  limits: Pick<Limits, "maxThreadStateBytes" | "maxThreadMessages">,
): Promise<RunOutcome | null> {
  return db.transaction(async (tx) => {
    const thread = await getThread(tx, threadId, threadFilters, true);
    if (!thread) return null;
    const runId = randomUUID();
    // Throws GraphInputError for input the graph cannot take: nothing is stored.
    const { update: state, node } = request.graph.run(thread.values as GraphState, request.input, { runId });
    // Over a limit: LimitExceededError (413), and the transaction stores nothing.
    const stateJson = checkThreadState(state, limits);
    const status: RunStatus = "success";
    const rows = await tx.query(
      `INSERT INTO runs (run_id, thread_id, assistant_id, status, metadata, kwargs, multitask_strategy)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7) RETURNING *`,
      [
        runId,
        threadId,
        request.assistant_id,
        status,
        json(request.metadata),
        json(request.kwargs),
        request.multitask_strategy,
      ],
    );
    await saveThreadState(tx, threadId, stateJson, "idle");
    return { run: toRun(rows[0]), values: state, node };
  });
}

/** Runs of a thread the caller may see, newest first, about `budget` bytes at most; null when the thread is not visible. */
export async function listRuns(
  db: Queryable,
  threadId: string,
  query: { limit: number; offset: number; status?: RunStatus },
  threadFilters: AuthFilters,
  budget: number,
): Promise<{ runs: Run[]; truncated: boolean } | null> {
  if (!(await isThreadVisible(db, threadId, threadFilters))) return null;
  const where = new Where().add("thread_id = ?", threadId);
  if (query.status) where.add("status = ?", query.status);
  const page = await budgetedPage(db, {
    table: "runs",
    keys: ["run_id"],
    where,
    orderBy: "ORDER BY created_at DESC, run_id DESC",
    ...query,
    budget,
  });
  return { runs: page.rows.map(toRun), truncated: page.truncated };
}

/** One run of a thread the caller may see; null when either is missing or the thread does not match. */
export async function getRun(
  db: Queryable,
  threadId: string,
  runId: string,
  threadFilters: AuthFilters,
): Promise<Run | null> {
  if (!(await isThreadVisible(db, threadId, threadFilters))) return null;
  const rows = await db.query(`SELECT * FROM runs WHERE thread_id = $1 AND run_id = $2`, [threadId, runId], {
    read: true,
  });
  return rows.length > 0 ? toRun(rows[0]) : null;
}
