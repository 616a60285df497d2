import express from "express";
import request from "supertest";
import { Auth } from "../src/index";
import { compilePublicPaths } from "../src/express";
import { jwtStrategy, token } from "./support/jwt-app";

function app(publicPaths: (string | RegExp)[]) {
  const auth = new Auth().authenticate(jwtStrategy());
  const a = express();
  a.use(auth.middleware({ public: publicPaths }));
  a.all("/{*rest}", (req, res) => void res.json({ path: req.path, who: req.auth?.user.identity ?? null }));
  return a;
}

describe("public paths", () => {
  const a = app(["/health", "/info", "/docs/*", /^\/static\/[a-z]+\.css$/]);

  test.each(["/health", "/HEALTH", "/health/", "/info", "/docs", "/docs/", "/docs/openapi.json", "/static/site.css"])(
    "%s is served without credentials",
    async (path) => {
      const res = await request(a).get(path);
      expect(res.status).toBe(200);
      expect(res.body.who).toBeNull();
    },
  );

  test.each(["/healthz", "/health/more", "/information", "/docsx", "/static/site.js", "/", "/threads"])(
    "%s still needs credentials",
    async (path) => {
      expect((await request(a).get(path)).status).toBe(401);
    },
  );

  test("a public path with valid credentials is not authenticated (no req.auth)", async () => {
    const res = await request(a)
      .get("/health")
      .set("Authorization", `Bearer ${token("alice")}`);
    expect(res.body.who).toBeNull();
  });

  test("paths are relative to where the middleware is mounted, like Express routes", async () => {
    const auth = new Auth().authenticate(jwtStrategy());
    const outer = express();
    outer.use("/api", auth.middleware({ public: ["/health"] }), (req, res) => void res.json({ path: req.path }));
    expect((await request(outer).get("/api/health")).status).toBe(200);
    expect((await request(outer).get("/api/threads")).status).toBe(401);
  });

  test("a global or sticky RegExp does not change answers between requests", () => {
    const isPublic = compilePublicPaths([/^\/open/g]);
    expect([isPublic("/open"), isPublic("/open"), isPublic("/open")]).toEqual([true, true, true]);
  });

  test.each([[["health"]], [[42]], ["/health"]])("invalid option %j is rejected when middleware() runs", (value) => {
    const auth = new Auth().authenticate(jwtStrategy());
    expect(() => auth.middleware({ public: value as never })).toThrow(/auth.middleware\(\{ public \}\)/);
  });
});

describe("CORS preflight", () => {
  const a = app([]);

  test("an OPTIONS preflight is not rejected by authentication, nor passed on: an empty 204", async () => {
    const res = await request(a)
      .options("/threads")
      .set("Origin", "https://app.example")
      .set("Access-Control-Request-Method", "POST");
    expect(res.status).toBe(204);
  });

  test("a plain OPTIONS without preflight headers is authenticated like any request", async () => {
    expect((await request(a).options("/threads")).status).toBe(401);
  });

  test("an actual cross-origin request still needs credentials", async () => {
    expect((await request(a).post("/threads").set("Origin", "https://app.example")).status).toBe(401);
  });
});

describe("error responses", () => {
  test("are JSON { error, message }, not cached, with no stack", async () => {
    const res = await request(app([])).get("/threads").set("Authorization", "Bearer a.b.c");
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(Object.keys(res.body).sort()).toEqual(["error", "message"]);
    expect(res.text).not.toMatch(/\bat \w|node_modules|\.ts:/);
  });

  test("a lowercase 'bearer' scheme is accepted, as RFC 7235 makes the scheme case-insensitive", async () => {
    const res = await request(app([]))
      .get("/x")
      .set("Authorization", `bearer ${token("alice")}`);
    expect(res.body.who).toBe("alice");
  });
});

describe("options are validated when new Auth() runs", () => {
  test.each([
    [{ realm: "" }, /realm/],
    [{ timeoutMs: -1 }, /timeoutMs/],
    [{ logger: {} }, /logger/],
    [{ passport: {} }, /Passport instance/],
    [{ resources: { threads: ["x"] } }, /already declared/],
  ])("%j", (options, message) => {
    expect(() => new Auth(options as never)).toThrow(message);
  });
});
