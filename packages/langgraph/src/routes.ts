/**
 * The route table: every LangGraph HTTP route the gateway serves, the auth
 * event LangGraph's own server raises for it, and how the gateway enforces the
 * handler's answer. A route not listed here is refused (404), never forwarded.
 */

/**
 * How the gateway enforces a decision on a route.
 *
 * @example
 * GATEWAY_ROUTES.filter((r) => r.kind === "read").map((r) => r.path); // ["/threads/:thread_id", "/assistants/:assistant_id"]
 */
export type RouteKind =
  /** No authentication; forwarded as is (`/info`, `/ok`). */
  | "public"
  /** Create: the handler's `value.metadata` is sent; a caller-chosen id that exists outside the filter is a 409. */
  | "create"
  /** By-id read: the answer's metadata must match the filter, else 404. */
  | "read"
  /** Search: the filter is AND-ed into the body's `metadata`; a contradiction answers `[]` without asking upstream. */
  | "search"
  /** Count: as search, a contradiction answers `0`. */
  | "count"
  /** Update: the record is read first and must match; the handler's `value.metadata` is the patch and must stay in scope. */
  | "update"
  /** By-id action on a record or its parent thread: the record is read first and must match, else 404. */
  | "scoped"
  /** Copy a thread: the source must match (`threads:read`), then `threads:create` decides the copy. */
  | "copy"
  /** A run on a thread: the thread is read first (must match, or not exist with `if_not_exists: "create"`). */
  | "thread-run"
  /** A run without a thread (`/runs`, `/runs/stream`, `/runs/wait`). */
  | "stateless-run"
  /** Several stateless runs: each is decided on its own. */
  | "batch-run"
  /** Assistant versions: the assistant must match; versions outside the filter are left out. */
  | "versions"
  /** Cron create: stamped metadata; on a thread, the thread must match. */
  | "cron-create"
  /** Cron search: crons outside the filter are left out. */
  | "cron-search"
  /** Cron delete: the cron is looked up first and must match. */
  | "cron-delete"
  | "store-put"
  | "store-get"
  | "store-delete"
  | "store-search"
  | "store-namespaces";

/**
 * One route of LangGraph's HTTP API as the gateway serves it.
 *
 * @example
 * const route: GatewayRoute = { method: "GET", path: "/threads/:thread_id", event: "threads:read", kind: "read", record: "thread" };
 */
export interface GatewayRoute {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The path as LangGraph's server declares it, Express syntax (`/threads/:thread_id`). */
  path: string;
  /** The auth event LangGraph raises for it; `null` for public routes. */
  event: string | null;
  kind: RouteKind;
  /** For by-id kinds: the record read to check the filter. */
  record?: "thread" | "assistant";
  /** The answer is streamed through (SSE, or LangGraph's keep-alive `wait` bodies). */
  stream?: boolean;
}

function r(
  method: GatewayRoute["method"],
  path: string,
  event: string | null,
  kind: RouteKind,
  extra: Partial<GatewayRoute> = {},
): GatewayRoute {
  return Object.freeze({ method, path, event, kind, ...extra });
}

const T = { record: "thread" } as const;
const A = { record: "assistant" } as const;
const STREAM = { stream: true } as const;

/**
 * Every route the gateway serves, checked by a test against the routes of the
 * installed `@langchain/langgraph-api` server.
 *
 * @example
 * import { GATEWAY_ROUTES } from "@gatehouse/langgraph";
 * for (const { method, path, event } of GATEWAY_ROUTES) console.log(method, path, event ?? "public");
 */
