/**
 * Hostile tokens against the example server (RFC 8725, RFC 6750): every
 * forged, stale, malformed or misplaced credential is a 401 with an RFC 6750
 * challenge and a generic JSON body, and the server answers the next request.
 * Issuer/audience checks need a strategy configured with them: they are in
 * packages/server-plugin/test/security/tokens.test.ts.
 */
import { createHmac, createSign, generateKeyPairSync } from "node:crypto";
import jwt from "jsonwebtoken";
import { openDb, type Db } from "../../src/db";
import { call, SECRET, startServer, token, type Reply, type TestServer } from "../support/server";
import { dechunk, expectSafeError, rawRequest } from "./support";

jest.setTimeout(30_000);

const b64u = (value: string | Buffer) => Buffer.from(value).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  sub: "alice",
  scopes: ["threads:read", "threads:write"],
  ...extra,
});

/** A JWS with any header and payload text, HMAC-SHA256 over it with `key`. */
function hs256(header: object | string, payload: object | string, key: string | Buffer = SECRET): string {
  const text = (part: object | string) => (typeof part === "string" ? part : JSON.stringify(part));
  const input = `${b64u(text(header))}.${b64u(text(payload))}`;
  return `${input}.${createHmac("sha256", key).update(input).digest("base64url")}`;
}

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const publicPem = rsa.publicKey.export({ type: "spki", format: "pem" }) as string;
const attacker = generateKeyPairSync("rsa", { modulusLength: 2048 });

