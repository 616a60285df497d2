/**
 * LangGraph's REST request and response shapes, as they go over the wire
 * (snake_case), so the client talks to the example server and to any
 * LangGraph-compatible API alike.
 */

/**
 * Free-form metadata on threads, assistants, runs and crons; authorization filters match on it.
 *
 * @example
 * ```ts
 * const metadata: Metadata = { topic: "tax", owner: "alice" };
 * ```
 */
export type Metadata = Record<string, unknown>;

/**
 * A run's config (LangGraph's `RunnableConfig` on the wire).
 *
 * @example
 * ```ts
 * const config: Config = { tags: ["beta"], configurable: { model: "small" } };
 * ```
 */
export interface Config {
  tags?: string[];
  recursion_limit?: number;
  configurable?: Record<string, unknown>;
}

/** @example `const s: ThreadStatus = "idle";` */
export type ThreadStatus = "idle" | "busy" | "interrupted" | "error";
/** @example `const s: RunStatus = "success";` */
export type RunStatus = "pending" | "running" | "error" | "success" | "timeout" | "interrupted";
/** @example `const m: MultitaskStrategy = "enqueue";` */
export type MultitaskStrategy = "reject" | "interrupt" | "rollback" | "enqueue";
/** @example `const o: SortOrder = "desc";` */
export type SortOrder = "asc" | "desc";
/** What `create` does when the caller-chosen id exists. @example `{ thread_id: id, if_exists: "do_nothing" }` */
export type IfExists = "raise" | "do_nothing";

/**
 * A thread: a conversation with its state `values`.
 *
 * @example
 * ```ts
 * const thread: Thread = await client.threads.get(id);
 * console.log(thread.thread_id, thread.metadata.owner);
 * ```
 */
export interface Thread<TValues = Record<string, unknown>> {
  thread_id: string;
  created_at: string;
  updated_at: string;
  metadata: Metadata;
  status: ThreadStatus;
  values?: TValues;
  interrupts?: Record<string, unknown[]>;
  config?: Config;
  error?: string | Record<string, unknown> | null;
}

/** Body of `POST /threads`. @example `client.threads.create({ metadata: { topic: "tax" } })` */
export interface ThreadCreate {
  thread_id?: string;
  metadata?: Metadata;
  if_exists?: IfExists;
  graph_id?: string;
  ttl?: number | { ttl: number; strategy?: "delete" };
}

/** Body of `PATCH /threads/:id`. @example `client.threads.update(id, { metadata: { done: true } })` */
export interface ThreadUpdate {
  metadata?: Metadata;
  ttl?: number | { ttl: number; strategy?: "delete" };
}

/** Body of `POST /threads/search`. @example `client.threads.search({ metadata: { topic: "tax" }, limit: 10 })` */
export interface ThreadSearch {
  metadata?: Metadata;
  ids?: string[];
  values?: Record<string, unknown>;
  status?: ThreadStatus;
  limit?: number;
  offset?: number;
  sort_by?: "thread_id" | "status" | "created_at" | "updated_at";
  sort_order?: SortOrder;
}

/**
 * An assistant: a graph plus its configuration.
 *
 * @example
 * ```ts
 * const assistant: Assistant = await client.assistants.get("agent");
 * ```
 */
export interface Assistant {
  assistant_id: string;
  graph_id: string;
  config: Config;
  context?: unknown;
  created_at: string;
  updated_at: string;
  metadata: Metadata;
  version: number;
  name: string;
  description?: string | null;
}

/** Body of `POST /assistants`. @example `client.assistants.create({ graph_id: "agent", name: "Tax helper" })` */
export interface AssistantCreate {
  graph_id: string;
  assistant_id?: string;
  config?: Config;
  context?: unknown;
  metadata?: Metadata;
  if_exists?: IfExists;
  name?: string;
  description?: string;
}

/** Body of `PATCH /assistants/:id`. @example `client.assistants.update(id, { name: "Renamed" })` */
export type AssistantUpdate = Partial<Omit<AssistantCreate, "assistant_id" | "if_exists">>;

/** Body of `POST /assistants/search`. @example `client.assistants.search({ graph_id: "agent" })` */
export interface AssistantSearch {
  graph_id?: string;
  name?: string;
  metadata?: Metadata;
  limit?: number;
  offset?: number;
  sort_by?: "assistant_id" | "graph_id" | "name" | "created_at" | "updated_at";
  sort_order?: SortOrder;
}

/**
 * A run of an assistant on a thread.
 *
 * @example
 * ```ts
 * const run: Run = await client.runs.get(threadId, runId);
 * if (run.status === "success") done();
 * ```
 */
export interface Run {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  created_at: string;
  updated_at: string;
  status: RunStatus;
  metadata: Metadata;
  multitask_strategy?: MultitaskStrategy | null;
  kwargs?: Record<string, unknown>;
}

/** Body of `POST /threads/:id/runs` and `/runs/wait`. @example `client.runs.create(id, { assistant_id: "agent", input: {} })` */
export interface RunCreate {
  assistant_id: string;
  input?: unknown;
  command?: Record<string, unknown>;
  metadata?: Metadata;
  config?: Config;
  context?: unknown;
  checkpoint_id?: string;
  interrupt_before?: "*" | string[];
  interrupt_after?: "*" | string[];
  webhook?: string;
  multitask_strategy?: MultitaskStrategy;
  if_not_exists?: "create" | "reject";
  after_seconds?: number;
  stream_mode?: string | string[];
}

