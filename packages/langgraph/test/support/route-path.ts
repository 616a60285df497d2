/**
 * A concrete path for a route of GATEWAY_ROUTES, its `:params` replaced by the
 * ids of records a test created on the real LangGraph server.
 */

/** The records a route path can name (a `:namespace` is always "x"). */
export interface RecordIds {
  thread: string;
  run: string;
  checkpoint: string;
  assistant: string;
}

/** `/threads/:thread_id/runs/:run_id` with `ids` → `/threads/<thread>/runs/<run>`. */
export function routePath(path: string, ids: RecordIds): string {
  const params: Record<string, string> = {
    thread_id: ids.thread,
    run_id: ids.run,
    checkpoint_id: ids.checkpoint,
    assistant_id: ids.assistant,
    namespace: "x",
  };
  return path.replace(/:([a-z_]+)/g, (_, name: string) => params[name]);
}
