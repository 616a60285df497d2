import express from "express";
import request from "supertest";
import { errorHandler, HTTPException } from "../src/index";

function appThrowing(err: unknown, options?: Parameters<typeof errorHandler>[0]) {
  const logged: unknown[][] = [];
  const app = express();
  app.use(express.json({ limit: "10b" }));
  app.post("/boom", () => {
    throw err;
  });
  app.get("/late", (_req, res) => {
    res.write("partial");
    throw new Error("after the headers");
  });
  app.use(errorHandler({ logger: { error: (...args: unknown[]) => void logged.push(args) }, ...options }));
  return { app, logged };
}

describe("errorHandler()", () => {
  test("an HTTPException renders as the middleware's JSON body with its headers, not cached", async () => {
    const { app, logged } = appThrowing(
      new HTTPException(429, { message: "Slow down", headers: { "Retry-After": "3" } }),
    );
    const res = await request(app).post("/boom");
    expect([res.status, res.body, res.headers["retry-after"], res.headers["cache-control"]]).toEqual([
      429,
      { error: "too_many_requests", message: "Slow down" },
      "3",
      "no-store",
    ]);
    expect(logged).toEqual([]);
  });

  test("an unknown error is a generic 500 with one log line; its message and stack stay on the server", async () => {
    const secret = new Error("connect ECONNREFUSED 10.0.0.7:5432 password=hunter2");
    const { app, logged } = appThrowing(secret);
    const res = await request(app).post("/boom");
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: "internal_error", message: "Internal server error" });
    expect(res.text).not.toMatch(/ECONNREFUSED|hunter2|at .*\.ts/);
    expect(logged).toHaveLength(1);
    expect(logged[0][1]).toBe(secret);
  });

  test("body-parser errors are the caller's: bad JSON 400, too large 413", async () => {
    const { app } = appThrowing(new Error("unused"));
    const bad = await request(app).post("/boom").set("Content-Type", "application/json").send("{not json");
    expect([bad.status, bad.body.error]).toEqual([400, "bad_request"]);
    const big = await request(app)
      .post("/boom")
      .send({ text: "x".repeat(100) });
    expect([big.status, big.body.error]).toEqual([413, "payload_too_large"]);
  });

  test("map turns the app's own errors into HTTPExceptions; a throwing map is logged and the error stays a 500", async () => {
    const sqlError = Object.assign(new Error("invalid byte sequence"), { code: "22021" });
    const mapped = appThrowing(sqlError, {
      map: (err) =>
        (err as { code?: string }).code === "22021" ? new HTTPException(400, { message: "Bad text" }) : null,
    });
    expect((await request(mapped.app).post("/boom")).body).toEqual({ error: "bad_request", message: "Bad text" });
    const broken = appThrowing(sqlError, {
      map: () => {
        throw new Error("bug in map");
      },
    });
    const res = await request(broken.app).post("/boom");
    expect(res.status).toBe(500);
    expect(broken.logged.length).toBe(2);
  });

  test("after the response started, the connection is closed rather than a second response written", async () => {
    const { app } = appThrowing(new Error("x"));
    await expect(request(app).get("/late")).rejects.toThrow();
  });

  test("options are checked when it is created", () => {
    expect(() => errorHandler({ mapper: () => null } as never)).toThrow(
      /unknown option "mapper"; accepted: map, logger/,
    );
    expect(() => errorHandler({ map: "x" } as never)).toThrow(/map must be a function/);
  });
});
