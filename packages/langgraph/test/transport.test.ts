/**
 * What crosses the gateway: credentials and headers, public and unknown routes,
 * upstream faults (down, slow, garbage), body limits, and option checks.
 */
import request from "supertest";
import { Auth } from "@gatehouse/express";
import { langgraphGateway } from "@gatehouse/langgraph";
import { alice, gatewayApp, ownerAuth, useStubGateway } from "./fixture";

// Real servers on a busy shared machine: generous, never a speed assertion.
jest.setTimeout(120_000);

/** An upstream that is down: connections to it are refused (a privileged port no test server gets). */
const NOTHING_LISTENS = "http://127.0.0.1:1";

const gw = useStubGateway({ upstreamHeaders: { "x-api-key": "deployment-key" } });

describe("credentials and headers", () => {
  test("the caller's Authorization and cookies never go upstream; upstreamHeaders always do and cannot be supplied by the caller", async () => {
    await request(gw.app)
      .post("/threads")
      .set(alice)
      .set("Cookie", "session=s3cret")
      .set("x-api-key", "caller-chosen")
      .set("x-auth-scheme", "langsmith")
      .send({})
      .expect(200);
    const sent = gw.stub.received.at(-1)!.headers;
    expect(sent.authorization).toBeUndefined();
    expect(sent.cookie).toBeUndefined();
    expect(sent["x-auth-scheme"]).toBeUndefined();
    expect(sent["x-api-key"]).toBe("deployment-key");
  });

  test("forwardHeaders adds caller headers; without it they stay at the gateway", async () => {
    await request(gw.app)
      .post("/threads")
      .set(alice)
      .set("x-request-id", "r1")
      .set("Last-Event-ID", "7")
      .send({})
      .expect(200);
    expect(gw.stub.received.at(-1)!.headers["x-request-id"]).toBeUndefined();
    expect(gw.stub.received.at(-1)!.headers["last-event-id"]).toBe("7");
    const traced = gatewayApp({ upstream: gw.stub.url, forwardHeaders: ["X-Request-Id"] });
    await request(traced.app).post("/threads").set(alice).set("x-request-id", "r2").send({}).expect(200);
    expect(gw.stub.received.at(-1)!.headers["x-request-id"]).toBe("r2");
    await traced.gateway.close();
  });

  test("upstream cookies and the deployment key never reach the caller", async () => {
    gw.stub.mode = "set-cookie";
    const res = await request(gw.app).get("/info").expect(200);
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(JSON.stringify(res.headers)).not.toContain("deployment-key");
  });
});

