/**
 * Startup smoke test from the built output: `node dist/main.js` on PORT=0
 * prints its real URL and two tokens that work, answers /health, serves the
 * demo script, and shuts down cleanly on SIGTERM; with its own JWT_SECRET it
 * prints no token, and `npm run token` (dist/mint-token.js) mints one that
 * works. Root `npm test` builds first.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { call } from "./support/server";

const exampleDir = path.resolve(__dirname, "..");
const mainJs = path.join(exampleDir, "dist", "main.js");
const built = existsSync(mainJs);

jest.setTimeout(60_000);

if (!built) {
  test.skip(`skipped: ${path.relative(process.cwd(), mainJs)} is missing; run "npm run build" (root "npm test" builds first)`, () =>
    undefined);
}

(built ? describe : describe.skip)("node dist/main.js", () => {
  let child: ChildProcess;
  let output = "";
  let exited: Promise<number | null>;
  let url: string;
  let aliceToken: string;
  let bobToken: string;

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HOST: "127.0.0.1" };
    delete env.JWT_SECRET;
    delete env.DATABASE_URL;
    child = spawn(process.execPath, [mainJs, "--memory"], { cwd: exampleDir, env, stdio: ["ignore", "pipe", "pipe"] });
    exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        // The banner ends with the curl line; wait for all of it (a chunk may end mid-token).
        if (/BOB_TOKEN=\S+\n[\s\S]*-d '\{\}'\n/.test(output)) resolve();
      };
      child.stdout!.on("data", check);
      child.once("exit", (code) =>
        reject(new Error(`the server exited (code ${code}) before printing its tokens:\n${output}`)),
      );
    });
    url = /listening on (http:\/\/\S+)/.exec(output)![1];
    aliceToken = /ALICE_TOKEN=(\S+)/.exec(output)![1];
    bobToken = /BOB_TOKEN=(\S+)/.exec(output)![1];
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });

  test("prints the real port (PORT=0 picks a free one) and a curl line for that URL", () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toMatch(/:0$/);
    expect(output).toContain(`curl -s -X POST ${url}/threads -H "Authorization: Bearer ${aliceToken}"`);
  });

  test("answers /health without a token", async () => {
    const res = await call(url, "GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, database: "pglite" });
  });

  test("the printed tokens work, and keep alice's thread invisible to bob", async () => {
    const created = await call(url, "POST", "/threads", { token: aliceToken, body: { metadata: { topic: "smoke" } } });
    expect(created.status).toBe(200);
    expect(created.body.metadata.owner).toBe("alice");
    const bobs = await call(url, "POST", "/threads/search", { token: bobToken, body: {} });
    expect(bobs.status).toBe(200);
    expect(bobs.body).toEqual([]);
    expect((await call(url, "GET", `/threads/${created.body.thread_id}`, { token: bobToken })).status).toBe(404);
    expect((await call(url, "POST", "/threads/search", { body: {} })).status).toBe(401);
  });

  test("npm run demo (dist/demo.js) drives it with the printed tokens and reports that isolation held", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AGENT_URL: url, ALICE_TOKEN: aliceToken, BOB_TOKEN: bobToken };
    delete env.JWT_SECRET;
    const demo = spawn(process.execPath, [path.join(exampleDir, "dist", "demo.js")], {
      cwd: exampleDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    demo.stdout.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    demo.stderr.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => demo.once("exit", resolve));
    expect(text).toContain(`Server: ${url}`);
    // The alice/bob table: what each one sees, and what each call answered.
    expect(text).toMatch(/^ +alice +bob$/m);
    expect(text).toMatch(/^sees threads +.*\(tax\).* {3}[0-9a-f]{8} \(groceries\)$/m); // alice's column may list earlier threads
    expect(text).toMatch(/^reads alice's thread +allowed +404 NotFoundError$/m);
    expect(text).toMatch(/^overwrites alice's note +allowed +403 ForbiddenError$/m);
    expect(text).toMatch(/^reads bob's thread +404 NotFoundError +allowed$/m);
    expect(text).toContain("Isolation held");
    expect(code).toBe(0);
  });

  test("SIGTERM shuts it down with exit code 0", async () => {
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain("SIGTERM: shutting down");
  });
});

(built ? describe : describe.skip)("node dist/main.js with JWT_SECRET set (not the zero-configuration demo)", () => {
  const secret = "startup-test-secret-0123456789";
  let child: ChildProcess;
  let output = "";
  let exited: Promise<number | null>;
  let url: string;

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HOST: "127.0.0.1", JWT_SECRET: secret };
    delete env.DATABASE_URL;
    child = spawn(process.execPath, [mainJs, "--memory"], { cwd: exampleDir, env, stdio: ["ignore", "pipe", "pipe"] });
    exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
        if (/npm run token[^\n]*\n/.test(output)) resolve();
      });
      child.once("exit", (code) =>
        reject(new Error(`the server exited (code ${code}) before its banner ended:\n${output}`)),
      );
    });
    url = /listening on (http:\/\/\S+)/.exec(output)![1];
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });

  test("prints no token (nothing JWT-shaped, no secret) and says how to mint one", () => {
    expect(output).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
    expect(output).not.toMatch(/ALICE_TOKEN|BOB_TOKEN/);
    expect(output).not.toContain(secret);
    expect(output).toContain("JWT_SECRET is set");
  });

  test("dist/mint-token.js (npm run token) mints a token with the asked scopes that this server accepts", async () => {
    const mint = spawn(process.execPath, [path.join(exampleDir, "dist", "mint-token.js"), "carol", "threads:read"], {
      cwd: exampleDir,
      env: { ...process.env, JWT_SECRET: secret },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let minted = "";
    mint.stdout.on("data", (chunk: Buffer) => (minted += chunk.toString("utf8")));
    expect(await new Promise<number | null>((resolve) => mint.once("exit", resolve))).toBe(0);
    const token = minted.trim();
    expect((await call(url, "POST", "/threads/search", { token, body: {} })).status).toBe(200);
    expect((await call(url, "POST", "/threads", { token, body: {} })).status).toBe(403); // only threads:read
  });

  test("SIGTERM shuts it down with exit code 0", async () => {
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
