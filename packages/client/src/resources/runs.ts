import type { RequestOptions, Transport } from "../http";
import { runStream, type StreamOptions, type StreamPart } from "../stream";
import type { Run, RunCancel, RunCreate, RunList } from "../types";
import { call, path, toVoid } from "./call";

/**
 * `client.runs`: LangGraph's `/threads/:thread_id/runs` routes, and streaming.
 *
 * @example
 * ```ts
 * const run = await client.runs.create(thread.thread_id, { assistant_id: "agent", input: {} });
 * for await (const part of client.runs.stream(thread.thread_id, { assistant_id: "agent", input: {} })) console.log(part);
 * ```
 */
export interface RunsResource {
  /** `POST /threads/:thread_id/runs`: start a background run. @example `await client.runs.create(id, { assistant_id: "agent", input: {} })` */
  create(threadId: string, body: RunCreate, options?: RequestOptions): Promise<Run>;
  /**
   * `POST /threads/:thread_id/runs/wait`: run and resolve with the thread's final values.
   * @example `const values = await client.runs.wait<{ answer: string }>(id, { assistant_id: "agent", input: {} })`
   */
  wait<TValues = Record<string, unknown>>(
    threadId: string,
    body: RunCreate,
    options?: RequestOptions,
  ): Promise<TValues>;
  /** `GET /threads/:thread_id/runs`. @example `await client.runs.list(id, { limit: 5 })` */
  list(threadId: string, query?: RunList, options?: RequestOptions): Promise<Run[]>;
  /** `GET /threads/:thread_id/runs/:run_id`. @example `await client.runs.get(id, runId)` */
  get(threadId: string, runId: string, options?: RequestOptions): Promise<Run>;
  /**
   * `POST /threads/:thread_id/runs/stream` (or `POST /runs/stream` with a `null`
   * thread: a stateless run): the run's server-sent events as they come. A
   * dropped connection resumes through `joinStream` with `Last-Event-ID`.
   * @example
   * ```ts
   * for await (const { event, data } of client.runs.stream(id, { assistant_id: "agent", input, stream_mode: ["values"] })) {
   *   if (event === "values") render(data);
   * }
   * ```
   */
  stream(threadId: string | null, body: RunCreate, options?: StreamOptions): AsyncIterable<StreamPart>;
  /**
   * `GET /threads/:thread_id/runs/:run_id/stream`: join a run's stream, from
   * the start or after `lastEventId`.
   * @example `for await (const part of client.runs.joinStream(id, runId, { lastEventId: "2" })) render(part)`
   */
  joinStream(threadId: string, runId: string, options?: StreamOptions): AsyncIterable<StreamPart>;
  /** `GET /threads/:thread_id/runs/:run_id/join`: wait for the run, resolve with the thread's values. @example `await client.runs.join(id, runId)` */
  join<TValues = Record<string, unknown>>(threadId: string, runId: string, options?: RequestOptions): Promise<TValues>;
  /**
   * `POST /threads/:thread_id/runs/:run_id/cancel?wait=&action=`.
   * @example `await client.runs.cancel(id, runId, { wait: true, action: "interrupt" })`
   */
  cancel(threadId: string, runId: string, cancel?: RunCancel, options?: RequestOptions): Promise<void>;
}

export function runsResource(t: Transport): RunsResource {
  return {
    create: async (threadId, body, options) => call(t, "POST", path`/threads/${threadId}/runs`, body, options),
    wait: async <TValues>(threadId: string, body: RunCreate, options?: RequestOptions) =>
      call<TValues>(t, "POST", path`/threads/${threadId}/runs/wait`, body, options),
    list: async (threadId, query = {}, options) =>
      call(t, "GET", path`/threads/${threadId}/runs`, undefined, options, query),
    get: async (threadId, runId, options) =>
      call(t, "GET", path`/threads/${threadId}/runs/${runId}`, undefined, options),
    stream: (threadId, body, options) => {
      const url = threadId === null ? "/runs/stream" : path`/threads/${threadId}/runs/stream`;
      return runStream(t, { method: "POST", url, body }, options, threadId === null ? {} : { threadId });
    },
    joinStream: (threadId, runId, options) =>
      runStream(t, { method: "GET", url: path`/threads/${threadId}/runs/${runId}/stream` }, options, {
        threadId,
        runId,
      }),
    join: async <TValues>(threadId: string, runId: string, options?: RequestOptions) =>
      call<TValues>(t, "GET", path`/threads/${threadId}/runs/${runId}/join`, undefined, options),
    cancel: async (threadId, runId, cancel = {}, options) =>
      call(t, "POST", path`/threads/${threadId}/runs/${runId}/cancel`, undefined, options, {
        ...(cancel.wait === undefined ? {} : { wait: cancel.wait ? 1 : 0 }),
        ...(cancel.action === undefined ? {} : { action: cancel.action }),
      }).then(toVoid),
  };
}
