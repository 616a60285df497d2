/**
 * The server as processes, from the built output (root `npm test` builds
 * first): SIGTERM with a request in flight lets it complete and exits 0;
 * WORKERS=2 on one PostgreSQL keeps users isolated through every process,
 * verifies tokens in every process and shares rate limits between them;
 * PGlite refuses WORKERS>1, and a second process on a PGlite directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import http from "node:http";
import path from "node:path";
import { runApiKeyCli } from "../../src/apikey-cli";
import { SECRET, token } from "../support/server";
import { dropSchema } from "./support";

const exampleDir = path.resolve(__dirname, "../..");
const mainJs = path.join(exampleDir, "dist", "main.js");
const built = existsSync(mainJs);

jest.setTimeout(120_000);

interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

function start(env: NodeJS.ProcessEnv, args: string[] = []): Spawned {
  const fullEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    JWT_SECRET: SECRET,
    LOG_LEVEL: "info",
    ...env,
  };
  if (!env.DATABASE_URL) delete fullEnv.DATABASE_URL;
  const child = spawn(process.execPath, [mainJs, ...args], {
    cwd: exampleDir,
    env: fullEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    for (const listener of listeners) listener();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (!match) return;
          listeners.delete(check);
          resolve(match);
        };
        listeners.add(check);
        check();
        void exited.then((code) => {
          if (listeners.delete(check))
            reject(new Error(`exited (code ${code}) before printing ${pattern}:\n${output}`));
        });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** One request on `agent` (a keep-alive agent with one socket keeps a sequence of requests on one process). */
function send(
  agent: http.Agent | false,
  url: string,
  method: string,
  bearer?: string,
  body?: unknown,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, {
      method,
      agent,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
      },
    });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }),
      );
    });
    req.on("error", reject);
    req.end(payload);
  });
}

if (!built) {
  test.skip(`skipped: ${path.relative(process.cwd(), mainJs)} is missing; run "npm run build" (root "npm test" builds first)`, () =>
    undefined);
}

