/**
 * jwtStrategy(): algorithm pinning, claim checks, the verified-token cache and
 * configuration errors, driven through `new Auth().authenticate()` over HTTP.
 */
import { createHmac, createSecretKey, generateKeyPairSync } from "node:crypto";
import express, { type Express } from "express";
import jwt from "jsonwebtoken";
import passport from "passport";
import { Strategy as PassportJwtStrategy } from "passport-jwt";
import request from "supertest";
import { Auth, HTTPException, jwtStrategy, type JwtStrategyOptions } from "../src/index";
import { VerifiedTokenCache } from "../src/token-cache";
import { memoryLogger } from "./support/jwt-app";

const SECRET = "jwt-strategy-test-secret-of-32-bytes!";
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const RSA_PUBLIC_PEM = rsa.publicKey.export({ type: "spki", format: "pem" }) as string;
const RSA_PRIVATE_PEM = rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string;

const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A token built by hand, to forge what jsonwebtoken.sign refuses to produce. */
function handmade(header: object, payload: object, hmacSecret?: string | Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = hmacSecret === undefined ? "" : createHmac("sha256", hmacSecret).update(input).digest("base64url");
  return `${input}.${signature}`;
}

/** HS256 with our secret; expires in 5 minutes unless the payload has its own `exp`. */
function hs256(payload: object): string {
  return jwt.sign(payload, SECRET, "exp" in payload ? { algorithm: "HS256" } : { algorithm: "HS256", expiresIn: 300 });
}

/** An app behind Gatehouse with the given strategy; GET /me echoes req.auth. */
function appFor(strategy: ReturnType<typeof jwtStrategy>, logger = memoryLogger()): Express {
  const auth = new Auth({ logger }).authenticate(strategy);
  const app = express();
  app.use(auth.middleware());
  app.get(
    "/me",
    (req, res) =>
      void res.json({ identity: req.auth!.user.identity, permissions: req.auth!.permissions, user: req.user }),
  );
  return app;
}

function hs(options: Partial<JwtStrategyOptions> = {}) {
  return jwtStrategy({ secret: SECRET, algorithms: ["HS256"], ...options });
}

const get = (app: Express, token?: string) => {
  const r = request(app).get("/me");
  return token === undefined ? r : r.set("Authorization", `Bearer ${token}`);
};

/** Counts full verifications (jsonwebtoken calls) through passport-jwt's documented test hook. */
function countVerifications(): { readonly count: number; restore(): void } {
  const ctor = PassportJwtStrategy as unknown as { JwtVerifier: (...args: unknown[]) => unknown };
  const original = ctor.JwtVerifier;
  const counter = { count: 0, restore: () => void (ctor.JwtVerifier = original) };
  ctor.JwtVerifier = (...args: unknown[]) => {
    counter.count++;
    return original(...args);
  };
  return counter;
}

afterEach(() => jest.restoreAllMocks());

describe("jwtStrategy through Auth", () => {
  it("accepts a valid token and maps sub → identity, scopes → permissions", async () => {
    const res = await get(appFor(hs()), hs256({ sub: "alice", scopes: ["threads:read"] })).expect(200);
    expect(res.body).toMatchObject({ identity: "alice", permissions: ["threads:read"] });
  });

  it("reads an OAuth space-separated `scope` when there is no `scopes`", async () => {
    const res = await get(appFor(hs()), hs256({ sub: "bob", scope: "threads:read threads:write" })).expect(200);
    expect(res.body.permissions).toEqual(["threads:read", "threads:write"]);
  });

  it("rejects a token without sub with 401 and says why", async () => {
    const res = await get(appFor(hs()), hs256({ scopes: [] })).expect(401);
    expect(res.headers["www-authenticate"]).toContain('error="invalid_token"');
    expect(res.body.message).toBe("The credentials are invalid"); // the reason ("sub" missing) goes to logger.debug only
  });

  it("answers 401 credentials_required without a token", async () => {
    const res = await get(appFor(hs())).expect(401);
    expect(res.body.error).toBe("credentials_required");
  });
});

