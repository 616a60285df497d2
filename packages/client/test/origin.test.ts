import { bearer, createClient, UnauthorizedError } from "@gatehouse/client";
import { isSameOrigin, resolveBaseURL, resolveURL } from "../src/origin";
import { json, startServer, type TestServer } from "./helpers/server";

let own: TestServer;
let other: TestServer;
beforeAll(async () => {
  own = await startServer((req, res) => json(res, 200, { ok: true }));
  other = await startServer((req, res) => json(res, 200, { ok: true }));
});
afterAll(async () => {
  await own.close();
  await other.close();
});
beforeEach(() => {
  own.received.length = 0;
  other.received.length = 0;
});

function clientWithCounter(baseURL = own.url) {
  const calls: string[] = [];
  const client = createClient({
    baseURL,
    credentials: ({ url }) => {
      calls.push(url);
      return { authorization: "Bearer secret" };
    },
  });
  return { client, calls };
}

describe("credentials follow the client's origin only", () => {
  it("attaches them to relative URLs", async () => {
    const { client } = clientWithCounter();
    await client.request({ url: "/threads" });
    await client.request({ url: "threads" });
    expect(own.received.map((r) => [r.url, r.headers.authorization])).toEqual([
      ["/threads", "Bearer secret"],
      ["/threads", "Bearer secret"],
    ]);
  });

  it("attaches them to absolute URLs on the same origin", async () => {
    const { client } = clientWithCounter();
    await client.request({ url: `${own.url}/abs` });
    expect(own.received[0].headers.authorization).toBe("Bearer secret");
  });

  it("never attaches them to another origin, and never asks the provider", async () => {
    const { client, calls } = clientWithCounter();
    await client.request({ url: `${other.url}/steal` });
    await client.request({ url: `//127.0.0.1:${other.port}/protocol-relative` });
    expect(other.received.map((r) => r.url)).toEqual(["/steal", "/protocol-relative"]);
    expect(other.received.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(calls).toEqual([]);
  });

  it("treats another port on the same host as another origin", async () => {
    const { client } = clientWithCounter(`${own.url}/`);
    expect(own.port).not.toBe(other.port);
    await client.request({ url: `http://127.0.0.1:${other.port}/x` });
    expect(other.received[0].headers.authorization).toBeUndefined();
  });

  it("keeps a base URL's path prefix, like axios", async () => {
    const { client } = clientWithCounter(`${own.url}/api/`);
    await client.threads.get("t1");
    expect(own.received[0].url).toBe("/api/threads/t1");
    expect(own.received[0].headers.authorization).toBe("Bearer secret");
  });

  it("does not refresh on a 401 from another origin", async () => {
    other.handle((req, res) => json(res, 401, { detail: "no" }));
    let refreshes = 0;
    const client = createClient({
      baseURL: own.url,
      credentials: bearer("t"),
      refresh: () => {
        refreshes++;
      },
    });
    await expect(client.request({ url: `${other.url}/x` })).rejects.toBeInstanceOf(UnauthorizedError);
    expect(refreshes).toBe(0);
    expect(other.received).toHaveLength(1);
    other.handle((req, res) => json(res, 200, { ok: true }));
  });
});

describe("URL rules", () => {
  const base = new URL("https://api.example.com/v1/");

  it.each([
    ["/threads", "https://api.example.com/v1/threads", true],
    ["threads?x=1", "https://api.example.com/v1/threads?x=1", true],
    ["https://api.example.com:443/other", "https://api.example.com/other", true],
    ["http://api.example.com/other", "http://api.example.com/other", false],
    ["https://evil.example.com/", "https://evil.example.com/", false],
    ["//evil.example.com/x", "https://evil.example.com/x", false],
    ["HTTPS://API.EXAMPLE.COM/x", "https://api.example.com/x", true],
  ])("%s resolves to %s (same origin: %s)", (url, resolved, same) => {
    expect(resolveURL(base, url)).toBe(resolved);
    expect(isSameOrigin(base, resolveURL(base, url))).toBe(same);
  });

  it("validates baseURL when the client is created", () => {
    expect(() => createClient({} as never)).toThrow(/baseURL/);
    expect(() => createClient({ baseURL: "/relative" })).toThrow(/not an absolute URL/);
    expect(() => createClient({ baseURL: "ftp://files.example.com" })).toThrow(/http\(s\)/);
    expect(() => createClient({ baseURL: own.url, timeout: -1 })).toThrow(/timeout/);
    expect(() => createClient({ baseURL: own.url, credentials: "token" as never })).toThrow(/credentials/);
    expect(() => createClient({ baseURL: own.url, refresh: {} as never })).toThrow(/refresh/);
    expect(resolveBaseURL("http://localhost:8123").href).toBe("http://localhost:8123/");
  });
});
