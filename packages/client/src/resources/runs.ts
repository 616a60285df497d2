import type { RequestOptions, Transport } from "../http";
import type { Run, RunCreate, RunList } from "../types";
import { call, path } from "./call";

/**
 * `client.runs`: LangGraph's `/threads/:thread_id/runs` routes.
 *
 * @example
 * ```ts
 * const run = await client.runs.create(thread.thread_id, { assistant_id: "agent", input: {} });
 * const runs = await client.runs.list(thread.thread_id);
 * ```
 */
export interface RunsResource {
  /** `POST /threads/:thread_id/runs`: start a background run. @example `await client.runs.create(id, { assistant_id: "agent", input: {} })` */
  create(threadId: string, body: RunCreate, options?: RequestOptions): Promise<Run>;
  /**
   * `POST /threads/:thread_id/runs/wait`: run and resolve with the thread's final values.
   * @example `const values = await client.runs.wait<{ answer: string }>(id, { assistant_id: "agent", input: {} })`
   */
  wait<TValues = Record<string, unknown>>(threadId: string, body: RunCreate, options?: RequestOptions): Promise<TValues>;
  /** `GET /threads/:thread_id/runs`. @example `await client.runs.list(id, { limit: 5 })` */
  list(threadId: string, query?: RunList, options?: RequestOptions): Promise<Run[]>;
  /** `GET /threads/:thread_id/runs/:run_id`. @example `await client.runs.get(id, runId)` */
  get(threadId: string, runId: string, options?: RequestOptions): Promise<Run>;
}

export function runsResource(t: Transport): RunsResource {
  return {
    create: async (threadId, body, options) => call(t, "POST", path`/threads/${threadId}/runs`, body, options),
    wait: async <TValues>(threadId: string, body: RunCreate, options?: RequestOptions) =>
      call<TValues>(t, "POST", path`/threads/${threadId}/runs/wait`, body, options),
    list: async (threadId, query = {}, options) => call(t, "GET", path`/threads/${threadId}/runs`, undefined, options, query),
    get: async (threadId, runId, options) => call(t, "GET", path`/threads/${threadId}/runs/${runId}`, undefined, options),
  };
}