describe("algorithm pinning", () => {
  it('rejects alg "none" (unsigned)', async () => {
    const unsigned = handmade({ alg: "none", typ: "JWT" }, { sub: "mallory", exp: now() + 60 });
    await get(appFor(hs()), unsigned).expect(401);
  });

  it("rejects an HS256 token signed with the RSA public key as HMAC secret (algorithm confusion)", async () => {
    const forged = handmade({ alg: "HS256", typ: "JWT" }, { sub: "mallory", exp: now() + 60 }, RSA_PUBLIC_PEM);
    const app = appFor(jwtStrategy({ publicKey: RSA_PUBLIC_PEM, algorithms: ["RS256"] }));
    await get(app, forged).expect(401);
    const genuine = jwt.sign({ sub: "alice" }, RSA_PRIVATE_PEM, { algorithm: "RS256", expiresIn: 60 });
    await get(app, genuine).expect(200);
  });

  it("rejects a token signed with another algorithm than the pinned one", async () => {
    const hs512 = jwt.sign({ sub: "alice" }, SECRET, { algorithm: "HS512", expiresIn: 60 });
    await get(appFor(hs()), hs512).expect(401);
    const rs512 = jwt.sign({ sub: "alice" }, RSA_PRIVATE_PEM, { algorithm: "RS512", expiresIn: 60 });
    await get(appFor(jwtStrategy({ publicKey: RSA_PUBLIC_PEM, algorithms: ["RS256"] })), rs512).expect(401);
  });

  it("rejects a token signed with another secret", async () => {
    await get(
      appFor(hs()),
      jwt.sign({ sub: "alice" }, "another-secret-another-secret!!", { algorithm: "HS256" }),
    ).expect(401);
  });
});

describe("issuer and audience", () => {
  const app = appFor(hs({ issuer: ["https://a.example/", "https://b.example/"], audience: "agent-api" }));

  it("accepts a listed issuer with the audience", async () => {
    await get(app, hs256({ sub: "alice", iss: "https://b.example/", aud: ["other", "agent-api"] })).expect(200);
  });

  it("rejects another issuer, a missing issuer, another or missing audience", async () => {
    await get(app, hs256({ sub: "alice", iss: "https://evil.example/", aud: "agent-api" })).expect(401);
    await get(app, hs256({ sub: "alice", aud: "agent-api" })).expect(401);
    await get(app, hs256({ sub: "alice", iss: "https://a.example/", aud: "other-api" })).expect(401);
    const res = await get(app, hs256({ sub: "alice", iss: "https://a.example/" })).expect(401);
    expect(res.body.message).toBe("The credentials are invalid");
    expect(JSON.stringify(res.body) + res.headers["www-authenticate"]).not.toMatch(/audience|agent-api|a\.example/);
  });
});

describe("token lifetime", () => {
  it("rejects an expired token and a token not yet valid", async () => {
    const app = appFor(hs());
    const expired = await get(app, hs256({ sub: "alice", exp: now() - 1 })).expect(401);
    expect(expired.body.message).toBe("The token has expired");
    const early = await get(app, hs256({ sub: "alice", nbf: now() + 60 })).expect(401);
    expect(early.body.message).toBe("The token is not valid yet");
  });

  it("allows skew up to clockTolerance and no more", async () => {
    const app = appFor(hs({ clockTolerance: 30 }));
    await get(app, hs256({ sub: "alice", exp: now() - 10 })).expect(200);
    await get(app, hs256({ sub: "alice", exp: now() - 60 })).expect(401);
  });

  it("enforces maxAge from jsonWebTokenOptions", async () => {
    const app = appFor(hs({ jsonWebTokenOptions: { maxAge: 60 } }));
    await get(app, hs256({ sub: "alice", iat: now() - 120 })).expect(401);
    await get(app, hs256({ sub: "alice" })).expect(200);
  });
});

