/**
 * The README's setup, exactly as a reader copies it: type-checked, then run in
 * front of the stub LangGraph server with real HS256 tokens.
 */
import fs from "node:fs";
import path from "node:path";
import type { Express } from "express";
import jwt from "jsonwebtoken";
import request from "supertest";
import ts from "typescript";
import { startStub, type Stub } from "./stub-upstream";

// Real servers on a busy shared machine: generous, never a speed assertion.
jest.setTimeout(120_000);

const README = path.join(__dirname, "..", "README.md");

function snippet(name: string): string {
  const text = fs.readFileSync(README, "utf8");
  const marker = `<!-- tested: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no "${marker}" marker`);
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(text.slice(at + marker.length));
  if (!block) throw new Error(`README.md: no ts block after "${marker}"`);
  return block[1];
}

const setup = snippet("setup");
const runnable = setup.replace("app.listen(3000);", "export { app };");

// The snippet as a file of its own, so the type-check reads it and the test loads it as a reader's app would.
let dir: string;
let file: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(__dirname, ".readme-"));
  file = path.join(dir, "setup.ts");
  fs.writeFileSync(file, runnable);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("the README setup type-checks", () => {
  expect(runnable).not.toBe(setup);
  const { config } = ts.readConfigFile(path.join(__dirname, "..", "tsconfig.test.json"), (p) => ts.sys.readFile(p));
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, path.join(__dirname, ".."));
  const program = ts.createProgram([file], { ...options, noEmit: true });
  const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  expect(errors).toEqual([]);
});

describe("the README setup in front of a LangGraph-shaped server", () => {
  let stub: Stub;
  let app: Express;
  const secret = "readme-test-secret-0123456789";
  const token = (sub: string) => `Bearer ${jwt.sign({ sub }, secret, { algorithm: "HS256", expiresIn: "5m" })}`;

  beforeAll(async () => {
    stub = await startStub();
    // Set before the import: the snippet reads them when it loads.
    process.env.JWT_SECRET = secret;
    process.env.LANGGRAPH_URL = stub.url;
    process.env.LANGGRAPH_API_KEY = "deployment-key";
    ({ app } = (await import(file)) as { app: Express });
  });
  afterAll(async () => {
    await stub.close();
    delete process.env.JWT_SECRET;
    delete process.env.LANGGRAPH_URL;
    delete process.env.LANGGRAPH_API_KEY;
  });

  test("alice's thread is stamped, bob cannot see it, and the key goes upstream only", async () => {
    const created = await request(app)
      .post("/agents/threads")
      .set("Authorization", token("alice"))
      .send({ metadata: { owner: "bob" } })
      .expect(200);
    expect(created.body.metadata.owner).toBe("alice");
    expect(stub.received.at(-1)!.headers["x-api-key"]).toBe("deployment-key");
    expect(stub.received.at(-1)!.headers.authorization).toBeUndefined();
    await request(app).get(`/agents/threads/${created.body.thread_id}`).set("Authorization", token("bob")).expect(404);
    await request(app)
      .get(`/agents/threads/${created.body.thread_id}`)
      .set("Authorization", token("alice"))
      .expect(200);
    const search = await request(app)
      .post("/agents/threads/search")
      .set("Authorization", token("bob"))
      .send({})
      .expect(200);
    expect(search.body).toEqual([]);
    await request(app)
      .put("/agents/store/items")
      .set("Authorization", token("bob"))
      .send({ namespace: ["alice"], key: "k", value: {} })
      .expect(403);
    await request(app).get("/agents/info").expect(200);
    await request(app).get("/agents/threads/x").expect(401);
  });
});
