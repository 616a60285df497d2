/**
 * LangGraph's own server for `bench/peer.js`, from the repository's
 * `@langchain/langgraph-api` (a devDependency of packages/langgraph and
 * examples/langgraph-gateway), so the peer benchmark needs no registry: the same
 * in-memory server `langgraphjs dev` runs, with the project's `langgraph.json`
 * (graphs and auth, written by bench/peer.js) and no file watching.
 *
 *   node bench/peer/langgraph-server.mjs --config bench/peers/langgraph/langgraph.json --host 127.0.0.1 --port 2124
 *
 * LOG_LEVEL defaults to error: no line per request, like the example server in the benchmark.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

process.env.LOG_LEVEL ||= "error";

const { values } = parseArgs({
  options: {
    config: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "2124" },
  },
});
if (!values.config) throw new Error("--config <langgraph.json> is required");
const config = JSON.parse(readFileSync(values.config, "utf8"));
const cwd = path.dirname(path.resolve(values.config));

// Imported after LOG_LEVEL is set: LangGraph's logger reads it when loaded.
const { startServer } = await import("@langchain/langgraph-api/server");
const started = await startServer({
  host: values.host,
  port: Number(values.port),
  nWorkers: 10,
  cwd,
  graphs: config.graphs,
  ...(config.auth ? { auth: config.auth } : {}),
});
console.log(`LangGraph server listening on http://${started.host}`);
const stop = async () => {
  try {
    await started.cleanup?.();
  } finally {
    process.exit(0);
  }
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
