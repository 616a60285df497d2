/**
 * `GET /ready`: whether this process should get traffic. Public, like
 * `/health`; 503 while the process shuts down or when the database does not
 * answer, so a load balancer stops sending requests before they fail.
 */
import { Router } from "express";
import { workerIndex } from "./cluster";
import type { Db } from "./db";

/** What the process is doing; `draining` is set by the shutdown. */
export interface Lifecycle {
  draining: boolean;
}

/** The path of the readiness probe (served before authentication). */
export const READY_PATH = "/ready";

/**
 * The readiness route. Its body says which database answered and, under
 * `WORKERS=N`, which worker (1…N) answered.
 *
 * @example
 * const lifecycle = { draining: false };
 * app.use(readiness(db, lifecycle)); // before auth.middleware()
 */
export function readiness(db: Db, lifecycle: Lifecycle): Router {
  const router = Router();
  const worker = workerIndex();
  router.get(READY_PATH, async (_req, res) => {
    res.set("Cache-Control", "no-store");
    if (lifecycle.draining) {
      res.status(503).json({ error: "service_unavailable", message: "Shutting down" });
      return;
    }
    try {
      await db.query("SELECT 1", [], { read: "fresh" });
    } catch {
      res.status(503).json({ error: "service_unavailable", message: "The database does not answer" });
      return;
    }
    res.json({ ok: true, database: db.kind, ...(worker === undefined ? {} : { worker }) });
  });
  return router;
}
