// Starts LangGraph's own JS server (@langchain/langgraph-api, unmodified, in memory) on
// 127.0.0.1 and an ephemeral port with the graph and recording auth beside this file;
// prints {"url": …} once listening and exits when its stdin closes.
import os from "node:os";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "@langchain/langgraph-api/server";

const here = path.dirname(fileURLToPath(import.meta.url));
const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-langgraph-"));
const { host, cleanup } = await startServer({
  port: 0,
  nWorkers: 1,
  host: "127.0.0.1",
  cwd,
  graphs: { agent: path.join(here, "graph.mjs") + ":graph" },
  auth: { path: path.join(here, "auth.mjs") + ":auth", disable_studio_auth: true },
});
process.stdout.write(JSON.stringify({ url: `http://${host}` }) + "\n");
process.stdin.resume();
process.stdin.on("end", async () => {
  await cleanup().catch(() => undefined);
  fs.rmSync(cwd, { recursive: true, force: true });
  process.exit(0);
});
