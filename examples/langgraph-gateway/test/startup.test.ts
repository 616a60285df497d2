/**
 * `npm run gateway` from the built output (`node dist/main.js`): it starts
 * LangGraph's server and the gateway, prints the gateway URL, two working
 * tokens and a curl line, and SIGTERM stops both servers. With LANGGRAPH_URL it
 * uses that server instead and sends LANGGRAPH_API_KEY upstream as x-api-key
 * (never the caller's token). Root `npm test` builds first.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { call } from "./support/stack";

const exampleDir = path.resolve(__dirname, "..");
const mainJs = path.join(exampleDir, "dist", "main.js");
const built = existsSync(mainJs);

jest.setTimeout(60_000);

if (!built) {
  test.skip(`skipped: ${path.relative(process.cwd(), mainJs)} is missing; run "npm run build" (root "npm test" builds first)`, () =>
    undefined);
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  url: string;
  alice: string;
  bob: string;
}

/** Runs dist/main.js with `env` and waits for its whole banner (it ends with the curl line). */
async function startMain(env: NodeJS.ProcessEnv): Promise<Started> {
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env };
  for (const name of ["JWT_SECRET", "LANGGRAPH_URL", "LANGGRAPH_API_KEY"]) if (!(name in env)) delete fullEnv[name];
  const child = spawn(process.execPath, [mainJs], { cwd: exampleDir, env: fullEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (/BOB_TOKEN=\S+\n[\s\S]*-d '\{\}'\n/.test(output)) resolve();
    };
    child.stdout.on("data", check);
    child.once("exit", (code) =>
      reject(new Error(`dist/main.js exited (code ${code}) before printing its tokens:\n${output}`)),
    );
  });
  return {
    child,
    output: () => output,
    exited,
    url: /Gatehouse gateway listening on (http:\/\/\S+)/.exec(output)![1],
    alice: /ALICE_TOKEN=(\S+)/.exec(output)![1],
    bob: /BOB_TOKEN=(\S+)/.exec(output)![1],
  };
}

async function kill(started: Started | undefined): Promise<void> {
  if (started && started.child.exitCode === null && started.child.signalCode === null) {
    started.child.kill("SIGKILL");
    await started.exited;
  }
}

(built ? describe : describe.skip)("node dist/main.js, starting LangGraph's server", () => {
  let main: Started;

  beforeAll(async () => {
    main = await startMain({});
  }, 180_000);

  afterAll(() => kill(main), 30_000);

  test("prints the gateway's real URL, the LangGraph server it started, two tokens and a curl line", () => {
    expect(main.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(main.output()).toMatch(/LangGraph server: http:\/\/127\.0\.0\.1:\d+ \(started here/);
    // Anyone reaching that URL reads every user's threads: the banner must say so beside it.
    expect(main.output()).toMatch(
      /LangGraph server: \S+ \(started here[^\n]*no auth of its own: call the gateway, not this URL\)/,
    );
    expect(main.output()).toContain("JWT secret: random for this start");
    expect(main.output()).toContain(`curl -s -X POST ${main.url}/threads -H "Authorization: Bearer ${main.alice}"`);
  });

  test("the printed tokens work: alice's thread and run, bob sees none of it, the graph saw alice", async () => {
    const created = await call(main.url, main.alice, "POST", "/threads", { metadata: { topic: "demo" } });
    expect(created).toMatchObject({ status: 200, body: { metadata: { topic: "demo", owner: "alice" } } });
    const threadId = (created.body as { thread_id: string }).thread_id;
    const bobSearch = await call(main.url, main.bob, "POST", "/threads/search", {});
    expect(bobSearch).toMatchObject({ status: 200, body: [] });
    const run = await call(main.url, main.alice, "POST", `/threads/${threadId}/runs/wait`, {
      assistant_id: "agent",
      input: { messages: [{ role: "user", content: "hi" }] },
    });
    expect(run).toMatchObject({ status: 200, body: { user_id: "alice" } });
  });

  test("SIGTERM stops the gateway and LangGraph's server", async () => {
    const langgraphUrl = /LangGraph server: (http:\/\/\S+)/.exec(main.output())![1];
    expect((await fetch(`${langgraphUrl}/ok`)).status).toBe(200);
    main.child.kill("SIGTERM");
    expect(await main.exited).toBe(0);
    expect(main.output()).toContain("SIGTERM: shutting down");
    await expect(fetch(`${langgraphUrl}/ok`)).rejects.toThrow();
    await expect(fetch(`${main.url}/health`)).rejects.toThrow();
  });
});

(built ? describe : describe.skip)("node dist/main.js with LANGGRAPH_URL and LANGGRAPH_API_KEY", () => {
  const seen: IncomingHttpHeaders[] = [];
  let upstream: Server;
  let main: Started | undefined;

  beforeAll(async () => {
    // A stand-in LangGraph server that records what reaches it.
    upstream = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ thread_id: req.url!.split("/")[2], metadata: { owner: "alice" }, status: "idle", values: {} }),
      );
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    main = await startMain({
      LANGGRAPH_URL: url,
      LANGGRAPH_API_KEY: "deployment-key-123",
      JWT_SECRET: "a-fixed-secret-of-enough-length",
    });
  }, 60_000);

  afterAll(async () => {
    await kill(main);
    upstream?.closeAllConnections();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  test("uses that server, sends the key as x-api-key and never the caller's token", async () => {
    expect(main!.output()).toContain("(LANGGRAPH_URL), with LANGGRAPH_API_KEY as x-api-key");
    expect(main!.output()).toContain("JWT secret: from JWT_SECRET");
    expect(main!.output()).not.toContain("deployment-key-123");
    const res = await call(main!.url, main!.alice, "GET", "/threads/6f1d3c1e-8a53-4a49-9f55-5b1d2a3c4e5f");
    expect(res.status).toBe(200);
    expect(seen.length).toBeGreaterThan(0);
    for (const headers of seen) {
      expect(headers["x-api-key"]).toBe("deployment-key-123");
      expect(headers.authorization).toBeUndefined();
    }
    expect(JSON.stringify(res.body)).not.toContain("deployment-key-123");
  });
});
