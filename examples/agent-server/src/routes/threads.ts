import { Router, type Request } from "express";
import { HTTPException } from "@gatehouse/express";
import type { AppAuth } from "../auth";
import type { Db, Queryable } from "../db";
import * as threads from "../storage/threads";
import { THREAD_SORT_COLUMNS, type Thread, type ThreadSearch } from "../storage/threads";
import type { AuthFilters } from "../storage/sql";
import { badRequest, bodyObject, oneOf, optionalObject, optionalUuid, page, uuid, type JsonObject } from "../validate";
import type { Limits } from "../limits";
import { input, inputOf, parsed, setNextPage } from "./input";
import { pickFields, readBack } from "./read-back";

/** A thread without its contents, for callers who may write but not read it. */
const redactThread = (thread: Thread) => pickFields(thread, ["thread_id", "created_at", "updated_at"]);

const THREAD_STATUSES = ["idle", "busy", "interrupted", "error"] as const;

export const threadNotFound = (threadId: string) => new HTTPException(404, { message: `Thread ${threadId} not found` });

/** The thread if the caller's filters let them see it; otherwise the same 404 as a missing one. */
export async function visibleThread(db: Queryable, threadId: string, filters: AuthFilters): Promise<Thread> {
  const thread = await threads.getThread(db, threadId, filters);
  if (!thread) throw threadNotFound(threadId);
  return thread;
}

interface CreateInput extends JsonObject {
  thread_id?: string;
  metadata: JsonObject;
  if_exists: "raise" | "do_nothing";
}

function parseCreate(req: Request): CreateInput {
  const body = bodyObject(req.body);
  return {
    thread_id: optionalUuid(body.thread_id, "thread_id"),
    metadata: optionalObject(body.metadata, "metadata") ?? {},
    if_exists: oneOf(body.if_exists, "if_exists", ["raise", "do_nothing"] as const) ?? "raise",
  };
}

function parseId(req: Request): { thread_id: string } {
  return { thread_id: uuid(req.params.thread_id, "thread_id") };
}

function parsePatch(req: Request): { thread_id: string; metadata: JsonObject } {
  const body = bodyObject(req.body);
  const metadata = optionalObject(body.metadata, "metadata");
  if (metadata === undefined)
    throw badRequest('PATCH /threads/:thread_id takes {"metadata": {...}} to merge into the thread\'s metadata');
  return { thread_id: uuid(req.params.thread_id, "thread_id"), metadata };
}

function parseSearch(req: Request): ThreadSearch & JsonObject {
  const body = bodyObject(req.body);
  const ids = body.ids;
  if (ids !== undefined && ids !== null && (!Array.isArray(ids) || ids.length > 1000)) {
    throw badRequest("ids must be an array of at most 1000 thread ids");
  }
  return {
    metadata: optionalObject(body.metadata, "metadata"),
    ids: Array.isArray(ids) ? ids.map((id, i) => uuid(id, `ids[${i}]`)) : undefined,
    status: oneOf(body.status, "status", THREAD_STATUSES),
    sort_by: oneOf(body.sort_by, "sort_by", THREAD_SORT_COLUMNS),
    sort_order: oneOf(body.sort_order, "sort_order", ["asc", "desc"] as const),
    ...page(body),
  };
}

/** The thread's latest state, in LangGraph's `ThreadState` shape. */
function threadState(thread: Thread) {
  return {
    values: thread.values,
    next: [],
    tasks: [],
    metadata: { ...thread.metadata, thread_id: thread.thread_id },
    created_at: thread.state_updated_at,
    checkpoint: { thread_id: thread.thread_id, checkpoint_ns: "", checkpoint_id: null, checkpoint_map: null },
    parent_checkpoint: null,
    interrupts: [],
  };
}

/**
 * Threads: create, read, update (metadata), delete, search, copy, state.
 * Every route is guarded and applies the handler's filter in SQL: a foreign
 * thread is indistinguishable from a missing one (404); a taken id is 409.
 */
export function threadRoutes(db: Db, auth: AppAuth, limits: Limits): Router {
  const router = Router();

  router.post("/threads", input(parseCreate), auth.guard("threads:create", { value: parsed }), async (req, res) => {
    const { thread_id, metadata, if_exists } = inputOf<CreateInput>(res);
    const result = await threads.createThread(db, { thread_id, metadata }, req.auth?.filters);
    if (result.kind === "conflict" || (result.kind === "exists" && if_exists !== "do_nothing")) {
      throw new HTTPException(409, { message: `Thread ${thread_id} already exists` });
    }
    res.json(await readBack(db, auth, req.auth!, "threads:read", result.record.thread_id, result.record, redactThread));
  });

  router.post(
    "/threads/search",
    input(parseSearch),
    auth.guard("threads:search", { value: parsed }),
    async (req, res) => {
      const query = inputOf<ThreadSearch>(res);
      const page = await threads.searchThreads(db, query, req.auth?.filters, limits.maxResponseBytes);
      setNextPage(res, query.offset, page.threads.length, page.truncated);
      res.json(page.threads);
    },
  );

  router.get("/threads/:thread_id", input(parseId), auth.guard("threads:read", { value: parsed }), async (req, res) => {
    const { thread_id } = inputOf<{ thread_id: string }>(res);
    res.json(await visibleThread(db, thread_id, req.auth?.filters));
  });

  router.get(
    "/threads/:thread_id/state",
    input(parseId),
    auth.guard("threads:read", { value: parsed }),
    async (req, res) => {
      const { thread_id } = inputOf<{ thread_id: string }>(res);
      res.json(threadState(await visibleThread(db, thread_id, req.auth?.filters)));
    },
  );

  router.patch(
    "/threads/:thread_id",
    input(parsePatch),
    auth.guard("threads:update", { value: parsed }),
    async (req, res) => {
      const { thread_id, metadata } = inputOf<{ thread_id: string; metadata: JsonObject }>(res);
      const thread = await threads.patchThread(db, thread_id, metadata, req.auth?.filters, limits.maxThreadStateBytes);
      if (!thread) throw threadNotFound(thread_id);
      res.json(await readBack(db, auth, req.auth!, "threads:read", thread_id, thread, redactThread));
    },
  );

  router.delete(
    "/threads/:thread_id",
    input(parseId),
    auth.guard("threads:delete", { value: parsed }),
    async (req, res) => {
      const { thread_id } = inputOf<{ thread_id: string }>(res);
      if (!(await threads.deleteThread(db, thread_id, req.auth?.filters))) throw threadNotFound(thread_id);
      res.status(204).end();
    },
  );

  // Copying reads the source (threads:read, scoped) and creates a thread
  // (threads:create, so the create handler stamps the copy as it would any new thread).
  router.post(
    "/threads/:thread_id/copy",
    input(parseId),
    auth.guard("threads:read", { value: parsed }),
    async (req, res) => {
      const { thread_id } = inputOf<{ thread_id: string }>(res);
      const source = await visibleThread(db, thread_id, req.auth?.filters);
      const value = { metadata: { ...source.metadata } };
      const decision = await auth.authorize(req.auth, "threads:create", value);
      const result = await threads.createThread(
        db,
        { metadata: value.metadata, state: source.values },
        decision.filters,
      );
      if (result.kind !== "created") throw new Error("a freshly generated thread id was taken");
      res.json(result.record);
    },
  );

  return router;
}
