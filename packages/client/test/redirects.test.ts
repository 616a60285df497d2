/**
 * Credentials never leave the client's origin, whatever header carries them
 * (Authorization, an apiKey header, a custom credential function's headers,
 * the CSRF header, the call's own headers), across redirects of every kind,
 * for axios calls and for streams; a 401 from another origin after a redirect
 * triggers no refresh; ids that would leave their path segment are refused
 * before any request.
 */
import {
  apiKey,
  bearer,
  createClient,
  InvalidArgumentError,
  UnauthorizedError,
  type Client,
  type Credentials,
} from "@gatehouse/client";
import { json, startServer, type TestServer } from "./helpers/server";

let own: TestServer;
let foreign: TestServer;
const SECRETS = ["Bearer s3cret-bearer", "s3cret-key", "s3cret-custom", "s3cret-csrf", "s3cret-call"];

beforeAll(async () => {
  own = await startServer();
  foreign = await startServer((req, res) => json(res, 200, { landed: req.url }));
});
afterAll(async () => {
  await own.close();
  await foreign.close();
});
beforeEach(() => {
  own.received.length = 0;
  foreign.received.length = 0;
});

const all: Credentials = async (request) => ({
  ...(await bearer("s3cret-bearer")(request)),
  ...(await apiKey("x-api-key", "s3cret-key")(request)),
  "x-custom-auth": "s3cret-custom",
});

function redirecting(status: number, to: () => string) {
  own.handle((req, res) => {
    if (req.url.startsWith("/back")) return json(res, 200, { back: true, auth: req.headers["x-api-key"] ?? null });
    res.writeHead(status, { location: to() });
    res.end();
  });
}

function leaked(): string[] {
  return foreign.received
    .flatMap((r) => Object.values(r.headers).map(String))
    .filter((v) => SECRETS.some((s) => v.includes(s)));
}

describe.each([301, 302, 303, 307, 308])("a %i to another origin", (status) => {
  const client = (): Client =>
    createClient({ baseURL: own.url, credentials: all, csrf: { token: () => "s3cret-csrf" }, retry: false });

  test.each(["GET", "POST", "PUT", "DELETE"])("%s: no credential header of any kind reaches it", async (method) => {
    redirecting(status, () => `${foreign.url}/landing`);
    const result = await client().request({
      method,
      url: "/go",
      data: method === "GET" ? undefined : { a: 1 },
      headers: { "x-call": "s3cret-call" },
    });
    expect(own.received[0].headers).toMatchObject({
      authorization: "Bearer s3cret-bearer",
      "x-api-key": "s3cret-key",
      "x-custom-auth": "s3cret-custom",
    });
    expect(foreign.received).toHaveLength(1);
    expect(leaked()).toEqual([]);
    expect(result).toEqual({ landed: "/landing" });
  });

  test("streams (fetch) follow the same rule", async () => {
    redirecting(status, () => `${foreign.url}/landing`);
    foreign.handle((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end('data: {"ok":true}\n\n');
    });
    const parts = [];
    for await (const part of client().runs.stream("t", { assistant_id: "a" }, { headers: { "x-call": "s3cret-call" } }))
      parts.push(part);
    expect(parts).toEqual([{ event: "message", data: { ok: true } }]);
    expect(foreign.received).toHaveLength(1);
    expect(leaked()).toEqual([]);
    foreign.handle((req, res) => json(res, 200, { landed: req.url }));
  });
});

test("a hop back to the client's own origin gets the credentials again", async () => {
  let hops = 0;
  own.handle((req, res) => {
    if (req.url === "/back") return json(res, 200, { auth: req.headers["x-api-key"] ?? null });
    res.writeHead(302, { location: `${foreign.url}/bounce` });
    res.end();
  });
  foreign.handle((_req, res) => {
    hops++;
    res.writeHead(302, { location: `${own.url}/back` });
    res.end();
  });
  const client = createClient({ baseURL: own.url, credentials: all });
  await expect(client.request({ url: "/start" })).resolves.toEqual({ auth: "s3cret-key" });
  expect(hops).toBe(1);
  expect(leaked()).toEqual([]);
  foreign.handle((req, res) => json(res, 200, { landed: req.url }));
});

test("a redirect loop ends in a NetworkError", async () => {
  own.handle((req, res) => {
    res.writeHead(302, { location: `/loop${req.url.length}` });
    res.end();
  });
  await expect(createClient({ baseURL: own.url, retry: false }).request({ url: "/x" })).rejects.toMatchObject({
    code: "network_error",
  });
  expect(own.received.length).toBe(11);
});

test("a 401 from another origin after a redirect does not trigger a refresh", async () => {
  redirecting(302, () => `${foreign.url}/login`);
  foreign.handle((_req, res) => json(res, 401, { error: "credentials_required" }, { "www-authenticate": "Bearer" }));
  let refreshes = 0;
  const client = createClient({ baseURL: own.url, credentials: all, refresh: () => void refreshes++ });
  const err = await client.request({ url: "/go" }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UnauthorizedError);
  expect((err as UnauthorizedError).url).toBe(`${foreign.url}/login`);
  expect(refreshes).toBe(0);
  expect(own.received).toHaveLength(1);
  foreign.handle((req, res) => json(res, 200, { landed: req.url }));
});

test("a redirect to a non-http URL is not followed", async () => {
  redirecting(302, () => "file:///etc/passwd");
  await expect(createClient({ baseURL: own.url }).request({ url: "/go" })).rejects.toMatchObject({
    code: "network_error",
  });
});

describe("ids that would leave their path segment", () => {
  const client = () => createClient({ baseURL: own.url });
  test.each([".", "..", ""])("%j is refused with InvalidArgumentError before any request", async (id) => {
    own.handle((_req, res) => json(res, 200, {}));
    const c = client();
    const calls: Array<() => Promise<unknown>> = [
      () => c.threads.get(id),
      () => c.threads.delete(id),
      () => c.threads.update(id, {}),
      () => c.threads.copy(id),
      () => c.threads.state(id),
      () => c.threads.state("t", { checkpointId: id }),
      () => c.threads.history(id),
      () => c.runs.get("t", id),
      () => c.runs.get(id, "r"),
      () => c.runs.create(id, { assistant_id: "a" }),
      () => c.runs.cancel("t", id),
      () => c.runs.join(id, "r"),
      () => c.runs.list(id),
      () => c.assistants.get(id),
      () => c.assistants.delete(id),
      () => c.crons.delete(id),
      async () => {
        for await (const _ of c.runs.stream(id, { assistant_id: "a" })) void _;
      },
      async () => {
        for await (const _ of c.runs.joinStream("t", id)) void _;
      },
    ];
    for (const call of calls) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err).toMatchObject({ code: "invalid_argument" });
    }
    expect(own.received).toHaveLength(0);
  });

  test("ids with dots inside them are fine and stay in their segment", async () => {
    own.handle((req, res) => json(res, 200, { url: req.url }));
    await expect(client().threads.get("...")).resolves.toEqual({ url: "/threads/..." });
    await expect(client().runs.get("a.b", "..x")).resolves.toEqual({ url: "/threads/a.b/runs/..x" });
  });
});
