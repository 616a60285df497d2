import { HTTPException } from "@gatehouse/express";
import type { AppAuth, AuthContext } from "../auth";
import type { Db } from "../db";
import { GRAPHS, systemAssistantId, systemGraphFor, type Graph } from "../graph";
import { getAssistant } from "../storage/assistants";
import { badRequest } from "../validate";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The graph an `assistant_id` in a run or cron names: a graph id or a system
 * assistant id directly (like LangGraph), otherwise a stored assistant the
 * caller may read, checked through `assistants:read` and its filter (a
 * foreign assistant is a 404, as on GET /assistants/:id).
 */
export async function resolveAssistant(
  db: Db,
  auth: AppAuth,
  context: AuthContext,
  assistantId: unknown,
): Promise<{ id: string; graph: Graph }> {
  if (typeof assistantId !== "string" || assistantId.length === 0) {
    throw badRequest(`assistant_id is required: a graph id (${[...GRAPHS.keys()].join(", ")}) or an assistant's UUID`);
  }
  const system = systemGraphFor(assistantId);
  if (system) return { id: systemAssistantId(system.graphId), graph: system };
  if (!UUID.test(assistantId)) {
    throw badRequest(`assistant_id must be a graph id (${[...GRAPHS.keys()].join(", ")}) or an assistant's UUID`);
  }
  const id = assistantId.toLowerCase();
  const decision = await auth.authorize(context, "assistants:read", { assistant_id: id });
  const assistant = await getAssistant(db, id, decision.filters);
  const graph = assistant ? GRAPHS.get(assistant.graph_id) : undefined;
  if (!graph) throw new HTTPException(404, { message: `Assistant ${assistantId} not found` });
  return { id, graph };
}
