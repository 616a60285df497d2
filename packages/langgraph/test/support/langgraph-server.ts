/**
 * LangGraph's own JS server (@langchain/langgraph-api, unmodified, in memory)
 * in a child process on 127.0.0.1 and an ephemeral port, with the two-step
 * graph and the event-recording custom auth in ../langgraph-server/.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export interface LangGraphServer {
  url: string;
  stop(): Promise<void>;
}

export async function startLangGraph(eventsFile: string): Promise<LangGraphServer> {
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, "..", "langgraph-server", "start.mjs")], {
    env: { ...process.env, GATEHOUSE_EVENTS_FILE: eventsFile, LOG_LEVEL: "error" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let errors = "";
  child.stderr!.on("data", (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith('{"url"'));
      if (line) resolve(JSON.parse(line).url);
    });
    child.once("exit", (code) => reject(new Error(`LangGraph server exited with ${code}: ${errors}`)));
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin!.end();
      await exited;
    },
  };
}
