/**
 * jwtStrategy({ jwksUri | discovery }) against a real OpenID provider (oidc-provider,
 * started here on 127.0.0.1): its RS256 JWT access tokens are accepted; wrong
 * audience or issuer, expired, alg none, HS256 signed with the public key and
 * unknown kids are refused; key rotation works; a JWKS outage is 503 (never 401,
 * never an address) and recovers; a storm of unknown kids is not a storm of fetches.
 */
import express, { type Express } from "express";
import jwt from "jsonwebtoken";
import { createPublicKey, randomUUID } from "node:crypto";
import request from "supertest";
import { Auth, jwtStrategy, type JwtPayload } from "../src/index";
import { createOidcAuth } from "../examples/oidc-auth";
import { rsaKey, startOidcProvider, type OidcProvider, type SigningKey } from "./support/oidc";

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => Math.floor(Date.now() / 1000);

let provider: OidcProvider;
let first: SigningKey;

beforeAll(async () => {
  first = rsaKey();
  provider = await startOidcProvider([first]);
});
afterAll(async () => {
  await provider?.stop();
});

function logger() {
  const lines: string[] = [];
  return { lines, error: (message: string) => void lines.push(message) };
}

function appWith(strategy: ReturnType<typeof jwtStrategy>): Express {
  const auth = new Auth({ unhandled: "allow" }).authenticate(strategy);
  const app = express();
  app.use(auth.middleware());
  app.get(
    "/me",
    (req, res) => void res.json({ identity: req.auth!.user.identity, permissions: req.auth!.permissions }),
  );
  return app;
}

function oidcStrategy(extra: Partial<Parameters<typeof jwtStrategy>[0]> = {}) {
  return jwtStrategy({
    jwksUri: provider.jwksUri,
    issuer: provider.issuer,
    audience: "agent-api",
    algorithms: ["RS256"],
    ...extra,
  });
}

/** A token signed with `key` as the provider would sign it, with `claims` over the usual ones. */
function forged(key: SigningKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string {
  return jwt.sign(
    {
      sub: "ci-client",
      iss: provider.issuer,
      aud: "agent-api",
      scope: "threads:read",
      iat: now(),
      exp: now() + 300,
      ...claims,
    },
    key.privateKey,
    { algorithm: "RS256", keyid: key.kid, header: { alg: "RS256", kid: key.kid, ...header } },
  );
}

const get = (app: Express, token: string) => request(app).get("/me").set("Authorization", `Bearer ${token}`);

/** Recovery: the status once the JWKS is back, retrying past the pause after a failed fetch (bounded, no clock assertion). */
async function statusAfterRecovery(app: Express, token: string): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < 40 && status !== 200; attempt++) {
    await sleep(150);
    status = (await get(app, token)).status;
    if (status !== 200 && status !== 503) break;
  }
  return status;
}

