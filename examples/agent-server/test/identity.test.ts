/**
 * The example server's three kinds of callers side by side: its own HS256 JWTs,
 * a real OpenID provider's RS256 access tokens (OIDC_ISSUER/OIDC_AUDIENCE, JWKS by
 * discovery or OIDC_JWKS_URI), and API keys created by `npm run apikey` (stored as
 * SHA-256 hashes). Each kind has its own permissions; first success wins; a rejected
 * key is invalid_token with every strategy's challenge.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import express from "express";
import { Pool } from "pg";
import { apiKey, createClient, ForbiddenError, UnauthorizedError } from "@gatehouse/client";
import { createApiKey, hashApiKey, listApiKeys, revokeApiKeys } from "../src/api-keys";
import { parseApiKeyArgs, runApiKeyCli } from "../src/apikey-cli";
import { createAuth, oidcFromEnv } from "../src/auth";
import { openDb, type Db, type Queryable } from "../src/db";
import { rsaKey, startOidcProvider, type OidcProvider } from "../../../packages/server-plugin/test/support/oidc";
import { DATABASES, openTestDatabase, type TestDatabase } from "./support/databases";
import { call, client, startServer, token, type Reply, type TestServer } from "./support/server";

jest.setTimeout(180_000);

let provider: OidcProvider;
beforeAll(async () => {
  provider = await startOidcProvider([rsaKey()]);
});
afterAll(async () => {
  await provider?.stop();
});

describe.each(DATABASES)("on %s", (kind) => {
  let database: TestDatabase;
  let server: TestServer;
  let db: Db;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
    db = database.db;
    server = await startServer({
      db,
      oidc: { issuer: provider.issuer, audience: "agent-api", jwksUri: provider.jwksUri },
    });
  });
  afterAll(async () => {
    await server?.close();
    await database?.dispose();
  });

  test("an OpenID provider's access token: scope → permissions, owner scoping like any user", async () => {
    const oidc = client(server.url, await provider.token("threads:read threads:write"));
    const created = await oidc.post("/threads", { metadata: { topic: "ci" } });
    expect(created.status).toBe(200);
    expect(created.body.metadata.owner).toBe("ci-client");
    const alice = client(server.url, token("alice"));
    expect((await alice.get(`/threads/${created.body.thread_id}`)).status).toBe(404);
    const readOnly = client(server.url, await provider.token("threads:read"));
    expect((await readOnly.post("/threads", { metadata: {} })).status).toBe(403);
    expect((await readOnly.get(`/threads/${created.body.thread_id}`)).status).toBe(200);
  });

  test("API keys: stored as SHA-256 only, their own scopes, next to JWTs", async () => {
    const key = await createApiKey(db, { identity: "ci-bot", scopes: ["threads:read"] });
    const rows = await db.query("SELECT * FROM api_keys WHERE identity = 'ci-bot'");
    expect(rows).toHaveLength(1);
    expect(rows[0].key_hash).toBe(createHash("sha256").update(key).digest("hex"));
    expect(JSON.stringify(rows)).not.toContain(key);

    const bot = (method: string, p: string, body?: unknown) =>
      call(server.url, method, p, { body, headers: { "X-API-Key": key } });
    expect((await bot("POST", "/threads/search", {})).status).toBe(200);
    const denied = await bot("POST", "/threads", { metadata: {} });
    expect(denied.status).toBe(403); // read-only key
    // alice (JWT) and the bot do not see each other's threads.
    const alice = client(server.url, token("alice"));
    const thread = await alice.post("/threads", { metadata: {} });
    expect((await bot("GET", `/threads/${thread.body.thread_id}`)).status).toBe(404);
    // Both credentials sent: the first strategy that accepts wins (the JWT).
    const both = await call(server.url, "POST", "/threads", {
      token: token("alice"),
      body: { metadata: {} },
      headers: { "X-API-Key": key },
    });
    expect(both.status).toBe(200);
    expect(both.body.metadata.owner).toBe("alice");
  });

  test('@gatehouse/client with apiKey("X-API-Key", key): reads, gets ForbiddenError on writes, UnauthorizedError with a wrong key', async () => {
    const key = await createApiKey(db, { identity: "sdk-bot", scopes: ["threads:read"] });
    const bot = createClient({ baseURL: server.url, credentials: apiKey("X-API-Key", key) });
    expect(await bot.threads.search({ limit: 5 })).toEqual([]);
    await expect(bot.threads.create({ metadata: {} })).rejects.toBeInstanceOf(ForbiddenError);
    const wrong = createClient({ baseURL: server.url, credentials: apiKey("X-API-Key", "gh_wrong") });
    const err = await wrong.threads.search({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as UnauthorizedError).body).toEqual({
      error: "invalid_token",
      message: "The credentials are invalid",
      request_id: expect.any(String),
    });
    expect((err as UnauthorizedError).challenge?.scheme).toBe("Bearer");
  });

  test("revoked keys (by key, by id, by identity) are refused at their next request; others keep working", async () => {
    const keys = await Promise.all(
      ["rev-a", "rev-a", "rev-b", "rev-c"].map((identity) => createApiKey(db, { identity, scopes: ["threads:read"] })),
    );
    const status = async (key: string) =>
      (await call(server.url, "POST", "/threads/search", { body: {}, headers: { "X-API-Key": key } })).status;
    expect(await Promise.all(keys.map(status))).toEqual([200, 200, 200, 200]);

    const listed = (await listApiKeys(db)).filter((k) => k.identity.startsWith("rev-"));
    expect(listed.map((k) => k.id).sort()).toEqual(keys.map((k) => hashApiKey(k).slice(0, 12)).sort());
    expect(JSON.stringify(listed)).not.toMatch(/gh_/);

    expect(await revokeApiKeys(db, { key: keys[0] })).toBe(1);
    expect(await Promise.all(keys.map(status))).toEqual([401, 200, 200, 200]);
    expect(await revokeApiKeys(db, { id: hashApiKey(keys[2]).slice(0, 12) })).toBe(1);
    expect(await Promise.all(keys.map(status))).toEqual([401, 200, 401, 200]);
    expect(await revokeApiKeys(db, { identity: "rev-a" })).toBe(1);
    expect(await Promise.all(keys.map(status))).toEqual([401, 401, 401, 200]);
    expect(await revokeApiKeys(db, { key: keys[0] })).toBe(0);
    await expect(revokeApiKeys(db, { id: "' OR 1=1 --" })).rejects.toThrow(/12 hex digits/);
    expect(await status(keys[3])).toBe(200);
  });

  test("a token whose sub has NUL is 401, not 500", async () => {
    const res = await call(server.url, "POST", "/threads", { token: token("ali\u0000ce"), body: { metadata: {} } });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("invalid_token");
  });

  test("a wrong API key is invalid_token, with the challenge of every strategy", async () => {
    const wrong = await call(server.url, "POST", "/threads/search", {
      body: {},
      headers: { "X-API-Key": "gh_not-a-key" },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({
      error: "invalid_token",
      message: "The credentials are invalid",
      request_id: wrong.headers.get("x-request-id"),
    });
    const challenge = wrong.headers.get("www-authenticate")!;
    expect(challenge).toContain('Bearer realm="api"');
    expect(challenge).toContain('ApiKey header="X-API-Key", realm="api", error="invalid_token"');
    const none = await call(server.url, "POST", "/threads/search", { body: {} });
    expect(none.status).toBe(401);
    expect(none.body.error).toBe("credentials_required");
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="api", ApiKey header="X-API-Key", realm="api"');
  });
});

(process.env.DATABASE_URL ? describe : describe.skip)(
  "the API-key recipe, several processes on a fresh PostgreSQL",
  () => {
    const PROCESSES = 6;
    const ROUNDS = 4; // PostgreSQL's answer to the losers depends on timing (23505, 42P07 or 42710): several tries
    const url = process.env.DATABASE_URL!;
    const queryable = (pool: Pool): Queryable => ({
      query: async (text, params) => (await pool.query(text, params as unknown[])).rows,
    });

    /** `PROCESSES` pools, each with its own Auth and apiKeyStrategy, on a schema without api_keys; `fn` asks them. */
    async function onFreshSchema(fn: (ask: (key: string) => Promise<Reply[]>, pools: Pool[]) => Promise<void>) {
      const schema = `gh_keys_${randomBytes(6).toString("hex")}`;
      const admin = new Pool({ connectionString: url, max: 1 });
      await admin.query(`CREATE SCHEMA ${schema}`);
      const pools: Pool[] = [];
      const app = express();
      for (let i = 0; i < PROCESSES; i++) {
        const pool = new Pool({ connectionString: url, max: 1, options: `-c search_path=${schema}` });
        pools.push(pool);
        await pool.query("SELECT 1"); // connected, so the first keys reach PostgreSQL together
        const auth = createAuth({ jwtSecret: "s".repeat(32), apiKeys: queryable(pool) });
        app.get(`/p${i}`, auth.middleware(), (req, res) => void res.json({ identity: req.auth!.user.identity }));
      }
      const server = app.listen(0, "127.0.0.1");
      try {
        await new Promise((resolve) => server.once("listening", resolve));
        const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        const ask = (key: string) =>
          Promise.all(pools.map((_pool, i) => call(base, "GET", `/p${i}`, { headers: { "X-API-Key": key } })));
        await fn(ask, pools);
      } finally {
        await new Promise((resolve) => {
          server.close(resolve);
          server.closeAllConnections();
        });
        await Promise.all(pools.map((pool) => pool.end()));
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => admin.end());
      }
    }

    test("every process's first key at once: 401 for an unknown key (the table made once, never a 500), then a new key works in all", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        await onFreshSchema(async (ask, pools) => {
          const first = await ask("gh_not-a-key");
          expect(first.map((r) => r.status)).toEqual(Array(PROCESSES).fill(401));
          const key = await createApiKey(queryable(pools[0]), { identity: "cron-bot", scopes: ["threads:read"] });
          const then = await ask(key);
          expect(then.map((r) => [r.status, r.body])).toEqual(Array(PROCESSES).fill([200, { identity: "cron-bot" }]));
        });
      }
    });
  },
);

