/**
 * Runs and crons: `threads:create_run` with stamped metadata, the caller's
 * identity in the run's `config.configurable`, the parent thread checked first.
 */
import { HTTPException, type AuthContext } from "@gatehouse/express";
import { type Call, notFound } from "./call";
import {
  forwardListInScope,
  metadataInput,
  requireInScope,
  requireSameThread,
  stampedMetadata,
} from "./enforce-records";
import { inScope, metadataOf, type Scope } from "./scope";
import { badGateway } from "./upstream";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Puts the caller into the run's `config.configurable` under the names
 * LangGraph's own server uses, replacing anything the caller sent there:
 * `langgraph_auth_user_id` (the identity), `langgraph_auth_user`
 * (identity, display_name, permissions, is_authenticated) and
 * `langgraph_auth_permissions`.
 *
 * @example
 * // In a graph node behind the gateway:
 * const node = (state, config) => ({ user_id: config.configurable.langgraph_auth_user_id });
 * // What the gateway does to each run body:
 * withAuthUser(body, req.auth.user); // body.config.configurable.langgraph_auth_user_id === "alice"
 */
export function withAuthUser(body: Record<string, unknown>, user: AuthContext["user"]): void {
  const config = isPlainObject(body.config) ? { ...body.config } : {};
  const configurable = isPlainObject(config.configurable) ? { ...config.configurable } : {};
  const permissions = [...user.permissions];
  configurable.langgraph_auth_user_id = user.identity;
  configurable.langgraph_auth_user = {
    identity: user.identity,
    display_name: user.display_name ?? user.identity,
    permissions,
    is_authenticated: user.is_authenticated ?? true,
  };
  configurable.langgraph_auth_permissions = permissions;
  config.configurable = configurable;
  body.config = config;
}

/** The value LangGraph passes to `threads:create_run`. */
function runValue(threadId: string | undefined, body: Record<string, unknown>): Record<string, unknown> {
  const { assistant_id, metadata: _metadata, multitask_strategy, if_not_exists, after_seconds, ...kwargs } = body;
  const strategy = multitask_strategy ?? "reject";
  return {
    thread_id: threadId,
    assistant_id,
    status: "pending",
    metadata: metadataInput(body),
    prevent_insert_if_inflight: strategy === "reject",
    multitask_strategy: strategy,
    if_not_exists: if_not_exists ?? "reject",
    after_seconds: after_seconds ?? 0,
    kwargs,
  };
}

async function decideRun(call: Call, threadId: string | undefined, body: Record<string, unknown>): Promise<Scope> {
  const value = runValue(threadId, body);
  const scope = await call.decide("threads:create_run", value);
  const metadata = stampedMetadata(value);
  if (metadata !== undefined) body.metadata = metadata;
  withAuthUser(body, call.user);
  return scope;
}

/** POST /threads/:thread_id/runs[/stream|/wait]: the thread must match, or not exist and be created by the run. */
export async function threadRun(call: Call): Promise<void> {
  const body = call.body();
  const threadId = call.param("thread_id");
  const scope = await decideRun(call, threadId, body);
  requireSameThread(call, body);
  if (Object.keys(scope).length > 0) {
    const thread = await call.readRecord("thread", threadId);
    if (thread ? !inScope(scope, thread.metadata) : body.if_not_exists !== "create") throw notFound();
  }
  await call.forward("POST", call.upstreamPath() + call.query(), body);
}

/** POST /runs[/stream|/wait]: a run on a temporary thread, stamped like any other. */
export async function statelessRun(call: Call): Promise<void> {
  const body = call.body();
  await decideRun(call, undefined, body);
  await call.forward("POST", call.upstreamPath() + call.query(), body);
}

/** POST /runs/batch: every run is decided on its own; one refusal refuses the batch. */
export async function batchRun(call: Call): Promise<void> {
  const runs: unknown = call.req.body;
  if (!Array.isArray(runs) || runs.length === 0)
    throw new HTTPException(400, { message: "The body must be a non-empty JSON array of runs" });
  const bodies: Record<string, unknown>[] = [];
  for (const run of runs) {
    if (!isPlainObject(run)) throw new HTTPException(400, { message: "Each run must be a JSON object" });
    const body = { ...run };
    await decideRun(call, undefined, body);
    bodies.push(body);
  }
  await call.forward("POST", call.upstreamPath(), bodies);
}

/** POST /runs/crons, POST /threads/:thread_id/runs/crons. */
export async function cronCreate(call: Call): Promise<void> {
  const body = call.body();
  const value: Record<string, unknown> = { ...body, metadata: metadataInput(body) };
  if (call.route.record) value.thread_id = call.param("thread_id");
  const scope = await call.decide("crons:create", value);
  const metadata = stampedMetadata(value);
  if (metadata !== undefined) body.metadata = metadata;
  withAuthUser(body, call.user);
  if (call.route.record) await requireInScope(call, scope);
  const { data, headers } = await call.fetchJson("POST", call.upstreamPath(), body);
  call.sendJson(200, data, headers);
}

/** POST /runs/crons/search: crons outside the filter are left out of the page. */
export async function cronSearch(call: Call): Promise<void> {
  const body = call.body();
  const scope = await call.decide("crons:search", { ...body });
  await forwardListInScope(call, scope, body);
}

const CRON_PAGE = 100;
const CRON_PAGES = 100;

/** DELETE /runs/crons/:cron_id: LangGraph has no by-id cron read, so the cron is found by search and must match. */
export async function cronDelete(call: Call): Promise<void> {
  const cronId = call.param("cron_id");
  const scope = await call.decide("crons:delete", { cron_id: cronId });
  if (Object.keys(scope).length > 0) {
    let found: unknown;
    for (let page = 0; page < CRON_PAGES && found === undefined; page++) {
      const { data } = await call.fetchJson("POST", "/runs/crons/search", {
        limit: CRON_PAGE,
        offset: page * CRON_PAGE,
      });
      if (!Array.isArray(data)) throw badGateway();
      found = data.find((cron) => isPlainObject(cron) && cron.cron_id === cronId);
      if (data.length < CRON_PAGE) break;
    }
    if (found === undefined || !inScope(scope, metadataOf(found))) throw notFound();
  }
  await call.forward("DELETE", call.upstreamPath());
}
