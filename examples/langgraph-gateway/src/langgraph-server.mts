/**
 * LangGraph's own JS server (`@langchain/langgraph-api`, unmodified) with the
 * `agent` graph, as a process of its own: in memory (its working files go to a
 * fresh temporary directory, removed on exit), no auth of its own (the gateway
 * in front is the auth), listening on `--host` (default 127.0.0.1) and `--port`
 * (default 0: a free port).
 *
 *   node dist/langgraph-server.mjs --host 127.0.0.1 --port 0 [--workers 10]
 *
 * When it listens it prints `LangGraph server listening on http://HOST:PORT`
 * and, started with an IPC channel (see langgraph-process.ts), sends
 * `{ type: "listening", url }` to its parent. SIGINT, SIGTERM or the parent
 * going away stop it: LangGraph's cleanup, then the temporary directory.
 * LangGraph's log level is `LOG_LEVEL` (default here: error; its startup version check misreports versions under plain Node).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

process.env.LOG_LEVEL ||= "error";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "0" },
    workers: { type: "string", default: "10" },
  },
});
const port = Number(values.port);
const workers = Number(values.workers);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  throw new Error(`--port must be an integer from 0 to 65535, got ${values.port}`);
if (!Number.isInteger(workers) || workers < 1)
  throw new Error(`--workers must be a positive integer, got ${values.workers}`);

// The graph beside this file: graph.mts under tsx (tests), graph.mjs once built.
const here = fileURLToPath(import.meta.url);
const graphFile = path.join(path.dirname(here), `graph${path.extname(here)}`);

// Imported after LOG_LEVEL is set: LangGraph's logger reads it when loaded.
const { startServer } = await import("@langchain/langgraph-api/server");

const cwd = await mkdtemp(path.join(tmpdir(), "gatehouse-langgraph-"));
let cleanup: (() => Promise<void>) | undefined;
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(code || 1), 10_000);
  force.unref();
  try {
    await cleanup?.();
  } catch (error) {
    console.error("LangGraph server cleanup failed:", error);
  }
  await rm(cwd, { recursive: true, force: true });
  process.exit(code);
}

process.once("SIGINT", () => void stop(0));
process.once("SIGTERM", () => void stop(0));
process.once("disconnect", () => void stop(0)); // the parent went away: do not linger

try {
  const started = await startServer({
    host: values.host,
    port,
    nWorkers: workers,
    cwd,
    // A path relative to cwd: the spec is "file:export" and an absolute Windows path has a colon.
    graphs: { agent: `${path.relative(cwd, graphFile)}:graph` },
  });
  cleanup = started.cleanup;
  const url = `http://${started.host}`;
  console.log(`LangGraph server listening on ${url}`);
  process.send?.({ type: "listening", url });
} catch (error) {
  console.error(`LangGraph server failed to start: ${error instanceof Error ? error.message : String(error)}`);
  await stop(1);
}