describe("the API-key recipe when creating its table fails", () => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb({ memory: true });
  });
  afterAll(() => db?.close());

  /** The server's Auth with API keys on `db`, whose first `CREATE TABLE … api_keys` fails with `code`. */
  async function withFailingCreate(
    code: string,
    fn: (status: (key: string) => Promise<number>, key: string) => Promise<void>,
  ) {
    let failed = false;
    const failingOnce: Queryable = {
      query: (text, params, options) => {
        if (!failed && text.startsWith("CREATE TABLE IF NOT EXISTS api_keys")) {
          failed = true;
          return Promise.reject(Object.assign(new Error(`PostgreSQL error ${code}`), { code }));
        }
        return db.query(text, params, options);
      },
    };
    const app = express();
    app.get("/me", createAuth({ jwtSecret: "s".repeat(32), apiKeys: failingOnce }).middleware(), (req, res) => {
      res.json({ identity: req.auth!.user.identity });
    });
    const server = app.listen(0, "127.0.0.1");
    try {
      await new Promise((resolve) => server.once("listening", resolve));
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const key = await createApiKey(db, { identity: "bot", scopes: ["threads:read"] });
      await fn(async (k) => (await call(base, "GET", "/me", { headers: { "X-API-Key": k } })).status, key);
    } finally {
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
    }
  }

  test.each(["23505", "42P07", "42710"])(
    "%s (another process created it first) means the table is there: the key works",
    async (code) => {
      await withFailingCreate(code, async (status, key) => {
        expect(await status(key)).toBe(200);
      });
    },
  );

  test("any other error is a 500 for that request, and the next key tries again", async () => {
    await withFailingCreate("53300", async (status, key) => {
      expect(await status(key)).toBe(500); // too_many_connections: nothing is known about the table
      expect(await status(key)).toBe(200);
    });
  });
});

