/**
 * Threads and assistants: create, by-id read, search/count, update, the by-id
 * routes checked on their record first, copy and versions.
 */
import { HTTPException } from "@gatehouse/express";
import { type Call, notFound, UpstreamAnswer } from "./call";
import { inScope, mergeSearchMetadata, metadataOf, type Scope } from "./scope";
import { badGateway } from "./upstream";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The body's `metadata` as an object the handler may stamp (a copy), `{}` when absent. */
export function metadataInput(body: Record<string, unknown>): Record<string, unknown> {
  const metadata = body.metadata;
  if (metadata === undefined || metadata === null) return {};
  if (!isPlainObject(metadata)) throw new HTTPException(400, { message: '"metadata" must be a JSON object' });
  return { ...metadata };
}

/** The handler's `value.metadata` after it ran, which is what goes upstream. */
export function stampedMetadata(value: { metadata?: unknown }): Record<string, unknown> | undefined {
  if (value.metadata === undefined || value.metadata === null) return undefined;
  if (!isPlainObject(value.metadata)) throw new HTTPException(500, { message: "Internal server error" });
  return value.metadata;
}

const unscoped = (scope: Scope): boolean => Object.keys(scope).length === 0;

function idKey(record: "thread" | "assistant"): "thread_id" | "assistant_id" {
  return record === "thread" ? "thread_id" : "assistant_id";
}

/** The value LangGraph passes for a create: the body with `metadata`. */
function createValue(record: "thread" | "assistant", body: Record<string, unknown>): Record<string, unknown> {
  const metadata = metadataInput(body);
  if (record === "thread") return { thread_id: body.thread_id, metadata, if_exists: body.if_exists };
  const { assistant_id, config, context, graph_id, if_exists, name, description } = body;
  return { assistant_id, config, context, graph_id, metadata, if_exists, name, description };
}

/** POST /threads, POST /assistants. */
export async function create(call: Call): Promise<void> {
  const record = call.route.record!;
  const body = call.body();
  const value = createValue(record, body);
  const scope = await call.decide(call.route.event!, value);
  const metadata = stampedMetadata(value);
  if (metadata !== undefined) body.metadata = metadata;
  const chosenId = typeof body[idKey(record)] === "string" ? (body[idKey(record)] as string) : undefined;
  if (chosenId !== undefined && !unscoped(scope)) {
    const existing = await call.readRecord(record, chosenId);
    if (existing && !inScope(scope, existing.metadata)) throw new HTTPException(409, { message: "Already exists" });
  }
  const answer = await call.fetchJson("POST", call.upstreamPath(), body);
  if (chosenId !== undefined && !inScope(scope, metadataOf(answer.data)))
    throw new HTTPException(409, { message: "Already exists" });
  call.sendChecked(answer);
}

/** GET /threads/:thread_id, GET /assistants/:assistant_id: checked on the answer, no extra round trip. */
export async function read(call: Call): Promise<void> {
  const record = call.route.record!;
  const scope = await call.decide(call.route.event!, { [idKey(record)]: call.param(idKey(record)) });
  const answer = await call.fetchJson("GET", call.upstreamPath() + call.query());
  if (!isPlainObject(answer.data)) throw badGateway();
  if (!inScope(scope, answer.data.metadata)) throw notFound();
  call.sendChecked(answer);
}

function searchValue(call: Call, body: Record<string, unknown>): Record<string, unknown> {
  const count = call.route.kind === "count";
  const paging = count ? { limit: 0, offset: 0 } : { limit: body.limit, offset: body.offset };
  if (call.route.event === "threads:search") {
    return { metadata: body.metadata, ids: body.ids, status: body.status, values: body.values, ...paging };
  }
  return { graph_id: body.graph_id, metadata: body.metadata, ...paging };
}