/** Query of `POST /threads/:id/runs/:run_id/cancel`. @example `client.runs.cancel(id, runId, { wait: true, action: "rollback" })` */
export interface RunCancel {
  /** Wait until the run is cancelled before answering. */
  wait?: boolean;
  action?: "interrupt" | "rollback";
}

/**
 * A thread's state at a checkpoint, as `GET /threads/:id/state` and the history return it.
 *
 * @example
 * ```ts
 * const state: ThreadState<{ messages: unknown[] }> = await client.threads.state(id);
 * console.log(state.values.messages.length, state.next);
 * ```
 */
export interface ThreadState<TValues = Record<string, unknown>> {
  values: TValues;
  next: string[];
  checkpoint?: Record<string, unknown> | null;
  metadata?: Metadata | null;
  created_at?: string | null;
  parent_checkpoint?: Record<string, unknown> | null;
  tasks?: unknown[];
  [key: string]: unknown;
}

/** Options of `threads.state`. @example `client.threads.state(id, { checkpointId: "1ef…", subgraphs: true })` */
export interface ThreadStateQuery {
  /** The state at this checkpoint (`GET /threads/:id/state/:checkpoint_id`) instead of the latest. */
  checkpointId?: string;
  subgraphs?: boolean;
}

/** Body of `POST /threads/:id/history`. @example `client.threads.history(id, { limit: 5 })` */
export interface ThreadHistoryQuery {
  limit?: number;
  before?: Record<string, unknown> | string;
  metadata?: Metadata;
  checkpoint?: Record<string, unknown>;
}

/** Query of `GET /threads/:id/runs`. @example `client.runs.list(id, { limit: 5, status: "success" })` */
export interface RunList {
  limit?: number;
  offset?: number;
  status?: RunStatus;
}

/**
 * A scheduled run.
 *
 * @example
 * ```ts
 * const [cron]: Cron[] = await client.crons.search({ assistant_id: "agent" });
 * ```
 */
export interface Cron {
  cron_id: string;
  assistant_id: string;
  thread_id?: string | null;
  schedule: string;
  payload: Record<string, unknown>;
  metadata?: Metadata;
  enabled?: boolean;
  timezone?: string | null;
  on_run_completed?: "delete" | "keep" | null;
  end_time?: string | null;
  next_run_date?: string | null;
  user_id?: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * Body of `POST /runs/crons`. As in LangGraph, the run fields (`input`,
 * `config`, ...) go at the top level; the server stores them as the cron's `payload`.
 * With `thread_id`, `crons.create` sends it as `POST /threads/:thread_id/runs/crons`.
 *
 * @example `client.crons.create({ assistant_id: "agent", schedule: "0 9 * * *", input: { q: "news" } })`
 */
export interface CronCreate {
  assistant_id: string;
  schedule: string;
  /** Bind the cron to this thread (sent in the path of `POST /threads/:thread_id/runs/crons`). */
  thread_id?: string;
  input?: unknown;
  metadata?: Metadata;
  config?: Config;
  context?: unknown;
  interrupt_before?: "*" | string[];
  interrupt_after?: "*" | string[];
  webhook?: string;
  multitask_strategy?: MultitaskStrategy;
  stream_mode?: string | string[];
  enabled?: boolean;
  timezone?: string;
  on_run_completed?: "delete" | "keep";
  end_time?: string;
}

/** Body of `POST /runs/crons/search`. @example `client.crons.search({ thread_id: id })` */
export interface CronSearch {
  assistant_id?: string;
  thread_id?: string;
  metadata?: Metadata;
  limit?: number;
  offset?: number;
  sort_by?: "cron_id" | "assistant_id" | "thread_id" | "created_at" | "updated_at" | "next_run_date";
  sort_order?: SortOrder;
}

/**
 * A store item. The namespace is a path of labels, e.g. `["alice", "notes"]`.
 *
 * @example
 * ```ts
 * const item: Item | null = await client.store.getItem(["alice", "notes"], "n1");
 * ```
 */
export interface Item<TValue = Record<string, unknown>> {
  namespace: string[];
  key: string;
  value: TValue;
  created_at: string;
  updated_at: string;
}

/** A search hit; `score` is set for semantic search. @example `items.map((i: SearchItem) => i.score)` */
export interface SearchItem<TValue = Record<string, unknown>> extends Item<TValue> {
  score?: number | null;
}

/** Response of `POST /store/items/search`. @example `const { items }: SearchItemsResponse = await client.store.searchItems(["alice"]);` */
export interface SearchItemsResponse<TValue = Record<string, unknown>> {
  items: SearchItem<TValue>[];
}

/** Options of `searchItems`. @example `client.store.searchItems(["alice"], { filter: { kind: "note" }, limit: 20 })` */
export interface SearchItemsQuery {
  filter?: Record<string, unknown>;
  limit?: number;
  offset?: number;
  query?: string;
}

/** Options of `listNamespaces`. @example `client.store.listNamespaces({ prefix: ["alice"], max_depth: 2 })` */
export interface ListNamespacesQuery {
  prefix?: string[];
  suffix?: string[];
  max_depth?: number;
  limit?: number;
  offset?: number;
}

/** Response of `POST /store/namespaces`. @example `const { namespaces }: ListNamespaceResponse = await client.store.listNamespaces();` */
export interface ListNamespaceResponse {
  namespaces: string[][];
}
