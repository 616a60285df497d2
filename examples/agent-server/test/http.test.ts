/**
 * The HTTP surface around the routes: authentication (401 with RFC 6750
 * challenges, HS256 pinned), public paths, CORS preflight, input validation
 * and error bodies.
 */
import jwt from "jsonwebtoken";
import { openDb, type Db } from "../src/db";
import { call, client, SECRET, startServer, token, type TestServer } from "./support/server";

jest.setTimeout(30_000);

let db: Db;
let server: TestServer;

beforeAll(async () => {
  db = await openDb({ memory: true });
  server = await startServer({ db, corsOrigins: ["http://app.example"] });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await db?.close();
}, 60_000);

describe("authentication", () => {
  test("no credential: 401 with the bare Bearer and ApiKey challenges and a JSON body", async () => {
    const res = await call(server.url, "POST", "/threads/search", { body: {} });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api", ApiKey header="X-API-Key", realm="api"'); // the JWT's and the API key's challenges
    expect(res.body).toEqual({
      error: "credentials_required",
      message: expect.any(String),
      request_id: expect.any(String),
    });
  });

  test.each([
    [
      "a wrong signature",
      () => jwt.sign({ sub: "alice", scopes: [] }, "another-secret-0123456789", { algorithm: "HS256" }),
    ],
    [
      "an expired token",
      () =>
        jwt.sign({ sub: "alice", scopes: [], exp: Math.floor(Date.now() / 1000) - 3600 }, SECRET, {
          algorithm: "HS256",
        }),
    ],
    ["HS512 instead of the pinned HS256", () => jwt.sign({ sub: "alice", scopes: [] }, SECRET, { algorithm: "HS512" })],
    ["alg none", () => jwt.sign({ sub: "alice", scopes: [] }, null as unknown as string, { algorithm: "none" })],
    ["no sub claim", () => jwt.sign({ scopes: [] }, SECRET, { algorithm: "HS256" })],
    ["scopes that are not strings", () => jwt.sign({ sub: "alice", scopes: [1, 2] }, SECRET, { algorithm: "HS256" })],
    ["garbage", () => "not-a-jwt"],
  ])("%s: 401 invalid_token, never 403", async (_name, makeToken) => {
    const res = await call(server.url, "POST", "/threads/search", { token: makeToken(), body: {} });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="api", error="invalid_token"/);
    expect(res.body.error).toBe("invalid_token");
  });

  test("/health and /info answer without credentials", async () => {
    const health = await call(server.url, "GET", "/health");
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ ok: true, database: "pglite" });
    const info = await call(server.url, "GET", "/info");
    expect(info.status).toBe(200);
    expect(info.body.graphs).toEqual([expect.objectContaining({ graph_id: "echo" })]);
  });

  test("an unknown path is a 401 without credentials and a JSON 404 with them", async () => {
    expect((await call(server.url, "GET", "/nope")).status).toBe(401);
    const res = await call(server.url, "GET", "/nope", { token: token("alice") });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: "not_found",
      message: "No route for GET /nope",
      request_id: res.headers.get("x-request-id"),
    });
  });
});

describe("CORS", () => {
  test("a preflight from an allowed origin is answered without credentials", async () => {
    const res = await call(server.url, "OPTIONS", "/threads", {
      headers: {
        origin: "http://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://app.example");
    expect(res.headers.get("access-control-allow-headers")).toBe("authorization,content-type");
  });

  test("an actual request from an allowed origin carries the CORS headers, even when it is a 401", async () => {
    const res = await call(server.url, "POST", "/threads/search", {
      headers: { origin: "http://app.example" },
      body: {},
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://app.example");
    expect(res.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
  });

  test("another origin gets no CORS headers", async () => {
    const res = await call(server.url, "OPTIONS", "/threads", {
      headers: { origin: "http://evil.example", "access-control-request-method": "POST" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("bad input: 400 with a message saying what to fix, never a stack", () => {
  const alice = () => client(server.url, token("alice"));

  test.each([
    ["invalid JSON", () => alice().post("/threads", undefined, { rawBody: "{not json" }), /not valid JSON/],
    ["a body that is not an object", () => alice().post("/threads", [1, 2]), /JSON object/],
    [
      "metadata that is not an object",
      () => alice().post("/threads", { metadata: "x" }),
      /metadata must be a JSON object/,
    ],
    ["a thread id that is not a UUID", () => alice().get("/threads/not-a-uuid"), /thread_id must be a UUID/],
    [
      "a limit out of range",
      () => alice().post("/threads/search", { limit: 0 }),
      /limit must be an integer from 1 to 1000/,
    ],
    [
      "an unknown sort column",
      () => alice().post("/threads/search", { sort_by: "metadata; DROP TABLE threads" }),
      /sort_by must be one of/,
    ],
    [
      "an unknown if_exists",
      () => alice().post("/threads", { if_exists: "replace" }),
      /if_exists must be one of: raise, do_nothing/,
    ],
    [
      "a run without assistant_id",
      () => alice().post(`/threads/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}/runs`, {}),
      /assistant_id is required/,
    ],
    [
      "an unknown graph",
      () => alice().post("/assistants", { graph_id: "gpt" }),
      /graph_id must be one of the available graphs: echo/,
    ],
    [
      "a bad cron schedule",
      () => alice().post("/runs/crons", { assistant_id: "echo", schedule: "every day" }),
      /schedule must be a cron expression/,
    ],
    [
      "a namespace label with a period",
      () => alice().put("/store/items", { namespace: ["alice", "a.b"], key: "k", value: {} }),
      /without periods/,
    ],
    [
      "a store value that is not an object",
      () => alice().put("/store/items", { namespace: ["alice"], key: "k", value: 3 }),
      /value must be a JSON object/,
    ],
    ["a store get without namespace", () => alice().get("/store/items?key=k"), /namespace is required/],
    ["a NUL character in metadata", () => alice().post("/threads", { metadata: { x: "a\u0000b" } }), /NUL/],
  ])("%s", async (_name, send, message) => {
    const res = await send();
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: "bad_request",
      message: expect.stringMatching(message),
      request_id: expect.any(String),
    });
    expect(res.text).not.toMatch(/\bat \w+ \(|node_modules|\.ts:\d+/);
  });

  test("input the graph cannot take is a 400 and stores no run", async () => {
    const alice = client(server.url, token("alice"));
    const thread = (await alice.post("/threads", {})).body;
    const res = await alice.post(`/threads/${thread.thread_id}/runs/wait`, {
      assistant_id: "echo",
      input: { messages: "hi" },
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/input.messages must be an array/);
    expect((await alice.get(`/threads/${thread.thread_id}/runs`)).body).toEqual([]);
  });
});