describe("configuration from the environment", () => {
  test("OIDC_ISSUER + OIDC_AUDIENCE (+ OIDC_JWKS_URI); half a configuration throws", () => {
    expect(oidcFromEnv({})).toBeUndefined();
    expect(oidcFromEnv({ OIDC_ISSUER: "https://id.example/", OIDC_AUDIENCE: "agent-api" })).toEqual({
      issuer: "https://id.example/",
      audience: "agent-api",
      jwksUri: undefined,
    });
    expect(
      oidcFromEnv({ OIDC_ISSUER: "https://id.example/", OIDC_AUDIENCE: "a", OIDC_JWKS_URI: "https://id.example/jwks" })
        ?.jwksUri,
    ).toBe("https://id.example/jwks");
    expect(() => oidcFromEnv({ OIDC_ISSUER: "https://id.example/" })).toThrow(/OIDC_AUDIENCE/);
    expect(() => oidcFromEnv({ OIDC_AUDIENCE: "a" })).toThrow(/OIDC_ISSUER/);
  });

  test("with discovery (no OIDC_JWKS_URI) the provider's tokens are accepted too", async () => {
    const db = await openDb({ memory: true });
    const server = await startServer({
      db,
      oidc: oidcFromEnv({ OIDC_ISSUER: provider.issuer, OIDC_AUDIENCE: "agent-api" }),
    });
    try {
      const res = await call(server.url, "POST", "/threads/search", { token: await provider.token(), body: {} });
      expect(res.status).toBe(200);
    } finally {
      await server.close();
      await db.close();
    }
  });
});