describe("verify", () => {
  it("takes an async mapper and receives the request", async () => {
    const app = appFor(
      hs({
        verify: (payload, req) =>
          Promise.resolve({ identity: `${payload.sub}@${String(req.headers["x-tenant"])}`, permissions: [] }),
      }),
    );
    const res = await get(app, hs256({ sub: "alice" }))
      .set("X-Tenant", "acme")
      .expect(200);
    expect(res.body.identity).toBe("alice@acme");
  });

  it("rejects with 401 when verify returns false or null", async () => {
    await get(appFor(hs({ verify: () => false })), hs256({ sub: "alice" })).expect(401);
    await get(appFor(hs({ verify: () => Promise.resolve(null) })), hs256({ sub: "alice" })).expect(401);
  });

  it("keeps the status of a thrown HTTPException and turns other throws and rejections into 500", async () => {
    const logger = memoryLogger();
    await get(
      appFor(
        hs({
          verify: () => {
            throw new HTTPException(403, { message: "suspended" });
          },
        }),
      ),
      hs256({ sub: "alice" }),
    ).expect(403);
    await get(
      appFor(hs({ verify: () => Promise.reject(new Error("db down")) }), logger),
      hs256({ sub: "alice" }),
    ).expect(500);
    expect(logger.messages.join("\n")).toContain("db down");
  });

  it("reports a verify that returns undefined (passport-jwt's done-callback style) as a 500 with a clear message", async () => {
    const logger = memoryLogger();
    const doneStyle = ((_payload: unknown, done: unknown) => void done) as unknown as JwtStrategyOptions["verify"];
    await get(appFor(hs({ verify: doneStyle }), logger), hs256({ sub: "alice" })).expect(500);
    expect(logger.messages.join("\n")).toContain("returned undefined");
  });

  it("gives verify a frozen payload", async () => {
    let frozen: boolean | undefined;
    await get(appFor(hs({ verify: (p) => ((frozen = Object.isFrozen(p)), p.sub!) })), hs256({ sub: "alice" })).expect(
      200,
    );
    expect(frozen).toBe(true);
  });
});