/** POST …/search and …/count: the filter AND the caller's metadata, in the upstream query itself. */
export async function search(call: Call): Promise<void> {
  const body = call.body();
  const count = call.route.kind === "count";
  const scope = await call.decide(call.route.event!, searchValue(call, body));
  const merged = mergeSearchMetadata(body.metadata, scope);
  if (merged === null) {
    if (count) call.sendJson(200, 0);
    else call.sendJson(200, [], { "x-pagination-total": String(typeof body.offset === "number" ? body.offset : 0) });
    return;
  }
  if (!unscoped(scope)) body.metadata = merged;
  // A `select` without metadata would hide what the gateway must check: ask for it, then drop it.
  const dropMetadata = !count && !unscoped(scope) && Array.isArray(body.select) && !body.select.includes("metadata");
  if (dropMetadata) body.select = [...(body.select as unknown[]), "metadata"];
  const answer = await call.fetchJson("POST", call.upstreamPath(), body);
  const { data, headers } = answer;
  if (count) {
    if (typeof data !== "number") throw badGateway();
    call.sendChecked(answer);
    return;
  }
  if (!Array.isArray(data)) throw badGateway();
  for (const item of data) {
    if (!inScope(scope, metadataOf(item))) {
      call.logger.error(
        `[gatehouse/langgraph] ${call.route.path}: the upstream answered records outside the metadata filter it was sent; refusing (502)`,
      );
      throw badGateway();
    }
    if (dropMetadata) delete (item as Record<string, unknown>).metadata;
  }
  if (dropMetadata) call.sendJson(200, data, headers);
  else call.sendChecked(answer);
}

/** The value LangGraph passes for a by-id action: the route's ids, plus what the action adds. */
function byIdValue(call: Call, body: Record<string, unknown>): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const name of Object.keys(call.req.params)) value[name] = call.param(name);
  if (call.route.path.endsWith("/cancel")) {
    value.action = typeof call.req.query.action === "string" ? call.req.query.action : "interrupt";
    value.metadata = { run_ids: [value.run_id], status: "pending" };
  } else if (call.route.path.endsWith("/latest")) {
    value.version = body.version;
  } else if (call.route.path === "/threads/:thread_id/runs") {
    value.metadata = call.req.query.metadata;
    value.status = call.req.query.status;
  }
  return value;
}

/**
 * A `checkpoint` in the body names its own `thread_id`, which LangGraph's
 * server lets override the route's: it must be the route's thread.
 */
export function requireSameThread(call: Call, body: Record<string, unknown> | undefined): void {
  const checkpoint = body?.checkpoint;
  if (checkpoint === undefined || checkpoint === null) return;
  if (!isPlainObject(checkpoint)) throw new HTTPException(400, { message: '"checkpoint" must be a JSON object' });
  if (checkpoint.thread_id !== undefined && checkpoint.thread_id !== call.param("thread_id")) {
    throw new HTTPException(400, { message: '"checkpoint.thread_id" must be the thread in the path' });
  }
}

/**
 * The record (or parent thread) must exist inside the scope, else the same 404
 * as a missing one. A run route also checks that the run belongs to that thread:
 * LangGraph's join and stream routes do not, and the thread is all the gateway checked.
 */
export async function requireInScope(call: Call, scope: Scope): Promise<void> {
  if (unscoped(scope)) return;
  const record = call.route.record!;
  const existing = await call.readRecord(record, call.param(idKey(record)));
  if (!existing || !inScope(scope, existing.metadata)) throw notFound();
  if (call.route.path.includes("/:run_id") && call.route.path !== "/threads/:thread_id/runs/:run_id") {
    const run = `/threads/${encodeURIComponent(call.param("thread_id"))}/runs/${encodeURIComponent(call.param("run_id"))}`;
    try {
      const { data } = await call.fetchJson("GET", run);
      if (!isPlainObject(data) || data.thread_id !== call.param("thread_id")) throw notFound();
    } catch (err) {
      if (err instanceof UpstreamAnswer && (err.status === 404 || err.status === 422)) throw notFound();
      throw err;
    }
  }
}

