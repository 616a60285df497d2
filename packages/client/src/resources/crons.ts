import type { RequestOptions, Transport } from "../http";
import type { Cron, CronCreate, CronSearch } from "../types";
import { call, path, toVoid } from "./call";

/**
 * `client.crons`: LangGraph's `/runs/crons` routes.
 *
 * @example
 * ```ts
 * const cron = await client.crons.create({ assistant_id: "agent", schedule: "0 9 * * *", thread_id: id });
 * await client.crons.delete(cron.cron_id);
 * ```
 */
export interface CronsResource {
  /**
   * `POST /runs/crons`, or with `thread_id` LangGraph's thread-cron route
   * `POST /threads/:thread_id/runs/crons` (the id goes in the path, not the body).
   * @example `await client.crons.create({ assistant_id: "agent", schedule: "0 * * * *" })`
   */
  create(body: CronCreate, options?: RequestOptions): Promise<Cron>;
  /** `POST /runs/crons/search`. @example `await client.crons.search({ assistant_id: "agent" })` */
  search(query?: CronSearch, options?: RequestOptions): Promise<Cron[]>;
  /** `DELETE /runs/crons/:cron_id`. @example `await client.crons.delete(cronId)` */
  delete(cronId: string, options?: RequestOptions): Promise<void>;
}

export function cronsResource(t: Transport): CronsResource {
  return {
    create: async (body, options) => {
      const { thread_id: threadId, ...rest } = body;
      return threadId === undefined || threadId === null
        ? call(t, "POST", "/runs/crons", body, options)
        : call(t, "POST", path`/threads/${threadId}/runs/crons`, rest, options);
    },
    search: async (query = {}, options) => call(t, "POST", "/runs/crons/search", query, options),
    delete: async (cronId, options) => call(t, "DELETE", path`/runs/crons/${cronId}`, undefined, options).then(toVoid),
  };
}