describe("the verified-token cache", () => {
  it("serves a repeated token without verifying it again", async () => {
    const counter = countVerifications();
    try {
      const app = appFor(hs({ cache: true }));
      const token = hs256({ sub: "alice", scopes: ["a"] });
      for (let i = 0; i < 3; i++) expect((await get(app, token).expect(200)).body.permissions).toEqual(["a"]);
      expect(counter.count).toBe(1);
    } finally {
      counter.restore();
    }
  });

  it("never accepts a cached token once it has expired", async () => {
    const app = appFor(hs({ cache: true }));
    const token = hs256({ sub: "alice", exp: now() + 2 });
    await get(app, token).expect(200);
    jest.spyOn(Date, "now").mockReturnValue((now() + 3) * 1000);
    const res = await get(app, token).expect(401);
    expect(res.body.message).toBe("The token has expired");
  });

  it("honours clockTolerance and maxAge on hits exactly as a full verification does", async () => {
    const app = appFor(hs({ cache: true, clockTolerance: 5, jsonWebTokenOptions: { maxAge: 100 } }));
    const t0 = now();
    const token = hs256({ sub: "alice", iat: t0, exp: t0 + 1000 });
    await get(app, token).expect(200);
    jest.spyOn(Date, "now").mockReturnValue((t0 + 104) * 1000);
    await get(app, token).expect(200);
    jest.spyOn(Date, "now").mockReturnValue((t0 + 105) * 1000);
    expect((await get(app, token).expect(401)).body.message).toBe("The token has expired");
  });

  it("does not accept a cached token when the clock is before its nbf", async () => {
    const app = appFor(hs({ cache: true }));
    const t0 = now();
    const token = hs256({ sub: "alice", nbf: t0 });
    await get(app, token).expect(200);
    jest.spyOn(Date, "now").mockReturnValue((t0 - 10) * 1000);
    expect((await get(app, token).expect(401)).body.message).toBe("The token is not valid yet");
  });

  it("never accepts a tampered copy of a cached token", async () => {
    const app = appFor(hs({ cache: true }));
    const token = hs256({ sub: "alice", scopes: ["threads:read"] });
    await get(app, token).expect(200);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const elevated = b64url({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), sub: "admin" });
    await get(app, `${header}.${elevated}.${signature}`).expect(401);
    const flipped = signature.slice(0, -2) + (signature.at(-2) === "A" ? "B" : "A") + signature.at(-1);
    await get(app, `${header}.${payload}.${flipped}`).expect(401);
    await get(app, `${token}x`).expect(401);
    await get(app, token).expect(200);
  });

  it("re-runs verify on every hit, so revocation in verify takes effect at once", async () => {
    const revoked = new Set<string>();
    const app = appFor(hs({ cache: true, verify: (p) => (revoked.has(p.jti as string) ? false : p.sub!) }));
    const token = hs256({ sub: "alice", jti: "t1" });
    await get(app, token).expect(200);
    revoked.add("t1");
    await get(app, token).expect(401);
  });

  it("keeps at most `max` tokens, evicting the least recently used", async () => {
    const counter = countVerifications();
    try {
      const app = appFor(hs({ cache: { max: 2 } }));
      const [a, b, c] = ["a", "b", "c"].map((sub) => hs256({ sub }));
      await get(app, a).expect(200);
      await get(app, b).expect(200);
      await get(app, a).expect(200); // a is now the most recent
      await get(app, c).expect(200); // evicts b
      expect(counter.count).toBe(3);
      await get(app, a).expect(200);
      expect(counter.count).toBe(3);
      await get(app, b).expect(200);
      expect(counter.count).toBe(4);
    } finally {
      counter.restore();
    }
  });

  it("VerifiedTokenCache never holds more than max entries and drops entries outside their window", () => {
    const cache = new VerifiedTokenCache<number>(50);
    for (let i = 0; i < 10_000; i++) {
      cache.set(`t${i % 997}`, i, -Infinity, Infinity);
      if (i % 3 === 0) cache.get(`t${(i * 7) % 997}`, 0);
      expect(cache.size).toBeLessThanOrEqual(50);
    }
    cache.set("expiring", 1, 100, 200);
    expect(cache.get("expiring", 99)).toBeUndefined();
    expect(cache.has("expiring")).toBe(false);
    cache.set("expiring", 1, 100, 200);
    expect(cache.get("expiring", 150)).toBe(1);
    expect(cache.get("expiring", 200)).toBeUndefined();
    expect(() => new VerifiedTokenCache(0)).toThrow(/positive integer/);
  });

  it("VerifiedTokenCache never evicts a token that keeps being hit, however many others pass through", () => {
    const cache = new VerifiedTokenCache<string>(100);
    cache.set("hot", "payload", -Infinity, Infinity);
    for (let i = 0; i < 5_000; i++) {
      cache.set(`cold${i}`, "x", -Infinity, Infinity);
      if (i % 10 === 0) expect(cache.get("hot", 0)).toBe("payload");
    }
    expect(cache.has("hot")).toBe(true);
    expect(cache.has("cold0")).toBe(false);
    expect(cache.size).toBe(100);
  });
});

describe("token rules: exp, crit, maxLifetime, sub", () => {
  it("requires exp unless requireExp: false", async () => {
    const noExp = jwt.sign({ sub: "alice" }, SECRET, { algorithm: "HS256" });
    const res = await get(appFor(hs()), noExp).expect(401);
    expect(res.body).toEqual({ error: "invalid_token", message: "The credentials are invalid" });
    await get(appFor(hs({ requireExp: false })), noExp).expect(200);
  });

  it("refuses a token whose header has crit (RFC 7515: extensions we do not understand)", async () => {
    const token = handmade(
      { alg: "HS256", typ: "JWT", crit: ["urn:x"], "urn:x": 1 },
      { sub: "alice", exp: now() + 60 },
      SECRET,
    );
    await get(appFor(hs()), token).expect(401);
    await get(appFor(hs()), handmade({ alg: "HS256", typ: "JWT" }, { sub: "alice", exp: now() + 60 }, SECRET)).expect(
      200,
    );
  });

  it("maxLifetime refuses tokens that live longer, also with the cache", async () => {
    for (const cache of [false, true]) {
      const app = appFor(hs({ maxLifetime: 3600, cache }));
      await get(app, hs256({ sub: "alice", iat: now(), exp: now() + 3600 })).expect(200);
      await get(app, hs256({ sub: "alice", iat: now(), exp: now() + 3601 })).expect(401);
      await get(app, hs256({ sub: "alice", iat: now() - 10, exp: now() + 86_400 * 365 })).expect(401);
    }
  });

  it("a sub with NUL or a lone surrogate is 401, not 500", async () => {
    const app = appFor(hs());
    await get(app, hs256({ sub: "ali\u0000ce" })).expect(401);
    await get(app, hs256({ sub: "ali\ud800ce" })).expect(401);
    await get(app, hs256({ sub: "ali😀ce" })).expect(200);
  });
});

