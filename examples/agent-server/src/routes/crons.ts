import { Router, type Request, type RequestHandler } from "express";
import { HTTPException } from "@gatehouse/express";
import type { AppAuth } from "../auth";
import type { Db } from "../db";
import * as crons from "../storage/crons";
import { CRON_SORT_COLUMNS, type Cron, type CronSearch } from "../storage/crons";
import {
  badRequest,
  bodyObject,
  optionalBoolean,
  oneOf,
  optionalObject,
  optionalString,
  optionalUuid,
  page,
  uuid,
  type JsonObject,
} from "../validate";
import { resolveAssistant } from "./assistant-ref";
import type { Limits } from "../limits";
import { input, inputOf, parsed, setNextPage } from "./input";
import { pickFields, readBack } from "./read-back";

/** A cron without its contents, for callers who may write but not read it. */
const redactCron = (cron: Cron) => pickFields(cron, ["cron_id", "created_at", "updated_at"]);
import { visibleThread } from "./threads";

// Five or six fields of digits, names, and * / , - ? L W # (standard cron syntax).
const CRON_FIELD = /^[0-9A-Za-z*/,\-?LW#]+$/;

function schedule(value: unknown, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw badRequest('schedule is required: a cron expression such as "*/5 * * * *"');
    return undefined;
  }
  const fields = typeof value === "string" ? value.trim().split(/\s+/) : [];
  if (fields.length < 5 || fields.length > 6 || !fields.every((field) => CRON_FIELD.test(field))) {
    throw badRequest('schedule must be a cron expression with 5 fields, such as "*/5 * * * *"');
  }
  return fields.join(" ");
}

function timestamp(value: unknown, name: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || Number.isNaN(Date.parse(value)))
    throw badRequest(`${name} must be an ISO 8601 date-time`);
  return new Date(value).toISOString();
}

interface CreateInput extends JsonObject {
  assistant_id: string;
  thread_id?: string;
  schedule: string;
  metadata: JsonObject;
  payload: JsonObject;
  enabled: boolean;
  timezone: string | null;
  on_run_completed: string | null;
  end_time: string | null;
}

function parseCreate(req: Request): CreateInput {
  const body = bodyObject(req.body);
  if (typeof body.assistant_id !== "string" || body.assistant_id.length === 0)
    throw badRequest("assistant_id is required");
  const payload: JsonObject = {};
  for (const key of [
    "input",
    "config",
    "context",
    "interrupt_before",
    "interrupt_after",
    "webhook",
    "multitask_strategy",
    "stream_mode",
  ]) {
    if (body[key] !== undefined && body[key] !== null) payload[key] = body[key];
  }
  return {
    assistant_id: body.assistant_id,
    thread_id: req.params.thread_id === undefined ? undefined : uuid(req.params.thread_id, "thread_id"),
    schedule: schedule(body.schedule, true)!,
    metadata: optionalObject(body.metadata, "metadata") ?? {},
    payload,
    enabled: optionalBoolean(body.enabled, "enabled") ?? true,
    timezone: optionalString(body.timezone, "timezone", 100) ?? null,
    on_run_completed: oneOf(body.on_run_completed, "on_run_completed", ["delete", "keep"] as const) ?? null,
    end_time: timestamp(body.end_time, "end_time"),
  };
}

function parseSearch(req: Request): CronSearch & JsonObject {
  const body = bodyObject(req.body);
  return {
    assistant_id: optionalUuid(body.assistant_id, "assistant_id"),
    thread_id: optionalUuid(body.thread_id, "thread_id"),
    enabled: optionalBoolean(body.enabled, "enabled"),
    metadata: optionalObject(body.metadata, "metadata"),
    sort_by: oneOf(body.sort_by, "sort_by", CRON_SORT_COLUMNS),
    sort_order: oneOf(body.sort_order, "sort_order", ["asc", "desc"] as const),
    ...page(body),
  };
}

const notFound = (cronId: string) => new HTTPException(404, { message: `Cron ${cronId} not found` });

/**
 * Crons: stored schedules (this example does not fire them). A cron on a
 * thread also needs `threads:create_run` on that thread, since it would run there.
 */
export function cronRoutes(db: Db, auth: AppAuth, limits: Limits): Router {
  const router = Router();

  const create: RequestHandler = async (req, res) => {
    const cron = inputOf<CreateInput>(res);
    const assistant = await resolveAssistant(db, auth, req.auth!, cron.assistant_id);
    if (cron.thread_id) {
      const decision = await auth.authorize(req.auth, "threads:create_run", {
        thread_id: cron.thread_id,
        assistant_id: assistant.id,
      });
      await visibleThread(db, cron.thread_id, decision.filters);
    }
    const created = await crons.createCron(db, {
      ...cron,
      assistant_id: assistant.id,
      thread_id: cron.thread_id ?? null,
      user_id: req.auth!.user.identity,
    });
    res.json(await readBack(db, auth, req.auth!, "crons:read", created.cron_id, created, redactCron));
  };
  router.post("/runs/crons", input(parseCreate), auth.guard("crons:create", { value: parsed }), create);
  router.post(
    "/threads/:thread_id/runs/crons",
    input(parseCreate),
    auth.guard("crons:create", { value: parsed }),
    create,
  );

  router.post(
    "/runs/crons/search",
    input(parseSearch),
    auth.guard("crons:search", { value: parsed }),
    async (req, res) => {
      const query = inputOf<CronSearch>(res);
      const page = await crons.searchCrons(db, query, req.auth?.filters, limits.maxResponseBytes);
      setNextPage(res, query.offset, page.crons.length, page.truncated);
      res.json(page.crons);
    },
  );

  router.patch(
    "/runs/crons/:cron_id",
    input((req) => {
      const body = bodyObject(req.body);
      return {
        cron_id: uuid(req.params.cron_id, "cron_id"),
        schedule: schedule(body.schedule, false),
        enabled: optionalBoolean(body.enabled, "enabled"),
        metadata: optionalObject(body.metadata, "metadata"),
      };
    }),
    auth.guard("crons:update", { value: parsed }),
    async (req, res) => {
      const { cron_id, ...patch } = inputOf<{
        cron_id: string;
        schedule?: string;
        enabled?: boolean;
        metadata?: JsonObject;
      }>(res);
      const cron = await crons.patchCron(db, cron_id, patch, req.auth?.filters);
      if (!cron) throw notFound(cron_id);
      res.json(await readBack(db, auth, req.auth!, "crons:read", cron_id, cron, redactCron));
    },
  );

  router.delete(
    "/runs/crons/:cron_id",
    input((req) => ({ cron_id: uuid(req.params.cron_id, "cron_id") })),
    auth.guard("crons:delete", { value: parsed }),
    async (req, res) => {
      const { cron_id } = inputOf<{ cron_id: string }>(res);
      if (!(await crons.deleteCron(db, cron_id, req.auth?.filters))) throw notFound(cron_id);
      res.status(204).end();
    },
  );

  return router;
}
