import type { RequestOptions, Transport } from "../http";
import type {
  Thread,
  ThreadCreate,
  ThreadHistoryQuery,
  ThreadSearch,
  ThreadState,
  ThreadStateQuery,
  ThreadUpdate,
} from "../types";
import { call, path, toVoid } from "./call";

/**
 * `client.threads`: LangGraph's `/threads` routes.
 *
 * @example
 * ```ts
 * const thread = await client.threads.create({ metadata: { topic: "tax" } });
 * const mine = await client.threads.search({ metadata: { topic: "tax" }, limit: 10 });
 * ```
 */
export interface ThreadsResource {
  /** `POST /threads`. @example `await client.threads.create({ metadata: { topic: "tax" } })` */
  create(body?: ThreadCreate, options?: RequestOptions): Promise<Thread>;
  /** `GET /threads/:thread_id`; `NotFoundError` when missing or not yours. @example `await client.threads.get(id)` */
  get(threadId: string, options?: RequestOptions): Promise<Thread>;
  /** `PATCH /threads/:thread_id`. @example `await client.threads.update(id, { metadata: { done: true } })` */
  update(threadId: string, body: ThreadUpdate, options?: RequestOptions): Promise<Thread>;
  /** `DELETE /threads/:thread_id`. @example `await client.threads.delete(id)` */
  delete(threadId: string, options?: RequestOptions): Promise<void>;
  /** `POST /threads/search`. @example `await client.threads.search({ status: "idle", limit: 10 })` */
  search(query?: ThreadSearch, options?: RequestOptions): Promise<Thread[]>;
  /** `POST /threads/:thread_id/copy`. @example `const copy = await client.threads.copy(id)` */
  copy(threadId: string, options?: RequestOptions): Promise<Thread>;
  /**
   * `GET /threads/:thread_id/state` (or `/state/:checkpoint_id`): the thread's values and next steps.
   * @example `const { values } = await client.threads.state<{ messages: Message[] }>(id)`
   */
  state<TValues = Record<string, unknown>>(
    threadId: string,
    query?: ThreadStateQuery,
    options?: RequestOptions,
  ): Promise<ThreadState<TValues>>;
  /** `POST /threads/:thread_id/history`: past states, newest first. @example `const states = await client.threads.history(id, { limit: 10 })` */
  history<TValues = Record<string, unknown>>(
    threadId: string,
    query?: ThreadHistoryQuery,
    options?: RequestOptions,
  ): Promise<ThreadState<TValues>[]>;
}

export function threadsResource(t: Transport): ThreadsResource {
  return {
    create: async (body = {}, options) => call(t, "POST", "/threads", body, options),
    get: async (threadId, options) => call(t, "GET", path`/threads/${threadId}`, undefined, options),
    update: async (threadId, body, options) => call(t, "PATCH", path`/threads/${threadId}`, body, options),
    delete: async (threadId, options) => call(t, "DELETE", path`/threads/${threadId}`, undefined, options).then(toVoid),
    search: async (query = {}, options) => call(t, "POST", "/threads/search", query, options),
    copy: async (threadId, options) => call(t, "POST", path`/threads/${threadId}/copy`, undefined, options),
    state: async <TValues>(threadId: string, query: ThreadStateQuery = {}, options?: RequestOptions) => {
      const url =
        query.checkpointId === undefined
          ? path`/threads/${threadId}/state`
          : path`/threads/${threadId}/state/${query.checkpointId}`;
      const params = query.subgraphs === undefined ? undefined : { subgraphs: query.subgraphs };
      return call<ThreadState<TValues>>(t, "GET", url, undefined, options, params);
    },
    history: async <TValues>(threadId: string, query: ThreadHistoryQuery = {}, options?: RequestOptions) =>
      call<ThreadState<TValues>[]>(t, "POST", path`/threads/${threadId}/history`, query, options),
  };
}