function rs256(header: object, payload: object, privateKey = rsa.privateKey): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${createSign("RSA-SHA256").update(input).sign(privateKey).toString("base64url")}`;
}

const valid = token("alice", ["threads:read", "threads:write"]);
const [validHeader, validPayload, validSignature] = valid.split(".") as [string, string, string];

/** Each is sent as `Authorization: Bearer <token>`. */
const FORGED: [string, () => string][] = [
  ["alg none, empty signature", () => `${b64u('{"alg":"none","typ":"JWT"}')}.${b64u(JSON.stringify(claims()))}.`],
  ["alg None (mixed case)", () => `${b64u('{"alg":"None","typ":"JWT"}')}.${b64u(JSON.stringify(claims()))}.`],
  ["alg NONE with a signature attached", () => `${b64u('{"alg":"NONE"}')}.${validPayload}.${validSignature}`],
  [
    "alg none with alice's valid HS256 signature kept",
    () => `${b64u('{"alg":"none"}')}.${validPayload}.${validSignature}`,
  ],
  [
    "HS256 signed with an RSA public key (PEM) as the HMAC secret: algorithm confusion",
    () => hs256({ alg: "HS256", typ: "JWT" }, claims(), publicPem),
  ],
  [
    "HS256 signed with the RSA public key's DER bytes",
    () => hs256({ alg: "HS256" }, claims(), rsa.publicKey.export({ type: "spki", format: "der" })),
  ],
  ["RS256 with a valid RSA signature (the server pins HS256)", () => rs256({ alg: "RS256", typ: "JWT" }, claims())],
  [
    "RS256 with the attacker's key embedded as a jwk header",
    () => rs256({ alg: "RS256", jwk: attacker.publicKey.export({ format: "jwk" }) }, claims(), attacker.privateKey),
  ],
  [
    "HS256 with a jku header pointing elsewhere and a wrong key",
    () =>
      hs256({ alg: "HS256", jku: "http://127.0.0.1:1/jwks.json", kid: "x" }, claims(), "attacker-secret-0123456789"),
  ],
  [
    "HS256 with a kid path traversal and a key of empty bytes",
    () => hs256({ alg: "HS256", kid: "../../../../dev/null" }, claims(), Buffer.alloc(0)),
  ],
  [
    "HS512 signed with the right secret (algorithm not pinned)",
    () => jwt.sign(claims(), SECRET, { algorithm: "HS512" }),
  ],
  [
    "a wrong signature (another secret)",
    () => jwt.sign(claims(), "another-secret-0123456789abcdef", { algorithm: "HS256" }),
  ],
  [
    "alice's signature on a payload changed to bob",
    () => `${validHeader}.${b64u(JSON.stringify({ ...(jwt.decode(valid) as object), sub: "bob" }))}.${validSignature}`,
  ],
  ["the signature stripped", () => `${validHeader}.${validPayload}.`],
  ["the signature truncated by one character", () => valid.slice(0, -1)],
  ["expired an hour ago", () => jwt.sign(claims({ exp: now() - 3600 }), SECRET, { algorithm: "HS256" })],
  ["expired a second ago", () => jwt.sign(claims({ exp: now() - 1 }), SECRET, { algorithm: "HS256" })],
  ["nbf an hour in the future", () => jwt.sign(claims({ nbf: now() + 3600 }), SECRET, { algorithm: "HS256" })],
  ["exp as a string", () => hs256({ alg: "HS256" }, claims({ exp: "9999999999" }))],
  ["no sub claim", () => jwt.sign({ scopes: [] }, SECRET, { algorithm: "HS256" })],
  ["sub as an object", () => jwt.sign({ sub: { identity: "alice" }, scopes: [] }, SECRET, { algorithm: "HS256" })],
  ["scopes as a string", () => jwt.sign({ sub: "alice", scopes: "threads:read" }, SECRET, { algorithm: "HS256" })],
  ["malformed: one segment", () => "eyJhbGciOiJIUzI1NiJ9"],
  ["malformed: two segments", () => `${validHeader}.${validPayload}`],
  ["malformed: four segments", () => `${valid}.${validSignature}`],
  ["malformed: five segments (JWE shape)", () => `${validHeader}..${validPayload}.${validSignature}.${validSignature}`],
  ["malformed: bad base64", () => "!!!.@@@.###"],
  ["malformed: header not JSON", () => `${b64u("not json")}.${validPayload}.${validSignature}`],
  ["malformed: payload not JSON, validly signed", () => hs256({ alg: "HS256" }, "not json")],
  ["malformed: payload a JSON string, validly signed", () => hs256({ alg: "HS256" }, '"alice"')],
  ["malformed: payload a JSON array, validly signed", () => hs256({ alg: "HS256" }, '["alice"]')],
  ["malformed: header a JSON array", () => hs256("[]", claims())],
  ["malformed: empty segments", () => ".."],
  ["8 KB of garbage", () => "a".repeat(8 * 1024)],
];

/** Each is the whole `Authorization` header. */
const WRONG_SCHEME: [string, () => string][] = [
  ["Basic credentials", () => `Basic ${Buffer.from("alice:password").toString("base64")}`],
  ["the token without a scheme", () => valid],
  ["Bearer with nothing after it", () => "Bearer"],
  ["Bearer and a space", () => "Bearer "],
  ["Token scheme", () => `Token ${valid}`],
  ["bearer (lower case) with a forged token", () => `bearer ${jwt.sign(claims(), "another-secret-0123456789abcdef")}`],
];

let db: Db;
let server: TestServer;
let aliceThread: string;

beforeAll(async () => {
  db = await openDb({ memory: true });
  server = await startServer({ db });
  const created = await call(server.url, "POST", "/threads", { token: valid, body: { metadata: { probe: "tokens" } } });
  aliceThread = created.body.thread_id;
}, 120_000);

afterAll(async () => {
  await server?.close();
  await db?.close();
}, 60_000);

/** The challenge for a credential that was sent and refused. */
const INVALID =
  /^Bearer realm="api", error="invalid_token"(, error_description="[\x20-\x21\x23-\x5b\x5d-\x7e]*")?, ApiKey header="X-API-Key", realm="api"$/;

async function expectStillUp(): Promise<void> {
  const res = await call(server.url, "GET", `/threads/${aliceThread}`, { token: valid });
  expect(res.status).toBe(200);
  expect(res.body.metadata.owner).toBe("alice");
}

function expectRefused(res: Reply, sent: string): void {
  expectSafeError(res, 401, "invalid_token");
  expect(res.headers.get("www-authenticate")).toMatch(INVALID);
  if (sent.length > 12) expect(res.text).not.toContain(sent);
}

describe("forged, stale and malformed bearer tokens", () => {
  test.each(FORGED)("%s: 401 invalid_token, generic body, server still answers", async (_name, make) => {
    const forged = make();
    const res = await call(server.url, "GET", `/threads/${aliceThread}`, {
      headers: { authorization: `Bearer ${forged}` },
    });
    expectRefused(res, forged);
    await expectStillUp();
  });

  test.each(WRONG_SCHEME)("%s: 401 invalid_token", async (_name, make) => {
    const header = make();
    const res = await call(server.url, "GET", `/threads/${aliceThread}`, { headers: { authorization: header } });
    expectRefused(res, header);
    await expectStillUp();
  });

  test("the control: the genuine token is accepted", async () => {
    await expectStillUp();
  });
});

describe("where the token is read from", () => {
  test("lower-case `bearer` with a valid token is accepted: the scheme is case-insensitive (RFC 7235 §2.1)", async () => {
    const res = await call(server.url, "GET", `/threads/${aliceThread}`, {
      headers: { authorization: `bearer ${valid}` },
    });
    expect(res.status).toBe(200);
    expect(res.body.metadata.owner).toBe("alice");
  });

  test.each([
    ["access_token in the query string", (path: string) => `${path}?access_token=${valid}`],
    ["token in the query string", (path: string) => `${path}?token=${valid}`],
    [
      "authorization in the query string",
      (path: string) => `${path}?authorization=${encodeURIComponent(`Bearer ${valid}`)}`,
    ],
  ])("%s is ignored: 401 with the bare challenge (no credential was sent)", async (_name, withQuery) => {
    const res = await call(server.url, "GET", withQuery(`/threads/${aliceThread}`));
    expectSafeError(res, 401, "credentials_required");
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api", ApiKey header="X-API-Key", realm="api"'); // the JWT's and the API key's challenges
    expect(res.text).not.toContain(valid);
  });

  test("access_token in a form or JSON body is ignored", async () => {
    const json = await call(server.url, "POST", "/threads/search", { body: { access_token: valid } });
    expectSafeError(json, 401, "credentials_required");
    const form = await call(server.url, "POST", "/threads/search", {
      rawBody: `access_token=${valid}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expectSafeError(form, 401, "credentials_required");
  });

  test("a token in the query string does not replace the header's: the request is the header's user", async () => {
    const bob = token("bob");
    const res = await call(server.url, "GET", `/threads/${aliceThread}?access_token=${valid}`, { token: bob });
    expect(res.status).toBe(404);
  });
});