describe("public and unknown routes", () => {
  test("/info, /ok and /health need no credentials; other routes answer 401 with a challenge", async () => {
    await request(gw.app).get("/info").expect(200);
    await request(gw.app).get("/ok").expect(200, { ok: true });
    await request(gw.app).get("/health").expect(200, { status: "ok" });
    const res = await request(gw.app).post("/threads/search").send({}).expect(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(gw.stub.received.filter((r) => r.path.startsWith("/threads"))).toHaveLength(0);
  });

  test("a CORS preflight is not answered 401 and never forwarded", async () => {
    const before = gw.stub.received.length;
    const res = await request(gw.app)
      .options("/threads")
      .set("Origin", "https://app.example")
      .set("Access-Control-Request-Method", "POST");
    expect(res.status).not.toBe(401);
    expect(gw.stub.received.length).toBe(before);
  });

  test("routes the gateway does not map are 404 and never forwarded", async () => {
    const before = gw.stub.received.length;
    await request(gw.app).post("/internal/truncate").set(alice).send({ threads: true }).expect(404);
    await request(gw.app).get("/runs/11111111-1111-1111-1111-111111111111/stream").set(alice).expect(404);
    await request(gw.app).get("/threads/x/unknown").set(alice).expect(404);
    await request(gw.app).put("/threads/x").set(alice).send({}).expect(404);
    expect(gw.stub.received.length).toBe(before);
  });
});

describe("upstream faults", () => {
  test("upstream down: 502 JSON without internal addresses", async () => {
    // Not a stub closed a moment ago: on a busy machine its freed port can be handed to the next server that
    // listens on port 0 (supertest's own gateway here, which then answered its own request 401: a CI flake).
    // Nothing listens on port 1, and port 0 never picks it.
    const logged: unknown[][] = [];
    const down = gatewayApp({
      upstream: NOTHING_LISTENS,
      logger: { error: (...args: unknown[]) => logged.push(args) },
    });
    const res = await request(down.app).post("/threads").set(alice).send({}).expect(502);
    expect(res.body).toEqual({ error: "bad_gateway", message: "The LangGraph server is unreachable" });
    expect(JSON.stringify(res.body)).not.toContain("127.0.0.1");
    expect(String(logged[0]?.[0])).toContain("POST /threads: The LangGraph server is unreachable (502)");
    expect((logged[0]?.[1] as { code?: string }).code).toBe("ECONNREFUSED");
    await down.gateway.close();
  });

  test("upstream slow: 504 after timeoutMs", async () => {
    const slow = gatewayApp({ upstream: gw.stub.url, timeoutMs: 200 });
    gw.stub.mode = "slow";
    const res = await request(slow.app).post("/threads").set(alice).send({}).expect(504);
    expect(res.body.error).toBe("gateway_timeout");
    await slow.gateway.close();
  });

  test("a malformed upstream answer is 502, never a 200 with unchecked data", async () => {
    gw.stub.mode = "garbage";
    await request(gw.app).get("/threads/t1").set(alice).expect(502);
    await request(gw.app).post("/threads/search").set(alice).send({}).expect(502);
  });

  test("an upstream 4xx body passes through", async () => {
    gw.stub.threads.set("t1", { thread_id: "t1", metadata: { owner: "alice" } });
    const res = await request(gw.app).post("/threads/t1/state").set(alice).send({}).expect(422);
    expect(res.body).toEqual({ detail: "values: Required" });
  });
});

describe("request bodies", () => {
  test("a body over maxBodyBytes is 413, invalid JSON 400, a body that is not JSON 415; none is forwarded", async () => {
    const small = gatewayApp({ upstream: gw.stub.url, maxBodyBytes: 100 });
    await request(small.app)
      .post("/threads")
      .set(alice)
      .send({ metadata: { text: "x".repeat(200) } })
      .expect(413);
    await request(small.app)
      .post("/threads")
      .set(alice)
      .set("content-type", "application/json")
      .send("{bad")
      .expect(400);
    await request(small.app)
      .post("/threads")
      .set(alice)
      .set("content-type", "text/plain")
      .send('{"metadata":{}}')
      .expect(415);
    await request(small.app).post("/threads").set(alice).type("form").send({ metadata: "x" }).expect(415);
    expect(gw.stub.received.filter((r) => r.path === "/threads")).toHaveLength(0);
    await small.gateway.close();
  });
});

describe("options", () => {
  const auth = ownerAuth();
  test("unknown options throw with the accepted names", () => {
    expect(() => langgraphGateway({ auth, upstream: "http://127.0.0.1:1", timeout: 5 } as never)).toThrow(
      /unknown option "timeout"; accepted: auth, upstream, upstreamHeaders, timeoutMs/,
    );
  });
  test.each([
    ["not a URL", /not a valid URL/],
    ["ftp://host", /http: or https:/],
    ["http://user:pw@host", /credentials/],
    ["http://host/?q=1", /query string/],
  ])("upstream %s throws", (upstream, message) => {
    expect(() => langgraphGateway({ auth, upstream })).toThrow(message);
  });
  test("bad auth, headers and numbers throw at construction", () => {
    expect(() => langgraphGateway({ auth: {} as never, upstream: "http://h" })).toThrow(/Gatehouse Auth/);
    expect(() =>
      langgraphGateway({ auth, upstream: "http://h", upstreamHeaders: { "x-api-key": undefined as never } }),
    ).toThrow(/environment variable/);
    expect(() => langgraphGateway({ auth, upstream: "http://h", forwardHeaders: ["authorization"] })).toThrow(
      /never forwarded/,
    );
    expect(() =>
      langgraphGateway({
        auth,
        upstream: "http://h",
        upstreamHeaders: { "x-api-key": "k" },
        forwardHeaders: ["X-Api-Key"],
      }),
    ).toThrow(/upstreamHeaders/);
    expect(() => langgraphGateway({ auth, upstream: "http://h", timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
  test("any Auth fits, with the application's own resources and user type (type-checked here)", async () => {
    type Org = {
      identity: string;
      permissions: string[];
      is_authenticated: boolean;
      display_name: string;
      org: string;
    };
    const custom = new Auth<{ documents: { read: { id: string } } }, Org>({ resources: { documents: ["read"] } })
      .authenticate(() => ({ identity: "ann", org: "acme" }))
      .on("documents:read", ({ user }) => ({ org: user.org }))
      .on("threads", ({ user }) => ({ org: user.org }));
    const built = gatewayApp({ upstream: gw.stub.url, auth: custom });
    try {
      await request(built.app).post("/threads/search").send({}).expect(200);
      expect(gw.stub.received.at(-1)!.body.metadata).toEqual({ org: "acme" });
    } finally {
      await built.gateway.close();
    }
  });
});