describe("npm run apikey -- create | list | revoke", () => {
  test("parses the arguments and refuses unknown scopes and options", () => {
    expect(parseApiKeyArgs(["create", "--identity", "ci-bot", "--scopes", "threads:read"])).toEqual({
      command: "create",
      identity: "ci-bot",
      scopes: ["threads:read"],
    });
    expect(
      parseApiKeyArgs(["create", "--identity=ci-bot", "--scopes", "threads:read,store:read", "threads:write"]),
    ).toMatchObject({ scopes: ["threads:read", "store:read", "threads:write"] });
    expect(() => parseApiKeyArgs(["create", "--scopes", "threads:read"])).toThrow(/--identity/);
    expect(() => parseApiKeyArgs(["create", "--identity", "x", "--admin"])).toThrow(/unknown option --admin/);
    expect(() => parseApiKeyArgs(["delete"])).toThrow(/usage/);

    expect(parseApiKeyArgs(["list"])).toEqual({ command: "list" });
    expect(() => parseApiKeyArgs(["list", "--identity", "x"])).toThrow(/unknown option --identity for list/);
    expect(parseApiKeyArgs(["revoke", "--key", "gh_x"])).toEqual({ command: "revoke", key: "gh_x" });
    expect(parseApiKeyArgs(["revoke", "--id=3fa9c0d21b7e"])).toEqual({ command: "revoke", id: "3fa9c0d21b7e" });
    expect(parseApiKeyArgs(["revoke", "--identity", "ci-bot"])).toEqual({ command: "revoke", identity: "ci-bot" });
    expect(() => parseApiKeyArgs(["revoke"])).toThrow(/exactly one of --key, --id or --identity/);
    expect(() => parseApiKeyArgs(["revoke", "--key", "a", "--identity", "b"])).toThrow(/exactly one/);
    expect(() => parseApiKeyArgs(["revoke", "--key", "a", "b"])).toThrow(/--key takes one value/);
    expect(() => parseApiKeyArgs(["revoke", "--scopes", "threads:read"])).toThrow(/unknown option --scopes/);
  });

  test("create prints the key once; the server accepts it; the database holds only its hash; list and revoke", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-apikey-"));
    try {
      const lines: string[] = [];
      const code = await runApiKeyCli(
        ["create", "--identity", "ci-bot", "--scopes", "threads:read"],
        { PGLITE_DIR: dir },
        (l) => void lines.push(l),
      );
      expect(code).toBe(0);
      const keys = lines.filter((l) => /^gh_[\w-]{43}$/.test(l));
      expect(keys).toHaveLength(1);
      const key = keys[0];
      expect(lines.filter((l) => l.includes(key))).toHaveLength(1); // printed once
      const bad: string[] = [];
      expect(
        await runApiKeyCli(
          ["create", "--identity", "ci-bot", "--scopes", "threads:admin"],
          { PGLITE_DIR: dir },
          (l) => void bad.push(l),
        ),
      ).toBe(2);
      expect(bad.join("\n")).toMatch(/unknown scope "threads:admin"/);

      const db = await openDb({ pgliteDir: dir });
      const server = await startServer({ db });
      try {
        expect((await db.query("SELECT key_hash FROM api_keys")).map((r) => r.key_hash)).toEqual([hashApiKey(key)]);
        expect(
          (await call(server.url, "POST", "/threads/search", { body: {}, headers: { "X-API-Key": key } })).status,
        ).toBe(200);
        expect(
          (await call(server.url, "POST", "/threads", { body: { metadata: {} }, headers: { "X-API-Key": key } }))
            .status,
        ).toBe(403);
      } finally {
        await server.close();
        await db.close();
      }

      // PGlite is owned by one process: list and revoke while the server is stopped.
      const cli = async (...argv: string[]) => {
        const out: string[] = [];
        const exit = await runApiKeyCli(argv, { PGLITE_DIR: dir }, (l) => void out.push(l));
        return { exit, text: out.join("\n") };
      };
      const id = hashApiKey(key).slice(0, 12);
      const list = await cli("list");
      expect(list.exit).toBe(0);
      expect(list.text).toMatch(new RegExp(`^1 API key in PGlite.*:\\n${id}  ci-bot  threads:read  created \\d{4}-`));
      expect(list.text).not.toContain(key);
      expect(await cli("revoke", "--id", id)).toMatchObject({
        exit: 0,
        text: expect.stringMatching(/^Revoked 1 API key \(id /),
      });
      expect(await cli("revoke", "--key", key)).toMatchObject({
        exit: 1,
        text: expect.stringMatching(/^No API key matches that key: nothing revoked/),
      });
      expect(await cli("list")).toMatchObject({ exit: 0, text: expect.stringMatching(/^0 API keys in PGlite/) });
      const reopened = await openDb({ pgliteDir: dir });
      const again = await startServer({ db: reopened });
      try {
        const res = await call(again.url, "POST", "/threads/search", { body: {}, headers: { "X-API-Key": key } });
        expect(res.status).toBe(401);
      } finally {
        await again.close();
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
