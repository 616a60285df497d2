import type * as ErrorsModule from "../src/errors";
import {
  AbortError,
  ConflictError,
  createClient,
  errorFromResponse,
  ForbiddenError,
  GatehouseError,
  HttpError,
  NetworkError,
  NotFoundError,
  RateLimitError,
  TimeoutError,
  UnauthorizedError,
} from "@gatehouse/client";
import { json, startServer, type Handler, type TestServer } from "./helpers/server";

/** Answers with the status and headers asked for in the query string. */
const echoStatus: Handler = (req, res) => {
  const query = new URL(req.url, "http://x").searchParams;
  const status = Number(query.get("status") ?? 200);
  json(res, status, { detail: `status ${status}` }, JSON.parse(query.get("headers") ?? "{}"));
};

let server: TestServer;
beforeAll(async () => {
  server = await startServer(echoStatus);
});
beforeEach(() => server.handle(echoStatus));
afterAll(() => server.close());

function fail(status: number, headers: Record<string, string> = {}) {
  const client = createClient({ baseURL: server.url, retry: false });
  const params = { status, headers: JSON.stringify(headers) };
  return client.request({ url: "/fail", params }).then(
    () => {
      throw new Error(`expected ${status} to reject`);
    },
    (err: unknown) => err as GatehouseError,
  );
}

describe("HTTP statuses map to error classes", () => {
  it.each([
    [400, HttpError, "bad_request"],
    [401, UnauthorizedError, "unauthorized"],
    [403, ForbiddenError, "forbidden"],
    [404, NotFoundError, "not_found"],
    [409, ConflictError, "conflict"],
    [422, HttpError, "unprocessable_entity"],
    [429, RateLimitError, "too_many_requests"],
    [500, HttpError, "internal_error"],
    [503, HttpError, "service_unavailable"],
  ] as const)("%i → %p", async (status, cls, code) => {
    const err = await fail(status, { "X-Request-Id": "req-1" });
    expect(err.constructor).toBe(cls);
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toBeInstanceOf(GatehouseError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(cls.name);
    expect(err.code).toBe(code);
    expect(err.status).toBe(status);
    expect(err.body).toEqual({ detail: `status ${status}` });
    expect(err.headers["x-request-id"]).toBe("req-1");
    expect(err.headers["content-type"]).toBe("application/json");
    expect(err.method).toBe("GET");
    expect(err.url).toBe(`${server.url}/fail`);
    expect(err.message).toBe(`status ${status}`); // the server's own words (LangGraph's `detail` here)
  });

  it("does not confuse sibling classes", async () => {
    const err = await fail(404);
    expect(err).not.toBeInstanceOf(ForbiddenError);
    expect(err).not.toBeInstanceOf(UnauthorizedError);
    expect(err).not.toBeInstanceOf(NetworkError);
  });

  it("keeps a non-JSON body as text", async () => {
    server.handle((req, res) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end("bad gateway");
    });
    const err = (await createClient({ baseURL: server.url, retry: false })
      .request({ url: "/" })
      .catch((e: unknown) => e)) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.body).toBe("bad gateway");
    expect(err.code).toBe("bad_gateway");
    expect(err.message).toBe("bad gateway");
  });
});

describe("UnauthorizedError exposes the WWW-Authenticate challenge", () => {
  it("parses scheme and parameters, quoted or not", async () => {
    const header =
      'Bearer realm="gatehouse", error="invalid_token", error_description="The \\"exp\\" claim is past", scope=read';
    const err = (await fail(401, { "WWW-Authenticate": header })) as UnauthorizedError;
    expect(err.wwwAuthenticate).toBe(header);
    expect(err.challenge).toEqual({
      scheme: "Bearer",
      params: {
        realm: "gatehouse",
        error: "invalid_token",
        error_description: 'The "exp" claim is past',
        scope: "read",
      },
    });
  });

  it("has no challenge without the header, or with one that has no parameters", async () => {
    expect(((await fail(401)) as UnauthorizedError).challenge).toBeUndefined();
    const bare = new UnauthorizedError({ headers: { "www-authenticate": 'Bearer realm="api"' } });
    expect(bare.challenge).toEqual({ scheme: "Bearer", params: { realm: "api" } });
  });
});

