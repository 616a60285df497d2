/**
 * Write-only scopes do not read: a token with `<resource>:write` but not
 * `<resource>:read` gets ids and timestamps back from creates, updates and
 * runs, never the record's contents (metadata, values, config, payload), and
 * the run routes that answer with the thread's values need read access too.
 */
import { openDb, type Db } from "../src/db";
import { client, startServer, token, type Client, type TestServer } from "./support/server";

jest.setTimeout(60_000);

const SECRET_MARK = "only-readers-see-this";

let db: Db;
let server: TestServer;
let owner: Client;

beforeAll(async () => {
  db = await openDb({ memory: true });
  server = await startServer({ db });
  owner = client(server.url, token("alice")); // every scope
}, 120_000);

afterAll(async () => {
  await server?.close();
  await db?.close();
}, 60_000);

/** Asserts an answer carries identifiers and times only, nothing of the record. */
function expectNoContents(body: Record<string, unknown>, allowed: string[]): void {
  expect(Object.keys(body).every((key) => allowed.includes(key))).toBe(true);
  expect(JSON.stringify(body)).not.toContain(SECRET_MARK);
  for (const key of ["metadata", "values", "config", "context", "payload", "kwargs", "name", "schedule"])
    expect(body).not.toHaveProperty(key);
}

describe("threads with only threads:write", () => {
  let threadId: string;
  let writer: Client;

  beforeAll(async () => {
    writer = client(server.url, token("alice", ["threads:write"]));
    threadId = (await owner.post("/threads", { metadata: { note: SECRET_MARK } })).body.thread_id;
    const run = await owner.post(`/threads/${threadId}/runs/wait`, {
      assistant_id: "echo",
      input: { messages: [{ role: "user", content: SECRET_MARK }] },
    });
    expect(run.status).toBe(200);
  });

  const THREAD_FIELDS = ["thread_id", "created_at", "updated_at"];

  test("PATCH /threads/:id answers without the thread's metadata or values", async () => {
    const res = await writer.patch(`/threads/${threadId}`, { metadata: { more: 1 } });
    expect(res.status).toBe(200);
    expectNoContents(res.body, THREAD_FIELDS);
    expect(res.body.thread_id).toBe(threadId);
    expect((await owner.get(`/threads/${threadId}`)).body.metadata).toEqual({
      note: SECRET_MARK,
      more: 1,
      owner: "alice",
    });
  });

  test("POST /threads with if_exists do_nothing does not hand back the existing thread", async () => {
    const res = await writer.post("/threads", { thread_id: threadId, if_exists: "do_nothing" });
    expect(res.status).toBe(200);
    expectNoContents(res.body, THREAD_FIELDS);
  });

  test("a new thread's answer has its id", async () => {
    const res = await writer.post("/threads", { metadata: { note: SECRET_MARK } });
    expect(res.status).toBe(200);
    expectNoContents(res.body, THREAD_FIELDS);
    expect(res.body.thread_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test.each(["wait", "stream"])("runs/%s answers with values, so it is a 403 and runs nothing", async (route) => {
    const before = (await owner.get(`/threads/${threadId}/runs`)).body.length;
    const res = await writer.post(`/threads/${threadId}/runs/${route}`, {
      assistant_id: "echo",
      input: { messages: ["hi"] },
    });
    expect(res.status).toBe(403);
    expect(res.text).not.toContain(SECRET_MARK);
    expect((await owner.get(`/threads/${threadId}/runs`)).body.length).toBe(before);
  });

  test("a background run answers with its ids and status, not its input", async () => {
    const res = await writer.post(`/threads/${threadId}/runs`, {
      assistant_id: "echo",
      input: { messages: [SECRET_MARK] },
    });
    expect(res.status).toBe(200);
    expectNoContents(res.body, ["run_id", "thread_id", "status", "created_at", "updated_at"]);
  });

  test("with threads:read as well, the same routes answer with the record (control)", async () => {
    const both = client(server.url, token("alice", ["threads:write", "threads:read"]));
    expect((await both.patch(`/threads/${threadId}`, { metadata: {} })).body.metadata.note).toBe(SECRET_MARK);
    expect(
      (await both.post(`/threads/${threadId}/runs/wait`, { assistant_id: "echo", input: { messages: ["x"] } })).body
        .messages.length,
    ).toBeGreaterThan(0);
  });
});

test("assistants with only assistants:write: create (if_exists do_nothing) and PATCH answer without contents", async () => {
  const writer = client(server.url, token("alice", ["assistants:write"]));
  const created = await owner.post("/assistants", { graph_id: "echo", name: SECRET_MARK, config: { k: SECRET_MARK } });
  const id = created.body.assistant_id as string;
  const fields = ["assistant_id", "created_at", "updated_at"];
  const again = await writer.post("/assistants", { assistant_id: id, graph_id: "echo", if_exists: "do_nothing" });
  expect(again.status).toBe(200);
  expectNoContents(again.body, fields);
  const patched = await writer.patch(`/assistants/${id}`, { description: "d" });
  expect(patched.status).toBe(200);
  expectNoContents(patched.body, fields);
  expect((await owner.get(`/assistants/${id}`)).body.description).toBe("d");
});

test("crons with only crons:write: create and PATCH answer without contents", async () => {
  const writer = client(server.url, token("alice", ["crons:write"]));
  const fields = ["cron_id", "created_at", "updated_at"];
  const created = await writer.post("/runs/crons", {
    assistant_id: "echo",
    schedule: "*/5 * * * *",
    metadata: { note: SECRET_MARK },
    input: { m: SECRET_MARK },
  });
  expect(created.status).toBe(200);
  expectNoContents(created.body, fields);
  const patched = await writer.patch(`/runs/crons/${created.body.cron_id}`, { enabled: false });
  expect(patched.status).toBe(200);
  expectNoContents(patched.body, fields);
  const found = (await owner.post("/runs/crons/search", {})).body as { cron_id: string; enabled: boolean }[];
  expect(found.find((cron) => cron.cron_id === created.body.cron_id)?.enabled).toBe(false);
});