describe("plain Passport", () => {
  it("works with passport.authenticate too", async () => {
    const instance = new passport.Passport();
    instance.use(hs({ cache: true }));
    const app = express();
    app.get("/me", instance.authenticate("jwt", { session: false }), (req, res) => void res.json(req.user));
    const token = hs256({ sub: "alice", scopes: ["x"] });
    for (let i = 0; i < 2; i++)
      expect((await request(app).get("/me").set("Authorization", `Bearer ${token}`).expect(200)).body).toEqual({
        identity: "alice",
        permissions: ["x"],
      });
    await request(app)
      .get("/me")
      .set("Authorization", `Bearer ${token.slice(0, -3)}`)
      .expect(401);
  });
});

describe("configuration errors are thrown by jwtStrategy() and say what to fix", () => {
  const cases: [string, unknown, RegExp][] = [
    ["no algorithms", { secret: SECRET }, /`algorithms` is required/],
    ["empty algorithms", { secret: SECRET, algorithms: [] }, /`algorithms` is required/],
    ["alg none", { secret: SECRET, algorithms: ["none"] }, /"none" is never accepted/],
    ["unknown alg", { secret: SECRET, algorithms: ["HS257"] }, /unknown algorithm "HS257"/],
    ["no key", { algorithms: ["HS256"] }, /a key is required/],
    [
      "two keys",
      { secret: SECRET, publicKey: RSA_PUBLIC_PEM, algorithms: ["HS256"] },
      /give one of `secret`, `publicKey`, `jwksUri`/,
    ],
    ["empty secret", { secret: "", algorithms: ["HS256"] }, /`secret` is empty/],
    ["HS with a public key", { publicKey: RSA_PUBLIC_PEM, algorithms: ["RS256", "HS256"] }, /algorithm confusion/],
    ["RS with a secret", { secret: SECRET, algorithms: ["RS256"] }, /needs a public key/],
    ["ES256 with an RSA key", { publicKey: RSA_PUBLIC_PEM, algorithms: ["ES256"] }, /EC key on curve prime256v1/],
    ["a public key that is not one", { publicKey: "not a pem", algorithms: ["RS256"] }, /could not be read/],
    [
      "a secret KeyObject as publicKey",
      { publicKey: createSecretKey(Buffer.from(SECRET)), algorithms: ["RS256"] },
      /secret KeyObject/,
    ],
    [
      "issuer inside jsonWebTokenOptions",
      { secret: SECRET, algorithms: ["HS256"], jsonWebTokenOptions: { issuer: "x" } },
      /put `issuer` at the top level/,
    ],
    [
      "audience inside jsonWebTokenOptions",
      { secret: SECRET, algorithms: ["HS256"], jsonWebTokenOptions: { audience: "x" } },
      /put `audience` at the top level/,
    ],
    [
      "algorithms inside jsonWebTokenOptions",
      { secret: SECRET, algorithms: ["HS256"], jsonWebTokenOptions: { algorithms: ["HS256"] } },
      /put `algorithms` at the top level/,
    ],
    [
      "ignoreExpiration",
      { secret: SECRET, algorithms: ["HS256"], jsonWebTokenOptions: { ignoreExpiration: true } },
      /never turns off the exp check/,
    ],
    [
      "maxAge as a string",
      { secret: SECRET, algorithms: ["HS256"], jsonWebTokenOptions: { maxAge: "1h" } },
      /positive number of seconds/,
    ],
    ["clockTolerance too large", { secret: SECRET, algorithms: ["HS256"], clockTolerance: 3600 }, /from 0 to 300/],
    ["negative clockTolerance", { secret: SECRET, algorithms: ["HS256"], clockTolerance: -1 }, /from 0 to 300/],
    ["passport-jwt's secretOrKey", { secretOrKey: SECRET, algorithms: ["HS256"] }, /give `secret`/],
    ["a typo", { secret: SECRET, algorithms: ["HS256"], issuers: ["x"] }, /unknown option `issuers`/],
    ["empty issuer", { secret: SECRET, algorithms: ["HS256"], issuer: "" }, /`issuer` must be a non-empty string/],
    ["cache of size 0", { secret: SECRET, algorithms: ["HS256"], cache: { max: 0 } }, /`cache` must be/],
    ["verify not a function", { secret: SECRET, algorithms: ["HS256"], verify: "sub" }, /`verify` must be a function/],
    [
      "a JWKS URL as publicKey",
      { publicKey: "https://id.example/.well-known/jwks.json", algorithms: ["RS256"] },
      /use jwksUri/,
    ],
    [
      "passport-jwt's secretOrKeyProvider",
      { secretOrKeyProvider: () => undefined, algorithms: ["RS256"] },
      /give `jwksUri`/,
    ],
    [
      "jwksUri over plain http",
      { jwksUri: "http://id.example/jwks", algorithms: ["RS256"] },
      /must be an https:\/\/ URL/,
    ],
    ["jwksUri that is not a URL", { jwksUri: "id.example/jwks", algorithms: ["RS256"] }, /`jwksUri` is not a URL/],
    [
      "jwksUri with credentials",
      { jwksUri: "https://u:p@id.example/jwks", algorithms: ["RS256"] },
      /must not carry credentials/,
    ],
    [
      "HS256 with a JWKS",
      { jwksUri: "https://id.example/jwks", algorithms: ["HS256"] },
      /HMAC: a JWKS holds public keys/,
    ],
    [
      "jwksUri and a secret",
      { jwksUri: "https://id.example/jwks", secret: SECRET, algorithms: ["RS256"] },
      /give one of/,
    ],
    ["discovery without issuer", { discovery: true, algorithms: ["RS256"] }, /`discovery: true` needs `issuer`/],
    [
      "discovery with an http issuer",
      { discovery: true, issuer: "http://id.example/", algorithms: ["RS256"] },
      /https/,
    ],
    [
      "unknown jwks option",
      { jwksUri: "https://id.example/jwks", algorithms: ["RS256"], jwks: { ttl: 5 } },
      /unknown option `jwks.ttl`; accepted: timeoutMs, cooldownMs, maxAgeMs/,
    ],
    [
      "jwks with a static key",
      { secret: SECRET, algorithms: ["HS256"], jwks: { timeoutMs: 5 } },
      /remove it for a static key/,
    ],
    [
      "requireExp not a boolean",
      { secret: SECRET, algorithms: ["HS256"], requireExp: "no" },
      /`requireExp` must be true or false/,
    ],
    [
      "maxLifetime without exp",
      { secret: SECRET, algorithms: ["HS256"], requireExp: false, maxLifetime: 60 },
      /remove `requireExp: false`/,
    ],
    ["maxLifetime of 0", { secret: SECRET, algorithms: ["HS256"], maxLifetime: 0 }, /positive number of seconds/],
  ];
  it.each(cases)("%s", (_name, options, message) => {
    expect(() => jwtStrategy(options as JwtStrategyOptions)).toThrow(message);
  });

  it("accepts RSA and EC keys in their usual forms and does not mutate the options", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(jwtStrategy({ publicKey: ec.publicKey.export({ format: "jwk" }), algorithms: ["ES256"] }).name).toBe("jwt");
    const options = Object.freeze({
      publicKey: rsa.publicKey,
      algorithms: Object.freeze(["RS256", "PS256"] as const),
      name: "rs",
    });
    expect(jwtStrategy(options).name).toBe("rs");
    expect(jwtStrategy({ publicKey: Buffer.from(RSA_PUBLIC_PEM), algorithms: ["RS256"] })).toBeInstanceOf(
      PassportJwtStrategy,
    );
  });
});