(built ? describe : describe.skip)("graceful shutdown (PGlite)", () => {
  test("SIGTERM with a request in flight: new connections are refused, the request completes, the process exits 0", async () => {
    const server = start({}, ["--memory"]);
    try {
      const url = (await server.waitFor(/listening on (http:\/\/\S+)/))[1];
      const payload = JSON.stringify({ metadata: { inflight: true } });
      const req = http.request(`${url}/threads`, {
        method: "POST",
        agent: false,
        // 100-continue: the server answers "100 Continue" once it has the request, so it is in flight before SIGTERM.
        headers: {
          authorization: `Bearer ${token("alice")}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
          expect: "100-continue",
        },
      });
      const answer = new Promise<Answer>((resolve, reject) => {
        req.on("response", (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
          res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) }));
        });
        req.on("error", reject);
      });
      await new Promise<void>((resolve) => req.once("continue", () => resolve()));

      server.child.kill("SIGTERM");
      await server.waitFor(/SIGTERM: shutting down/);
      await expect(send(false, `${url}/health`, "GET")).rejects.toMatchObject({ code: "ECONNREFUSED" });

      req.end(payload);
      const res = await answer;
      expect(res.status).toBe(200);
      expect(res.body.metadata).toEqual({ inflight: true, owner: "alice" });
      expect(res.headers.connection).toBe("close");
      expect(await server.exited).toBe(0);
      expect(server.output()).toMatch(/Stopped \(exit code 0\)/);
    } finally {
      await server.stop();
    }
  });

  test("a second process on the server's PGLITE_DIR (npm run apikey, another server) is refused, saying why; after SIGTERM it opens", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-pglite-owned-"));
    const server = start({ PGLITE_DIR: dir });
    try {
      await server.waitFor(/listening on (http:\/\/\S+)/);
      const cli = async () => {
        const out: string[] = [];
        const exit = await runApiKeyCli(["list"], { PGLITE_DIR: dir }, (line) => void out.push(line));
        return { exit, text: out.join("\n") };
      };
      const refused = await cli();
      expect(refused.exit).toBe(1);
      expect(refused.text).toContain(`apikey list failed: PGlite in ${dir} is in use by process ${server.child.pid}`);
      expect(refused.text).not.toMatch(/\n\s+at /); // a message, not a stack

      const second = start({ PGLITE_DIR: dir });
      expect(await second.exited).toBe(1);
      expect(second.output()).toMatch(
        new RegExp(
          `Agent server failed to start: PGlite in \\S+ is in use by process ${server.child.pid} \\(a running server`,
        ),
      );

      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(await cli()).toEqual({ exit: 0, text: `0 API keys in PGlite (embedded PostgreSQL) in ${dir}.` });
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("PGlite refuses WORKERS>1 with a message that says what to do", async () => {
    const server = start({ WORKERS: "2" }, ["--memory"]);
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(
      /WORKERS>1 needs DATABASE_URL: PGlite is an embedded database owned by one process/,
    );
  });
});

(built && process.env.DATABASE_URL ? describe : describe.skip)("WORKERS=2 on one PostgreSQL", () => {
  const LIMIT = 20;
  const schema = `gh_workers_${randomBytes(6).toString("hex")}`;
  let server: Spawned;
  let url: string;

  beforeAll(async () => {
    server = start({
      WORKERS: "2",
      DATABASE_URL: process.env.DATABASE_URL,
      DATABASE_SCHEMA: schema,
      RATE_LIMIT_PER_MINUTE: String(LIMIT),
    });
    url = (await server.waitFor(/listening on (http:\/\/\S+)/))[1];
    await server.waitFor(/worker 2 \(pid \d+\) listening/);
  });
  afterAll(async () => {
    await server?.stop();
    await dropSchema(schema);
  });

  /** Runs `fn` on one connection, after asking /ready which worker holds it. */
  async function onOneConnection<T>(fn: (agent: http.Agent) => Promise<T>): Promise<{ worker: number; result: T }> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ready = await send(agent, `${url}/ready`, "GET");
      expect(ready.status).toBe(200);
      return { worker: ready.body.worker, result: await fn(agent) };
    } finally {
      agent.destroy();
    }
  }

  test("a thread alice creates through one process is invisible to bob through every process; tokens work everywhere", async () => {
    const alice = token("alice");
    const bob = token("bob");
    const created = await send(false, `${url}/threads`, "POST", alice, { metadata: { topic: "workers" } });
    expect(created.status).toBe(200);
    const id = created.body.thread_id;
    const seen = new Set<number>();
    for (let i = 0; i < 8 && seen.size < 2; i++) {
      const { worker } = await onOneConnection(async (agent) => {
        expect((await send(agent, `${url}/threads/${id}`, "GET", bob)).status).toBe(404);
        expect((await send(agent, `${url}/threads/search`, "POST", bob, {})).body).toEqual([]);
        expect((await send(agent, `${url}/threads/${id}`, "GET", alice)).body.thread_id).toBe(id);
      });
      seen.add(worker);
    }
    expect([...seen].sort()).toEqual([1, 2]);
  });

  test("an identity's rate limit is shared by both processes; another identity is untouched", async () => {
    const carol = token("carol");
    const served = new Map<number, number>();
    for (let i = 0; i < LIMIT; i++) {
      const { worker, result } = await onOneConnection((agent) =>
        send(agent, `${url}/threads/search`, "POST", carol, {}),
      );
      expect(result.status).toBe(200);
      served.set(worker, (served.get(worker) ?? 0) + 1);
    }
    expect([...served.keys()].sort()).toEqual([1, 2]); // both processes counted carol's requests…
    for (let i = 0; i < 2; i++) {
      const { result } = await onOneConnection((agent) => send(agent, `${url}/threads/search`, "POST", carol, {}));
      expect(result.status).toBe(429); // …into one budget
      expect(Number(result.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    }
    expect((await send(false, `${url}/threads/search`, "POST", token("dave"), {})).status).toBe(200);
  });

  test("SIGTERM to the primary stops both workers and exits 0", async () => {
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});

(built && process.env.DATABASE_URL ? describe : describe.skip)("WORKERS=2 without JWT_SECRET", () => {
  test("the banner says the secret is random and no token can be minted, not that it came from JWT_SECRET", async () => {
    const schema = `gh_workers_${randomBytes(6).toString("hex")}`;
    const server = start({
      WORKERS: "2",
      DATABASE_URL: process.env.DATABASE_URL,
      DATABASE_SCHEMA: schema,
      JWT_SECRET: undefined,
    });
    try {
      await server.waitFor(/Workers: 2 processes/);
      expect(server.output()).toMatch(/JWT secret: random for this start/);
      expect(server.output()).toMatch(/no token can be minted for it: restart with a JWT_SECRET of your own/);
      expect(server.output()).not.toMatch(/from JWT_SECRET|Mint a token with the same JWT_SECRET|eyJ/);
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    } finally {
      await server.stop();
      await dropSchema(schema);
    }
  });
});

(built && process.env.DATABASE_URL ? describe : describe.skip)("WORKERS=2 stopped while starting", () => {
  test("SIGTERM as soon as the workers are forked: the primary waits for both to stop and exits 0", async () => {
    const schema = `gh_workers_${randomBytes(6).toString("hex")}`;
    const server = start({ WORKERS: "2", DATABASE_URL: process.env.DATABASE_URL, DATABASE_SCHEMA: schema });
    try {
      const pid = (await server.waitFor(/primary (\d+): started 2 workers/))[1];
      expect(Number(pid)).toBe(server.child.pid);
      // The workers are loading or opening the database now; some may already listen on a fast machine.
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(server.output()).toMatch(/SIGTERM: stopping 2 workers/);
      expect(server.output()).not.toMatch(/exited \(|starting a new one/);
    } finally {
      await server.stop();
      await dropSchema(schema);
    }
  });
});
