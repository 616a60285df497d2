/**
 * What a request body must be before any route sees it: JSON (other types are
 * a 415, never read as `{}`), and free of strings PostgreSQL cannot store,
 * refused with a message naming the actual problem (NUL or lone surrogate).
 */
import { call, client, token, useMemoryServer } from "./support/server";

jest.setTimeout(60_000);

const env = useMemoryServer();

const threadCount = async () => (await env.db.query<{ n: number }>("SELECT count(*)::int AS n FROM threads"))[0].n;

describe("bodies that are not JSON are a 415 and change nothing", () => {
  const form = new URLSearchParams({ metadata: "x" }).toString();
  const boundary = "----gatehouse";
  const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\nx\r\n--${boundary}--\r\n`;
  test.each([
    ["text/plain", "text/plain;charset=UTF-8", '{"metadata":{"topic":"x"}}'],
    ["a form", "application/x-www-form-urlencoded", form],
    ["multipart", `multipart/form-data; boundary=${boundary}`, multipart],
    ["no Content-Type", undefined, '{"metadata":{}}'],
  ])("%s on POST /threads", async (_name, type, body) => {
    const before = await threadCount();
    const headers: Record<string, string> = { authorization: `Bearer ${token("alice")}` };
    if (type) headers["content-type"] = type;
    const res = await fetch(`${env.server.url}/threads`, {
      method: "POST",
      headers,
      body: new TextEncoder().encode(body),
    });
    expect(res.status).toBe(415);
    const json = (await res.json()) as { error: string; message: string };
    expect(json).toEqual({
      error: "unsupported_media_type",
      message: expect.stringMatching(/Content-Type: application\/json/),
      request_id: expect.any(String),
    });
    expect(await threadCount()).toBe(before);
  });

  test("a text/plain body on a store put and on a patch is a 415 too", async () => {
    const alice = client(env.server.url, token("alice"));
    const thread = (await alice.post("/threads", { metadata: { a: 1 } })).body;
    const patch = await alice.patch(`/threads/${thread.thread_id}`, undefined, {
      rawBody: '{"metadata":{"a":2}}',
      headers: { "content-type": "text/plain" },
    });
    expect(patch.status).toBe(415);
    expect((await alice.get(`/threads/${thread.thread_id}`)).body.metadata).toEqual({ a: 1, owner: "alice" });
    const put = await alice.put("/store/items", undefined, {
      rawBody: "namespace=alice&key=k",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(put.status).toBe(415);
  });

  test("JSON bodies, empty bodies and requests without a body still work", async () => {
    const alice = client(env.server.url, token("alice"));
    expect((await alice.post("/threads", { metadata: {} })).status).toBe(200);
    expect((await alice.post("/threads/search")).status).toBe(200); // no body at all
    const empty = await call(env.server.url, "POST", "/threads/search", {
      token: token("alice"),
      headers: { "content-length": "0" },
    });
    expect(empty.status).toBe(200);
    const charset = await alice.post("/threads", undefined, {
      rawBody: "{}",
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(charset.status).toBe(200);
  });

  test("without a token the answer is still 401, whatever the body type", async () => {
    const res = await call(env.server.url, "POST", "/threads", {
      rawBody: "x",
      headers: { "content-type": "text/plain" },
    });
    expect(res.status).toBe(401);
  });
});

describe("strings PostgreSQL cannot store: a 400 that names the problem", () => {
  const alice = () => client(env.server.url, token("alice"));
  test.each([
    ["a lone high surrogate in a value", '{"metadata":{"x":"a\\ud800b"}}', /surrogate/],
    ["a lone low surrogate in a key", '{"metadata":{"\\udc00":1}}', /surrogate/],
    ["a lone surrogate in a store value", null, /surrogate/],
    ["a NUL in a value", '{"metadata":{"x":"a\\u0000b"}}', /NUL/],
    ["a NUL in a key", '{"metadata":{"a\\u0000":1}}', /NUL/],
  ])("%s", async (_name, raw, message) => {
    const res = raw
      ? await alice().post("/threads", undefined, { rawBody: raw })
      : await alice().put("/store/items", undefined, {
          rawBody: '{"namespace":["alice"],"key":"k","value":{"t":"\\ud83d"}}',
        });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: "bad_request",
      message: expect.stringMatching(message),
      request_id: expect.any(String),
    });
    if (String(message) === String(/surrogate/)) expect(res.body.message).not.toMatch(/NUL/);
  });

  test("a paired surrogate (an emoji written as escapes) is stored as it is", async () => {
    const res = await alice().post("/threads", undefined, { rawBody: '{"metadata":{"x":"\\ud83d\\ude00"}}' });
    expect(res.status).toBe(200);
    expect(res.body.metadata.x).toBe("😀");
  });
});
