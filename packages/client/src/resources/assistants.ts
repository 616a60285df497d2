import type { RequestOptions, Transport } from "../http";
import type { Assistant, AssistantCreate, AssistantSearch, AssistantUpdate } from "../types";
import { call, path, toVoid } from "./call";

/**
 * `client.assistants`: LangGraph's `/assistants` routes.
 *
 * @example
 * ```ts
 * const a = await client.assistants.create({ graph_id: "agent", name: "Tax helper" });
 * await client.assistants.update(a.assistant_id, { name: "Tax expert" });
 * ```
 */
export interface AssistantsResource {
  /** `POST /assistants`. @example `await client.assistants.create({ graph_id: "agent" })` */
  create(body: AssistantCreate, options?: RequestOptions): Promise<Assistant>;
  /** `GET /assistants/:assistant_id`. @example `await client.assistants.get(id)` */
  get(assistantId: string, options?: RequestOptions): Promise<Assistant>;
  /** `PATCH /assistants/:assistant_id`. @example `await client.assistants.update(id, { metadata: { tier: "pro" } })` */
  update(assistantId: string, body: AssistantUpdate, options?: RequestOptions): Promise<Assistant>;
  /** `DELETE /assistants/:assistant_id`. @example `await client.assistants.delete(id)` */
  delete(assistantId: string, options?: RequestOptions): Promise<void>;
  /** `POST /assistants/search`. @example `await client.assistants.search({ graph_id: "agent", limit: 10 })` */
  search(query?: AssistantSearch, options?: RequestOptions): Promise<Assistant[]>;
}

export function assistantsResource(t: Transport): AssistantsResource {
  return {
    create: async (body, options) => call(t, "POST", "/assistants", body, options),
    get: async (assistantId, options) => call(t, "GET", path`/assistants/${assistantId}`, undefined, options),
    update: async (assistantId, body, options) => call(t, "PATCH", path`/assistants/${assistantId}`, body, options),
    delete: async (assistantId, options) =>
      call(t, "DELETE", path`/assistants/${assistantId}`, undefined, options).then(toVoid),
    search: async (query = {}, options) => call(t, "POST", "/assistants/search", query, options),
  };
}
