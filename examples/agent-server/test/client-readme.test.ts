/**
 * The Node snippet of packages/client/README.md, run as a reader would: saved
 * as an .mjs file where `@gatehouse/client` resolves through the workspace
 * (the package's `exports` map, so the built ES module), run with `node`
 * against this server in-process (PGlite in memory, 127.0.0.1:0), with
 * AGENT_URL and ALICE_TOKEN set. Needs the client's build (root `npm test` builds first).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { openDb, type Db } from "../src/db";
import { README_OTHER_THREAD, readmeSnippet } from "./support/readme";
import { client, startServer, token, type TestServer } from "./support/server";

jest.setTimeout(60_000);

const exampleDir = path.resolve(__dirname, "..");
const clientEsm = path.resolve(exampleDir, "../../packages/client/dist/index.mjs");

let db: Db;
let server: TestServer;
let script: string;
let streamScript: string;

beforeAll(async () => {
  if (!existsSync(clientEsm)) {
    throw new Error(
      `${path.relative(process.cwd(), clientEsm)} is missing: run "npm run build" at the root (root "npm test" builds first)`,
    );
  }
  db = await openDb({ memory: true });
  server = await startServer({ db });
  // .data/ is git-ignored; inside the example, "@gatehouse/client" resolves like in an app.
  const dir = path.join(exampleDir, ".data");
  mkdirSync(dir, { recursive: true });
  script = path.join(dir, `readme-node-${randomBytes(4).toString("hex")}.mjs`);
  writeFileSync(script, readmeSnippet("node script"));
  streamScript = path.join(dir, `readme-stream-${randomBytes(4).toString("hex")}.mjs`);
  writeFileSync(streamScript, readmeSnippet("node stream"));
}, 120_000);

afterAll(async () => {
  if (script) rmSync(script, { force: true });
  if (streamScript) rmSync(streamScript, { force: true });
  await server?.close();
  await db?.close();
}, 60_000);

test("the README's Node snippet runs against the example server and prints what alice sees", async () => {
  const bob = client(server.url, token("bob"));
  expect((await bob.post("/threads", { thread_id: README_OTHER_THREAD, metadata: { topic: "tax" } })).status).toBe(200);

  const env = { ...process.env, AGENT_URL: server.url, ALICE_TOKEN: token("alice") };
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>(
    (resolve) => {
      execFile(
        process.execPath,
        [script],
        { cwd: path.dirname(script), env, timeout: 30_000 },
        (error, stdout, stderr) =>
          resolve({ stdout, stderr, code: error ? ((error as { code?: number }).code ?? -1) : 0 }),
      );
    },
  );
  expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  expect(stdout.trim().split("\n")).toEqual([
    "echo replied: What is my refund?",
    "1 thread(s) about tax", // alice's own; bob's thread about tax is not listed
    "not found: 404",
  ]);
});

test("the README's streaming snippet prints the run's parts as they arrive", async () => {
  const env = { ...process.env, AGENT_URL: server.url, ALICE_TOKEN: token("alice") };
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>(
    (resolve) => {
      execFile(
        process.execPath,
        [streamScript],
        { cwd: path.dirname(streamScript), env, timeout: 30_000 },
        (error, stdout, stderr) =>
          resolve({ stdout, stderr, code: error ? ((error as { code?: number }).code ?? -1) : 0 }),
      );
    },
  );
  expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  expect(stdout.trim().split("\n")).toEqual(["0 metadata", "1 updates", "2 values", "last message: Hello, stream"]);
});
