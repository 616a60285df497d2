/**
 * An id freed by deletion stays its owner's: another user cannot re-create a
 * deleted assistant or thread id (409, as for a taken id); the owner can.
 */
import { randomUUID } from "node:crypto";
import { DATABASES, openTestDatabase, type TestDatabase } from "./support/databases";
import { client, startServer, token, type TestServer } from "./support/server";

jest.setTimeout(60_000);

describe.each(DATABASES)("on %s", (kind) => {
  let database: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    server = await startServer({ db: database.db });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  }, 60_000);

  test.each([
    ["assistant", "/assistants", "assistant_id", { graph_id: "echo", name: "mine" }],
    ["thread", "/threads", "thread_id", { metadata: { topic: "mine" } }],
  ])("a deleted %s id cannot be re-created by another user, only by its owner", async (_kind, path, idField, body) => {
    const alice = client(server.url, token("alice"));
    const bob = client(server.url, token("bob"));
    const id = randomUUID();
    expect((await alice.post(path, { ...body, [idField]: id })).status).toBe(200);
    expect((await bob.post(path, { ...body, [idField]: id })).status).toBe(409); // taken
    expect((await alice.delete(`${path}/${id}`)).status).toBe(204);

    for (const if_exists of ["raise", "do_nothing"]) {
      const squat = await bob.post(path, { ...body, [idField]: id, if_exists });
      expect(squat.status).toBe(409);
      expect(JSON.stringify(squat.body)).not.toContain("mine");
    }
    expect((await bob.get(`${path}/${id}`)).status).toBe(404);
    const again = await alice.post(path, { ...body, [idField]: id });
    expect(again.status).toBe(200);
    expect(again.body.metadata.owner).toBe("alice");
  });

  test("ids nobody deleted are still free for anyone", async () => {
    const bob = client(server.url, token("bob"));
    expect((await bob.post("/assistants", { graph_id: "echo", assistant_id: randomUUID() })).status).toBe(200);
    expect((await bob.post("/threads", { thread_id: randomUUID() })).status).toBe(200);
  });
});
