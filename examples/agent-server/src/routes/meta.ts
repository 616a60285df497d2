import { Router } from "express";
import type { Db } from "../db";
import { GRAPHS, systemAssistantId } from "../graph";

/** Paths served without authentication. */
export const PUBLIC_PATHS = ["/health", "/info"] as const;

/** Public routes: `/health` (checks the database) and `/info` (what this server offers). */
export function metaRoutes(db: Db): Router {
  const router = Router();

  router.get("/health", async (_req, res) => {
    try {
      await db.query("SELECT 1", [], { read: "fresh" });
      res.json({ ok: true, database: db.kind });
    } catch {
      res.status(503).json({ error: "service_unavailable", message: "The database does not answer" });
    }
  });

  router.get("/info", (_req, res) => {
    res.json({
      name: "gatehouse-agent-server",
      version: "0.1.0",
      flags: { assistants: true, crons: true, store: true, langsmith: false },
      graphs: [...GRAPHS.values()].map((graph) => ({
        graph_id: graph.graphId,
        assistant_id: systemAssistantId(graph.graphId),
        description: graph.description,
      })),
      auth: { scheme: "Bearer", algorithm: "HS256" },
    });
  });

  return router;
}