describe("RateLimitError.retryAfter", () => {
  it("reads delta-seconds", async () => {
    expect(((await fail(429, { "Retry-After": "120" })) as RateLimitError).retryAfter).toBe(120);
  });

  it("reads an HTTP date (a past one is 0)", () => {
    const err = new RateLimitError({ headers: { "retry-after": "Wed, 21 Oct 2015 07:28:00 GMT" } });
    expect(err.retryAfter).toBe(0);
    const future = new RateLimitError({ headers: { "retry-after": new Date(Date.now() + 3_600_000).toUTCString() } });
    expect(future.retryAfter).toBeGreaterThan(3_000);
  });

  it("is undefined when missing or unreadable", async () => {
    expect(((await fail(429)) as RateLimitError).retryAfter).toBeUndefined();
    expect(new RateLimitError({ headers: { "retry-after": "soon" } }).retryAfter).toBeUndefined();
  });
});

describe("transport failures", () => {
  it("connection refused → NetworkError", async () => {
    // Port 1: nothing listens there and port 0 never picks it. (A server closed a moment ago is no proof: on
    // a busy machine its freed port can go to the next server that listens on port 0.)
    const err = await createClient({ baseURL: "http://127.0.0.1:1" })
      .request({ url: "/" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ code: "network_error", status: undefined, body: undefined, headers: {} });
    expect((err as NetworkError).message).toMatch(/ECONNREFUSED/);
  });

  it("connection reset → NetworkError", async () => {
    const rude = await startServer((req, res, raw) => {
      raw.socket.destroy();
    });
    const err = await createClient({ baseURL: rude.url })
      .request({ url: "/" })
      .catch((e: unknown) => e);
    await rude.close();
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).cause).toBeDefined();
  });

  it("no response within the timeout → TimeoutError (client option and per call)", async () => {
    const silent = await startServer(() => {
      /* never answers */
    });
    const client = createClient({ baseURL: silent.url, timeout: 50 });
    const err = await client.request({ url: "/slow" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: "timeout", method: "GET", url: `${silent.url}/slow` });
    const perCall = await createClient({ baseURL: silent.url })
      .threads.get("t", { timeout: 50 })
      .catch((e: unknown) => e);
    expect(perCall).toBeInstanceOf(TimeoutError);
    await silent.close();
  });

  it("an already aborted signal → AbortError, and nothing is sent", async () => {
    const before = server.received.length;
    const controller = new AbortController();
    controller.abort("cancelled by user");
    const err = await createClient({ baseURL: server.url })
      .threads.search({}, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).cause).toBe("cancelled by user");
    expect(server.received.length).toBe(before);
  });

  it("aborting in flight → AbortError", async () => {
    const arrived: Array<() => void> = [];
    const hanging = await startServer(() => {
      arrived.forEach((f) => f());
    });
    const controller = new AbortController();
    const inFlight = new Promise<void>((resolve) => arrived.push(resolve));
    const pending = createClient({ baseURL: hanging.url })
      .request({ url: "/", signal: controller.signal })
      .catch((e: unknown) => e);
    await inFlight;
    controller.abort();
    const err = await pending;
    await hanging.close();
    expect(err).toBeInstanceOf(AbortError);
    expect(err).toMatchObject({ code: "aborted", status: undefined });
  });
});

describe("errorFromResponse and instanceof across copies of the module", () => {
  it("builds the class for a status", () => {
    expect(errorFromResponse({ status: 409, body: {} })).toBeInstanceOf(ConflictError);
    expect(errorFromResponse({ status: 418 })).toBeInstanceOf(HttpError);
    expect(errorFromResponse({ status: 418 }).constructor).toBe(HttpError);
  });

  it("answers instanceof for errors created by a second copy of the module", async () => {
    let copy!: typeof ErrorsModule;
    await jest.isolateModulesAsync(async () => {
      copy = await import("../src/errors");
    });
    expect(copy.NotFoundError).not.toBe(NotFoundError);
    const foreign = new copy.NotFoundError({ body: "x" });
    expect(foreign).toBeInstanceOf(NotFoundError);
    expect(foreign).toBeInstanceOf(HttpError);
    expect(foreign).toBeInstanceOf(GatehouseError);
    expect(foreign).not.toBeInstanceOf(ConflictError);
    expect(new NotFoundError()).toBeInstanceOf(copy.NotFoundError);
    expect({ status: 404 }).not.toBeInstanceOf(NotFoundError);
    expect(null).not.toBeInstanceOf(GatehouseError);
  });

  it("keeps ordinary instanceof for subclasses an app defines", () => {
    class SessionExpired extends UnauthorizedError {}
    expect(new SessionExpired()).toBeInstanceOf(UnauthorizedError);
    expect(new UnauthorizedError()).not.toBeInstanceOf(SessionExpired);
  });
});
