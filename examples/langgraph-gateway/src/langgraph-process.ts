import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

/** A running LangGraph server process (see langgraph-server.mts). */
export interface LangGraphProcess {
  /** Its base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s); resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartLangGraphOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** LangGraph's queue workers (default 10). */
  workers?: number;
  /** Where its output goes: "inherit" (default) or "ignore"; "pipe" leaves `child.stdout/stderr` to the caller. */
  stdio?: "inherit" | "ignore" | "pipe";
  /** Waits this long for it to listen (default 120 s: the first start loads LangGraph and compiles nothing, but a busy machine is slow). */
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts LangGraph's own JS server with the `agent` graph in a child process
 * and resolves once it listens. From the built output it runs
 * `dist/langgraph-server.mjs` with plain Node; from the sources (tests) it runs
 * `src/langgraph-server.mts` through tsx.
 *
 * @example
 * const langgraph = await startLangGraph({ port: 0 });
 * console.log(langgraph.url); // http://127.0.0.1:41234
 * await langgraph.stop();
 */
export async function startLangGraph(options: StartLangGraphOptions = {}): Promise<LangGraphProcess> {
  const fromSources = path.extname(__filename) === ".ts";
  const entry = path.join(__dirname, fromSources ? "langgraph-server.mts" : "langgraph-server.mjs");
  const args = [
    ...(fromSources ? ["--import", "tsx"] : []),
    entry,
    "--host",
    options.host ?? "127.0.0.1",
    "--port",
    String(options.port ?? 0),
    "--workers",
    String(options.workers ?? 10),
  ];
  const stdio = options.stdio ?? "inherit";
  const child = spawn(process.execPath, args, {
    // The example's directory, so that `--import tsx` resolves from its node_modules.
    cwd: path.join(__dirname, ".."),
    env: options.env ?? process.env,
    stdio: [stdio === "pipe" ? "pipe" : "ignore", stdio, stdio, "ipc"],
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });

  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(force);
    }
    if (child.connected) child.disconnect();
  };

  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`LangGraph's server did not start within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const onMessage = (message: unknown) => {
      const m = message as { type?: unknown; url?: unknown } | null;
      if (m && m.type === "listening" && typeof m.url === "string") {
        done();
        resolve(m.url);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(new Error(`LangGraph's server exited before listening (${signal ?? `code ${code}`})`));
    const onError = (error: Error) => fail(error);
    function done() {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      child.off("error", onError);
    }
    function fail(error: Error) {
      done();
      void stop(1_000).then(() => reject(error));
    }
    child.on("message", onMessage);
    child.once("exit", onExit);
    child.once("error", onError);
  });
  return { url, child, stop };
}
