import { Router, type Request } from "express";
import { HTTPException } from "@gatehouse/express";
import type { AppAuth } from "../auth";
import type { Db } from "../db";
import { GRAPHS, systemAssistantId, systemGraphFor } from "../graph";
import * as assistants from "../storage/assistants";
import {
  ASSISTANT_SORT_COLUMNS,
  type Assistant,
  type AssistantFields,
  type AssistantSearch,
} from "../storage/assistants";
import {
  badRequest,
  bodyObject,
  oneOf,
  optionalObject,
  optionalString,
  optionalUuid,
  page,
  uuid,
  type JsonObject,
} from "../validate";
import type { Limits } from "../limits";
import { input, inputOf, parsed } from "./input";
import { pickFields, readBack } from "./read-back";

/** An assistant without its contents, for callers who may write but not read it. */
const redactAssistant = (assistant: Assistant) => pickFields(assistant, ["assistant_id", "created_at", "updated_at"]);

const SELECT_FIELDS = [
  "assistant_id",
  "graph_id",
  "name",
  "description",
  "config",
  "context",
  "created_at",
  "updated_at",
  "metadata",
  "version",
] as const;

const notFound = (assistantId: string) => new HTTPException(404, { message: `Assistant ${assistantId} not found` });

function graphId(value: unknown, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw badRequest(`graph_id is required; available graphs: ${[...GRAPHS.keys()].join(", ")}`);
    return undefined;
  }
  if (typeof value !== "string" || !GRAPHS.has(value)) {
    throw badRequest(`graph_id must be one of the available graphs: ${[...GRAPHS.keys()].join(", ")}`);
  }
  return value;
}

function fields(body: JsonObject, creating: boolean): Partial<AssistantFields> {
  return {
    graph_id: graphId(body.graph_id, creating),
    name: optionalString(body.name, "name", 200),
    description: optionalString(body.description, "description", 2000),
    config: optionalObject(body.config, "config"),
    context: optionalObject(body.context, "context"),
    metadata: optionalObject(body.metadata, "metadata") ?? (creating ? {} : undefined),
  };
}

/** An assistant id in a path: a UUID, or a graph id naming its system assistant (as in LangGraph). */
function assistantIdParam(req: Request): string {
  const raw = req.params.assistant_id;
  const system = typeof raw === "string" ? systemGraphFor(raw) : undefined;
  return system ? systemAssistantId(system.graphId) : uuid(raw, "assistant_id");
}

function parseSearch(req: Request): AssistantSearch & JsonObject & { select?: string[] } {
  const body = bodyObject(req.body);
  const select = body.select;
  if (select !== undefined && select !== null && !Array.isArray(select))
    throw badRequest(`select must be an array of: ${SELECT_FIELDS.join(", ")}`);
  return {
    graph_id: graphId(body.graph_id, false),
    name: optionalString(body.name, "name", 200),
    metadata: optionalObject(body.metadata, "metadata"),
    sort_by: oneOf(body.sort_by, "sort_by", ASSISTANT_SORT_COLUMNS),
    sort_order: oneOf(body.sort_order, "sort_order", ["asc", "desc"] as const),
    select: Array.isArray(select) ? select.map((field) => oneOf(field, "select[]", SELECT_FIELDS)!) : undefined,
    ...page(body),
  };
}

function pick(assistant: Assistant, select: string[] | undefined): Partial<Assistant> {
  if (!select || select.length === 0) return assistant;
  return Object.fromEntries(Object.entries(assistant).filter(([key]) => select.includes(key)));
}

/**
 * Assistants: create, read, update, delete, search. The filter from the
 * handler scopes every route; search sets LangGraph's pagination headers
 * from the filtered count.
 */
export function assistantRoutes(db: Db, auth: AppAuth, limits: Limits): Router {
  const router = Router();

  router.post(
    "/assistants",
    input((req) => {
      const body = bodyObject(req.body);
      return {
        assistant_id: optionalUuid(body.assistant_id, "assistant_id"),
        if_exists: oneOf(body.if_exists, "if_exists", ["raise", "do_nothing"] as const) ?? "raise",
        ...fields(body, true),
      };
    }),
    auth.guard("assistants:create", { value: parsed }),
    async (req, res) => {
      const value = inputOf<AssistantFields & { assistant_id?: string; if_exists: string }>(res);
      const result = await assistants.createAssistant(db, value, req.auth?.filters);
      if (result.kind === "conflict" || (result.kind === "exists" && value.if_exists !== "do_nothing")) {
        throw new HTTPException(409, { message: `Assistant ${value.assistant_id} already exists` });
      }
      const { assistant_id } = result.record;
      res.json(await readBack(db, auth, req.auth!, "assistants:read", assistant_id, result.record, redactAssistant));
    },
  );

  router.post(
    "/assistants/search",
    input(parseSearch),
    auth.guard("assistants:search", { value: parsed }),
    async (req, res) => {
      const query = inputOf<AssistantSearch & { select?: string[] }>(res);
      const { assistants: found, total } = await assistants.searchAssistants(
        db,
        query,
        req.auth?.filters,
        limits.maxResponseBytes,
      );
      res.setHeader("X-Pagination-Total", String(total));
      if (query.offset + found.length < total) res.setHeader("X-Pagination-Next", String(query.offset + found.length));
      res.json(found.map((assistant) => pick(assistant, query.select)));
    },
  );

  router.get(
    "/assistants/:assistant_id",
    input((req) => ({ assistant_id: assistantIdParam(req) })),
    auth.guard("assistants:read", { value: parsed }),
    async (req, res) => {
      const { assistant_id } = inputOf<{ assistant_id: string }>(res);
      const assistant = await assistants.getAssistant(db, assistant_id, req.auth?.filters);
      if (!assistant) throw notFound(req.params.assistant_id as string);
      res.json(assistant);
    },
  );

  router.patch(
    "/assistants/:assistant_id",
    input((req) => ({ assistant_id: assistantIdParam(req), ...fields(bodyObject(req.body), false) })),
    auth.guard("assistants:update", { value: parsed }),
    async (req, res) => {
      const { assistant_id, ...patch } = inputOf<Partial<AssistantFields> & { assistant_id: string }>(res);
      const assistant = await assistants.patchAssistant(db, assistant_id, patch, req.auth?.filters);
      if (!assistant) throw notFound(req.params.assistant_id as string);
      res.json(await readBack(db, auth, req.auth!, "assistants:read", assistant_id, assistant, redactAssistant));
    },
  );

  router.delete(
    "/assistants/:assistant_id",
    input((req) => ({ assistant_id: assistantIdParam(req) })),
    auth.guard("assistants:delete", { value: parsed }),
    async (req, res) => {
      const { assistant_id } = inputOf<{ assistant_id: string }>(res);
      if (!(await assistants.deleteAssistant(db, assistant_id, req.auth?.filters)))
        throw notFound(req.params.assistant_id as string);
      res.status(204).end();
    },
  );

  return router;
}