describe("tokens of a real OpenID provider", () => {
  const log = logger();
  let app: Express;
  beforeAll(() => {
    app = appWith(oidcStrategy({ logger: log }));
  });

  test("an access token from the token endpoint is accepted: sub → identity, scope → permissions", async () => {
    const token = await provider.token("threads:read threads:write");
    expect(jwt.decode(token, { complete: true })?.header).toMatchObject({ alg: "RS256", kid: first.kid });
    const res = await get(app, token).expect(200);
    expect(res.body).toEqual({ identity: "ci-client", permissions: ["threads:read", "threads:write"] });
  });

  test("a token for another audience is 401 invalid_token, and the expected audience is not revealed", async () => {
    const token = await provider.token("threads:read", "urn:gatehouse:other-api");
    const res = await get(app, token).expect(401);
    expect(res.body).toEqual({ error: "invalid_token", message: "The credentials are invalid" });
    expect(res.headers["www-authenticate"]).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The credentials are invalid"',
    );
    expect(JSON.stringify(res.body) + res.headers["www-authenticate"]).not.toMatch(/agent-api|other-api|127\.0\.0\.1/);
  });

  test("another issuer, an expired token, alg none, HS256 signed with the public key: 401", async () => {
    await get(app, forged(first)).expect(200); // the forging itself is sound
    expect((await get(app, forged(first, { iss: "https://evil.example/" })).expect(401)).body.message).toBe(
      "The credentials are invalid",
    );
    expect((await get(app, forged(first, { exp: now() - 10, iat: now() - 100 })).expect(401)).body.message).toBe(
      "The token has expired",
    );
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", kid: first.kid })).toString("base64url")}.${Buffer.from(
      JSON.stringify({ sub: "ci-client", iss: provider.issuer, aud: "agent-api", exp: now() + 60 }),
    ).toString("base64url")}.`;
    await get(app, unsigned).expect(401);
    const publicPem = createPublicKey(first.privateKey).export({ format: "pem", type: "spki" });
    const confused = jwt.sign(
      { sub: "ci-client", iss: provider.issuer, aud: "agent-api", exp: now() + 60 },
      publicPem,
      {
        algorithm: "HS256",
        keyid: first.kid,
      },
    );
    await get(app, confused).expect(401);
  });

  test("a token without exp is refused by default; a crit header is refused", async () => {
    const noExp = jwt.sign({ sub: "ci-client", iss: provider.issuer, aud: "agent-api" }, first.privateKey, {
      algorithm: "RS256",
      keyid: first.kid,
    });
    expect((await get(app, noExp).expect(401)).body.error).toBe("invalid_token");
    await get(app, forged(first, {}, { crit: ["exp"] })).expect(401);
  });

  test("a key the JWKS does not hold (unknown kid) is 401, not 503", async () => {
    const res = await get(app, forged(rsaKey())).expect(401);
    expect(res.body.error).toBe("invalid_token");
  });

  test("nothing reached the error log: refusals are not outages", () => {
    expect(log.lines).toEqual([]);
  });
});

describe("OpenID Connect discovery", () => {
  test("the README recipe (examples/oidc-auth.ts): the provider's tokens are accepted and scoped to their owner", async () => {
    const auth = createOidcAuth(provider.issuer, "agent-api");
    const app = express();
    app.use(auth.middleware());
    app.get(
      "/threads/:thread_id",
      auth.guard("threads:read"),
      (req, res) => void res.json({ filters: req.auth!.filters }),
    );
    const res = await request(app)
      .get("/threads/t1")
      .set("Authorization", `Bearer ${await provider.token()}`)
      .expect(200);
    expect(res.body.filters).toEqual({ owner: "ci-client" });
    await request(app)
      .get("/threads/t1")
      .set("Authorization", `Bearer ${await provider.token("threads:read", "urn:gatehouse:other-api")}`)
      .expect(401);
  });

  test("discovery: true finds the JWKS from the issuer's discovery document", async () => {
    const app = appWith(
      jwtStrategy({ discovery: true, issuer: provider.issuer, audience: "agent-api", algorithms: ["RS256"] }),
    );
    await get(app, await provider.token()).expect(200);
  });
});

describe("key rotation", () => {
  test("a token signed with a newly published key is accepted; the retired key is refused", async () => {
    const app = appWith(oidcStrategy({ jwks: { cooldownMs: 100 } }));
    await get(app, await provider.token()).expect(200);
    const second = rsaKey();
    try {
      await provider.publish([second]); // new key in, old key retired
      await sleep(150); // past the cooldown: an unknown kid may refetch
      const token = await provider.token();
      expect(jwt.decode(token, { complete: true })?.header.kid).toBe(second.kid);
      await get(app, token).expect(200);
      await get(app, forged(first)).expect(401);
    } finally {
      await provider.publish([first]);
    }
  });

  test("with several keys published, a token without kid is refused", async () => {
    const second = rsaKey();
    try {
      await provider.publish([first, second]);
      const app = appWith(oidcStrategy());
      await get(app, forged(first)).expect(200);
      const noKid = jwt.sign(
        { sub: "ci-client", iss: provider.issuer, aud: "agent-api", exp: now() + 60 },
        first.privateKey,
        { algorithm: "RS256" },
      );
      await get(app, noKid).expect(401);
    } finally {
      await provider.publish([first]);
    }
  });
});

describe("a JWKS endpoint that is down or slow", () => {
  test("down: 503 with a log line and no internal address; recovers when it is back", async () => {
    const log = logger();
    const app = appWith(oidcStrategy({ logger: log, jwks: { cooldownMs: 100 } }));
    const token = await provider.token();
    await provider.jwks("down");
    try {
      const res = await get(app, token).expect(503);
      expect(res.body).toEqual({
        error: "service_unavailable",
        message: "The signing keys of the token issuer are unavailable; try again shortly",
      });
      expect(res.headers["www-authenticate"]).toBeUndefined();
      expect(JSON.stringify(res.body) + JSON.stringify(res.headers)).not.toMatch(/127\.0\.0\.1|ECONN|jwks|socket/i);
      expect(log.lines).toHaveLength(1);
      expect(log.lines[0]).toContain(provider.jwksUri);
    } finally {
      await provider.jwks("up");
    }
    expect(await statusAfterRecovery(app, token)).toBe(200);
  });

  test("slow: the fetch times out as 503, then recovers", async () => {
    const log = logger();
    const app = appWith(oidcStrategy({ logger: log, jwks: { timeoutMs: 300, cooldownMs: 100 } }));
    const token = await provider.token();
    await provider.jwks("slow");
    try {
      await get(app, token).expect(503);
      expect(log.lines.length).toBeGreaterThanOrEqual(1);
    } finally {
      await provider.jwks("up");
    }
    expect(await statusAfterRecovery(app, token)).toBe(200);
  });
});

describe("a storm of unknown kids", () => {
  test("200 tokens with random kids cause at most one refetch of the JWKS", async () => {
    const app = appWith(oidcStrategy()); // default cooldown: 30 s
    await get(app, await provider.token()).expect(200);
    const before = await provider.jwksFetches();
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () => get(app, forged(first, {}, { kid: randomUUID() })).then((res) => res.status)),
    );
    expect(new Set(statuses)).toEqual(new Set([401]));
    const fetched = (await provider.jwksFetches()) - before;
    expect(fetched).toBeLessThanOrEqual(1);
    await get(app, await provider.token()).expect(200); // the real key still works
  });
});

describe("typed users", () => {
  test("verify's user type reaches the handlers", async () => {
    const strategy = jwtStrategy({
      jwksUri: provider.jwksUri,
      issuer: provider.issuer,
      audience: "agent-api",
      algorithms: ["RS256"],
      verify: (payload: JwtPayload) => ({ identity: String(payload.sub), client: String(payload.client_id) }),
    });
    const auth = new Auth({ unhandled: "deny" }).authenticate(strategy);
    auth.on("threads:read", ({ user }) => {
      const client: string = user.client; // typed without a cast
      return { client };
    });
    const decision = await auth.authorize(
      {
        user: { identity: "x", client: "c", permissions: [], is_authenticated: true, display_name: "x" },
        permissions: [],
      },
      "threads:read",
      { thread_id: "t" },
    );
    expect(decision.filters).toEqual({ client: "c" });
  });
});
