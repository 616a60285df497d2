/**
 * Structured logs: JSON lines with the request id on every line of a request,
 * the same id in the X-Request-Id header and error bodies, authorization
 * decisions at info (not below it), and no credential anywhere in the log.
 */
import { Writable } from "node:stream";
import { openDb, type Db } from "../../src/db";
import { createLogger, LOGGED_HEADERS } from "../../src/logging";
import { call, client, startServer, token, type TestServer } from "../support/server";

jest.setTimeout(60_000);

function memoryLog() {
  const lines: Record<string, any>[] = [];
  let text = "";
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString("utf8");
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, text: () => text, destination };
}

let db: Db;
beforeAll(async () => {
  db = await openDb({ memory: true });
});
afterAll(async () => {
  await db?.close();
});

describe("LOG_LEVEL=info", () => {
  const log = memoryLog();
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ db, logger: createLogger({ level: "info", destination: log.destination }) });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("each request: one line with its id; a decision line with event, outcome, handler key and the same id", async () => {
    const bearer = token("alice");
    const created = await client(server.url, bearer).post("/threads", {
      metadata: { secret_note: "body-must-not-be-logged" },
    });
    expect(created.status).toBe(200);
    const id = created.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const mine = log.lines.filter((line) => line.reqId === id);
    expect(mine.map((line) => line.msg)).toEqual(["authorization decision", "request completed"]);
    expect(mine[0]).toMatchObject({
      level: 30,
      decision: { event: "threads:create", identity: "alice", outcome: "scoped", handler: "threads", requestId: id },
    });
    expect(mine[1]).toMatchObject({
      req: { id, method: "POST", url: "/threads", remoteAddress: "127.0.0.1" },
      res: { statusCode: 200 },
    });
    // A few headers, the credential ones redacted; not every header of every request.
    expect(mine[1].req.headers).toMatchObject({ authorization: "[redacted]", "content-type": "application/json" });
    expect(Object.keys(mine[1].req.headers).every((name) => LOGGED_HEADERS.includes(name))).toBe(true);
    expect(log.text()).not.toContain(bearer.split(".")[2]);
    expect(log.text()).not.toContain("body-must-not-be-logged");
  });

  test("a denial is logged with its handler and status; the error body carries the request id", async () => {
    const readOnly = token("bob", ["threads:read"]);
    const denied = await client(server.url, readOnly).post("/threads", {});
    expect(denied.status).toBe(403);
    const id = denied.headers.get("x-request-id");
    expect(denied.body.request_id).toBe(id);
    const decision = log.lines.find((line) => line.reqId === id && line.decision);
    expect(decision!.decision).toMatchObject({
      event: "threads:create",
      identity: "bob",
      outcome: "deny",
      allowed: false,
      handler: "threads",
      status: 403,
    });
    expect(log.lines.find((line) => line.reqId === id && line.msg === "request completed")).toMatchObject({
      level: 40,
      res: { statusCode: 403 },
    });
    expect(log.text()).not.toContain(readOnly.split(".")[2]);
  });

  test("a 401 is logged without the bad token; a caller's plain X-Request-Id is kept, anything else replaced", async () => {
    const bad = await call(server.url, "GET", "/threads/x", {
      headers: { authorization: "Bearer not.a-valid.token-value-xyz", "x-request-id": "trace-42" },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("x-request-id")).toBe("trace-42");
    expect(bad.body.request_id).toBe("trace-42");
    expect(log.lines.some((line) => line.reqId === "trace-42")).toBe(true);
    expect(log.text()).not.toContain("token-value-xyz");
    const odd = await call(server.url, "GET", "/health", { headers: { "x-request-id": 'a b"<script>' } });
    expect(odd.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

test("LOG_LEVEL=warn: no decision lines (the hook is not installed), refusals still logged", async () => {
  const log = memoryLog();
  const server = await startServer({ db, logger: createLogger({ level: "warn", destination: log.destination }) });
  try {
    expect((await client(server.url, token("carol")).post("/threads/search", {})).status).toBe(200);
    expect((await client(server.url, token("carol", ["threads:read"])).post("/threads", {})).status).toBe(403);
    expect(log.lines.some((line) => line.decision)).toBe(false);
    expect(log.lines.filter((line) => line.msg === "request completed").map((line) => line.res.statusCode)).toEqual([
      403,
    ]);
  } finally {
    await server.close();
  }
});