describe("oversized and repeated Authorization headers", () => {
  test("a 15 KB bearer token (under Node's 16 KB header limit) is a 401", async () => {
    const big = "A".repeat(15 * 1024);
    const res = await call(server.url, "GET", `/threads/${aliceThread}`, {
      headers: { authorization: `Bearer ${big}` },
    });
    expectRefused(res, big);
    await expectStillUp();
  });

  test("a 16 KB Authorization header is refused by Node's HTTP parser with 431, before any handler runs", async () => {
    const big = "A".repeat(16 * 1024);
    const reply = await rawRequest(
      server.url,
      `GET /threads/${aliceThread} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${big}\r\nConnection: close\r\n\r\n`,
    );
    expect(reply.status).toBe(431);
    expect(reply.body).not.toContain(big.slice(0, 64));
    await expectStillUp();
  });

  const twoHeaders = (first: string, second: string) =>
    `GET /threads/${aliceThread} HTTP/1.1\r\nHost: x\r\nAuthorization: ${first}\r\nAuthorization: ${second}\r\nConnection: close\r\n\r\n`;
  const bob = () => `Bearer ${token("bob")}`;

  test("two headers, alice's first: the request is alice's (Node keeps the first)", async () => {
    const reply = await rawRequest(server.url, twoHeaders(`Bearer ${valid}`, bob()));
    expect(reply.status).toBe(200);
    expect(JSON.parse(dechunk(reply)).metadata.owner).toBe("alice");
  });

  test("two headers, bob's first: the request is bob's, so alice's thread is a 404; the second header is never used", async () => {
    const reply = await rawRequest(server.url, twoHeaders(bob(), `Bearer ${valid}`));
    expect(reply.status).toBe(404);
    expect(dechunk(reply)).not.toContain("tokens");
  });

  test("two headers, a forged one first: 401 even though the second is valid", async () => {
    const reply = await rawRequest(server.url, twoHeaders("Bearer forged.token.here", `Bearer ${valid}`));
    expect(reply.status).toBe(401);
    expect(reply.headers).toContainEqual(["www-authenticate", expect.stringMatching(INVALID)]);
  });
});

describe("public paths cannot be used to reach protected routes", () => {
  // Sent raw: fetch would normalise the dot segments away.
  test.each([
    "/health/../threads/search",
    "/health/..%2fthreads/search",
    "/health%2f..%2fthreads/search",
    "/info/%2e%2e/threads/search",
    "/health;/threads/search",
    "//threads/search",
    "/threads/search/",
    "/THREADS/SEARCH",
    "/threads%2fsearch",
    "/health#/threads/search",
  ])("POST %s without a token is never served as a protected route", async (path) => {
    const reply = await rawRequest(
      server.url,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    // 401 from the authenticate middleware, 400 from Node's parser for a target it refuses, or the
    // public path itself (which has no POST route: 404); never a 2xx or a thread list.
    expect([400, 401, 404]).toContain(reply.status);
    const body = dechunk(reply);
    if (reply.status === 404) expect(JSON.parse(body).message).toMatch(/^No route for POST \/(health|info)$/);
    expect(body).not.toContain("thread_id");
  });
});