export const GATEWAY_ROUTES: readonly GatewayRoute[] = Object.freeze([
  r("GET", "/info", null, "public"),
  r("GET", "/ok", null, "public"),

  r("POST", "/threads", "threads:create", "create", T),
  r("POST", "/threads/search", "threads:search", "search"),
  r("POST", "/threads/count", "threads:search", "count"),
  r("GET", "/threads/:thread_id", "threads:read", "read", T),
  r("PATCH", "/threads/:thread_id", "threads:update", "update", T),
  r("DELETE", "/threads/:thread_id", "threads:delete", "scoped", T),
  r("POST", "/threads/:thread_id/copy", "threads:read", "copy", T),
  r("GET", "/threads/:thread_id/state", "threads:read", "scoped", T),
  r("POST", "/threads/:thread_id/state", "threads:update", "scoped", T),
  r("GET", "/threads/:thread_id/state/:checkpoint_id", "threads:read", "scoped", T),
  r("POST", "/threads/:thread_id/state/checkpoint", "threads:read", "scoped", T),
  r("GET", "/threads/:thread_id/history", "threads:read", "scoped", T),
  r("POST", "/threads/:thread_id/history", "threads:read", "scoped", T),

  r("GET", "/threads/:thread_id/runs", "threads:search", "scoped", T),
  r("POST", "/threads/:thread_id/runs", "threads:create_run", "thread-run", T),
  r("POST", "/threads/:thread_id/runs/stream", "threads:create_run", "thread-run", { ...T, ...STREAM }),
  r("POST", "/threads/:thread_id/runs/wait", "threads:create_run", "thread-run", { ...T, ...STREAM }),
  r("GET", "/threads/:thread_id/runs/:run_id", "threads:read", "scoped", T),
  r("DELETE", "/threads/:thread_id/runs/:run_id", "threads:delete", "scoped", T),
  r("GET", "/threads/:thread_id/runs/:run_id/join", "threads:read", "scoped", { ...T, ...STREAM }),
  r("GET", "/threads/:thread_id/runs/:run_id/stream", "threads:read", "scoped", { ...T, ...STREAM }),
  r("POST", "/threads/:thread_id/runs/:run_id/cancel", "threads:update", "scoped", T),
  r("POST", "/runs", "threads:create_run", "stateless-run"),
  r("POST", "/runs/stream", "threads:create_run", "stateless-run", STREAM),
  r("POST", "/runs/wait", "threads:create_run", "stateless-run", STREAM),
  r("POST", "/runs/batch", "threads:create_run", "batch-run"),

  r("POST", "/runs/crons", "crons:create", "cron-create"),
  r("POST", "/threads/:thread_id/runs/crons", "crons:create", "cron-create", T),
  r("POST", "/runs/crons/search", "crons:search", "cron-search"),
  r("DELETE", "/runs/crons/:cron_id", "crons:delete", "cron-delete"),

  r("POST", "/assistants", "assistants:create", "create", A),
  r("POST", "/assistants/search", "assistants:search", "search"),
  r("POST", "/assistants/count", "assistants:search", "count"),
  r("GET", "/assistants/:assistant_id", "assistants:read", "read", A),
  r("PATCH", "/assistants/:assistant_id", "assistants:update", "update", A),
  r("DELETE", "/assistants/:assistant_id", "assistants:delete", "scoped", A),
  r("GET", "/assistants/:assistant_id/graph", "assistants:read", "scoped", A),
  r("GET", "/assistants/:assistant_id/schemas", "assistants:read", "scoped", A),
  r("GET", "/assistants/:assistant_id/subgraphs", "assistants:read", "scoped", A),
  r("GET", "/assistants/:assistant_id/subgraphs/:namespace", "assistants:read", "scoped", A),
  r("POST", "/assistants/:assistant_id/latest", "assistants:update", "scoped", A),
  r("POST", "/assistants/:assistant_id/versions", "assistants:read", "versions", A),

  r("PUT", "/store/items", "store:put", "store-put"),
  r("GET", "/store/items", "store:get", "store-get"),
  r("DELETE", "/store/items", "store:delete", "store-delete"),
  r("POST", "/store/items/search", "store:search", "store-search"),
  r("POST", "/store/namespaces", "store:list_namespaces", "store-namespaces"),
]);

/**
 * Routes of LangGraph's JS server the gateway refuses on purpose, with why.
 * The route-table test requires every upstream route to be in `GATEWAY_ROUTES`
 * or here, so a route added upstream fails a test until it is mapped.
 *
 * @example
 * import { REFUSED_ROUTES } from "@gatehouse/langgraph";
 * REFUSED_ROUTES.find((r) => r.path === "/internal/truncate")?.reason;
 */
export const REFUSED_ROUTES: readonly { method: string; path: string; reason: string }[] = Object.freeze([
  { method: "POST", path: "/internal/truncate", reason: "wipes the whole server; an operator task, not a user's" },
  {
    method: "GET",
    path: "/runs/:run_id/stream",
    reason: "names no thread, so the owner cannot be checked; join through /threads/:thread_id/runs/:run_id/stream",
  },
  {
    method: "GET",
    path: "/threads/:thread_id/stream/events",
    reason: "protocol v2 WebSocket transport: not proxied yet",
  },
  { method: "POST", path: "/threads/:thread_id/stream/events", reason: "protocol v2 event stream: not mapped yet" },
  { method: "POST", path: "/threads/:thread_id/commands", reason: "protocol v2 commands: not mapped yet" },
]);