/** A by-id route forwarded once its record (or parent thread) matched. */
export async function scoped(call: Call): Promise<void> {
  const hasBody = call.req.method !== "GET" && call.req.method !== "DELETE";
  const body = hasBody ? call.body() : undefined;
  const scope = await call.decide(call.route.event!, byIdValue(call, body ?? {}));
  if (call.route.record === "thread") requireSameThread(call, body);
  await requireInScope(call, scope);
  if (call.route.method === "DELETE" && call.route.record === "assistant" && call.req.query.delete_threads === "true") {
    // LangGraph then deletes every thread made with this assistant, whoever owns it: only for callers unscoped on threads.
    const threads = await call.decide("threads:delete", { assistant_id: call.param("assistant_id") });
    if (!unscoped(threads))
      throw new HTTPException(403, {
        message: "Forbidden: delete_threads would delete threads outside your reach; delete your threads one by one",
      });
  }
  await call.forward(call.req.method, call.upstreamPath() + call.query(), body);
}

/** PATCH: the record must match; the patch is the handler's `value.metadata` and must keep it in scope. */
export async function update(call: Call): Promise<void> {
  const record = call.route.record!;
  const body = call.body();
  const id = call.param(idKey(record));
  const value: Record<string, unknown> =
    record === "thread"
      ? { thread_id: id, metadata: metadataInput(body) }
      : {
          assistant_id: id,
          graph_id: body.graph_id,
          config: body.config,
          metadata: metadataInput(body),
          name: body.name,
          description: body.description,
        };
  const scope = await call.decide(call.route.event!, value);
  const patch = stampedMetadata(value);
  if (patch !== undefined) body.metadata = patch;
  else delete body.metadata;
  if (!unscoped(scope)) {
    const existing = await call.readRecord(record, id);
    if (!existing || !inScope(scope, existing.metadata)) throw notFound();
    const after = { ...(isPlainObject(existing.metadata) ? existing.metadata : {}), ...(patch ?? {}) };
    if (!inScope(scope, after))
      throw new HTTPException(403, { message: "Forbidden: this update would move the record out of your reach" });
  }
  call.sendChecked(await call.fetchJson("PATCH", call.upstreamPath(), body));
}

/** POST /threads/:thread_id/copy: the source must match (threads:read); threads:create decides the copy. */
export async function copy(call: Call): Promise<void> {
  const id = call.param("thread_id");
  const scope = await call.decide("threads:read", { thread_id: id });
  const source = await call.readRecord("thread", id);
  if (!source || !inScope(scope, source.metadata)) throw notFound();
  const value = { metadata: { ...(isPlainObject(source.metadata) ? source.metadata : {}) } };
  await call.decide("threads:create", value);
  const copied = await call.fetchJson("POST", call.upstreamPath());
  const stamped = stampedMetadata(value);
  if (
    stamped &&
    isPlainObject(copied.data) &&
    typeof copied.data.thread_id === "string" &&
    JSON.stringify(stamped) !== JSON.stringify(source.metadata)
  ) {
    const patched = await call.fetchJson("PATCH", `/threads/${encodeURIComponent(copied.data.thread_id)}`, {
      metadata: stamped,
    });
    call.sendJson(200, patched.data, copied.headers);
    return;
  }
  call.sendJson(200, copied.data, copied.headers);
}

/** POST /assistants/:assistant_id/versions: the assistant must match; versions outside the filter are left out. */
export async function versions(call: Call): Promise<void> {
  const body = call.body();
  const scope = await call.decide("assistants:read", { assistant_id: call.param("assistant_id") });
  await requireInScope(call, scope);
  await forwardListInScope(call, scope, body);
}

/** POSTs `body` to the route upstream and answers only the listed records inside `scope` (not a list: 502). */
export async function forwardListInScope(call: Call, scope: Scope, body: Record<string, unknown>): Promise<void> {
  const { data, headers } = await call.fetchJson("POST", call.upstreamPath(), body);
  if (!Array.isArray(data)) throw badGateway();
  call.sendJson(
    200,
    data.filter((record) => inScope(scope, metadataOf(record))),
    headers,
  );
}
