/**
 * Hostile tokens against purpose-built apps whose strategies check issuer and
 * audience (RFC 8725 §3.8, §3.9) and verify RS256 with a public key, so that
 * algorithm confusion has something to confuse. The same probes run against
 * three configurations: jwtStrategy(), passport-jwt configured by hand (issuer
 * and audience at the top level, where it reads them), and jwtStrategy() with
 * its verified-token cache warmed by the genuine token.
 */
import { createHmac, createSign, generateKeyPairSync, type KeyObject } from "node:crypto";
import express, { type Express } from "express";
import jwt from "jsonwebtoken";
import { ExtractJwt, Strategy as PassportJwtStrategy } from "passport-jwt";
import request from "supertest";
import { Auth, jwtStrategy } from "../../src/index";
import { memoryLogger } from "../support/jwt-app";

const ISSUER = "https://issuer.example/";
const AUDIENCE = "agent-api";
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const PUBLIC_PEM = rsa.publicKey.export({ type: "spki", format: "pem" }) as string;
const PRIVATE_PEM = rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string;

const now = () => Math.floor(Date.now() / 1000);
const b64u = (value: string | Buffer) => Buffer.from(value).toString("base64url");

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sub: "alice", iss: ISSUER, aud: AUDIENCE, exp: now() + 300, ...extra };
}

function without(key: string): Record<string, unknown> {
  const c = claims();
  delete c[key];
  return c;
}

function sign(payload: object, alg = "RS256", key: KeyObject = rsa.privateKey, header: object = {}): string {
  const input = `${b64u(JSON.stringify({ alg, typ: "JWT", ...header }))}.${b64u(JSON.stringify(payload))}`;
  const hash = { RS256: "RSA-SHA256", PS256: "RSA-SHA256", ES256: "SHA256" }[alg] ?? "RSA-SHA256";
  const options =
    alg === "PS256"
      ? { key, padding: 6, saltLength: 32 }
      : alg === "ES256"
        ? { key, dsaEncoding: "ieee-p1363" as const }
        : key;
  return `${input}.${createSign(hash).update(input).sign(options).toString("base64url")}`;
}

function hmac(payload: object, secret: string | Buffer, alg = "HS256"): string {
  const input = `${b64u(JSON.stringify({ alg, typ: "JWT" }))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

const genuine = sign(claims());

const PROBES: [string, () => string][] = [
  ["another issuer", () => sign(claims({ iss: "https://attacker.example/" }))],
  ["the issuer without its trailing slash", () => sign(claims({ iss: "https://issuer.example" }))],
  ["the issuer in another case", () => sign(claims({ iss: "HTTPS://ISSUER.EXAMPLE/" }))],
  ["no issuer", () => sign(without("iss"))],
  ["an issuer array containing the issuer", () => sign(claims({ iss: [ISSUER] }))],
  ["another audience", () => sign(claims({ aud: "other-api" }))],
  ["an audience array without ours", () => sign(claims({ aud: ["other-api", "third-api"] }))],
  ["an audience that only starts with ours", () => sign(claims({ aud: `${AUDIENCE}-admin` }))],
  ["no audience", () => sign(without("aud"))],
  ["alg none", () => `${b64u('{"alg":"none","typ":"JWT"}')}.${b64u(JSON.stringify(claims()))}.`],
  ["HS256 with the RSA public key (PEM) as HMAC secret", () => hmac(claims(), PUBLIC_PEM)],
  [
    "HS256 with the RSA public key's DER bytes as HMAC secret",
    () => hmac(claims(), rsa.publicKey.export({ type: "spki", format: "der" })),
  ],
  ["HS256 with the private key (PEM) as HMAC secret", () => hmac(claims(), PRIVATE_PEM)],
  ["RS256 signed by another key", () => sign(claims(), "RS256", other.privateKey)],
  [
    "RS256 signed by another key that is embedded as a jwk header",
    () => sign(claims(), "RS256", other.privateKey, { jwk: other.publicKey.export({ format: "jwk" }) }),
  ],
  ["PS256 with the right key (not a pinned algorithm)", () => sign(claims(), "PS256")],
  ["ES256 by an EC key", () => sign(claims(), "ES256", ec.privateKey)],
  ["expired", () => sign(claims({ exp: now() - 60 }))],
  ["nbf in the future", () => sign(claims({ nbf: now() + 3600 }))],
  [
    "the genuine signature on a payload changed to bob",
    () => {
      const [header, , signature] = genuine.split(".");
      return `${header}.${b64u(JSON.stringify(claims({ sub: "bob" })))}.${signature}`;
    },
  ],
  [
    "the genuine token with one signature character changed",
    () => genuine.slice(0, -2) + (genuine.at(-2) === "A" ? "B" : "A") + genuine.at(-1),
  ],
  ["malformed: four segments", () => `${genuine}.x`],
];

interface Target {
  name: string;
  app: Express;
  logger: ReturnType<typeof memoryLogger>;
}

function appFor(strategy: Parameters<Auth["authenticate"]>[0] & object): Target["app"] {
  const logger = memoryLogger();
  const auth = new Auth({ logger, realm: "agents" }).authenticate(strategy as never);
  const app = express();
  app.use(auth.middleware());
  app.get("/me", (req, res) => void res.json({ identity: req.auth!.user.identity }));
  return Object.assign(app, { logger });
}

const targets: Target[] = [
  [
    "jwtStrategy({ publicKey, algorithms: [RS256], issuer, audience })",
    jwtStrategy({ publicKey: PUBLIC_PEM, algorithms: ["RS256"], issuer: ISSUER, audience: AUDIENCE }),
  ],
  [
    "passport-jwt Strategy with top-level algorithms, issuer, audience",
    new PassportJwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKey: PUBLIC_PEM,
        algorithms: ["RS256"],
        issuer: ISSUER,
        audience: AUDIENCE,
      },
      (payload: { sub: string }, done: (err: unknown, user?: unknown) => void) => done(null, { identity: payload.sub }),
    ),
  ],
  [
    "jwtStrategy with the verified-token cache",
    jwtStrategy({ publicKey: PUBLIC_PEM, algorithms: ["RS256"], issuer: ISSUER, audience: AUDIENCE, cache: true }),
  ],
].map(([name, strategy]) => {
  const app = appFor(strategy as never);
  return { name: name as string, app, logger: (app as unknown as { logger: Target["logger"] }).logger };
});

describe.each(targets)("$name", ({ app, logger }) => {
  beforeAll(async () => {
    // The genuine token is accepted (and, for the cached strategy, now cached).
    const res = await request(app).get("/me").set("Authorization", `Bearer ${genuine}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ identity: "alice" });
  });

  test.each(PROBES)("%s: 401 invalid_token with the realm's challenge, generic body", async (_name, make) => {
    const forged = make();
    const res = await request(app).get("/me").set("Authorization", `Bearer ${forged}`);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(
      /^Bearer realm="agents", error="invalid_token"(, error_description="[^"\\]*")?$/,
    );
    expect(Object.keys(res.body).sort()).toEqual(["error", "message"]);
    expect(res.body.error).toBe("invalid_token");
    expect(res.text).not.toMatch(/\bat .*\(|node_modules|\.ts:\d+/);
    expect(res.text).not.toContain(forged);
    // Still up, and the genuine token still works.
    expect((await request(app).get("/me").set("Authorization", `Bearer ${genuine}`)).status).toBe(200);
  });

  test("no probe was a configuration error (nothing reached the error log)", () => {
    expect(logger.messages).toEqual([]);
  });
});

test("passport-jwt without `algorithms` and a PEM public key still refuses HS256 signed with that PEM (jsonwebtoken 9 checks the key type)", async () => {
  const { app } = {
    app: appFor(
      new PassportJwtStrategy(
        { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: PUBLIC_PEM },
        (payload: { sub: string }, done: (err: unknown, user?: unknown) => void) =>
          done(null, { identity: payload.sub }),
      ),
    ),
  };
  const res = await request(app)
    .get("/me")
    .set("Authorization", `Bearer ${hmac(claims(), PUBLIC_PEM)}`);
  expect(res.status).toBe(401);
  expect(
    (
      await request(app)
        .get("/me")
        .set("Authorization", `Bearer ${jwt.sign(claims(), PRIVATE_PEM, { algorithm: "RS256" })}`)
    ).status,
  ).toBe(200);
});

test("issuer/audience given inside passport-jwt's jsonWebTokenOptions are dropped by passport-jwt; jwtStrategy() refuses that configuration", () => {
  expect(() =>
    jwtStrategy({ publicKey: PUBLIC_PEM, algorithms: ["RS256"], jsonWebTokenOptions: { issuer: ISSUER } as never }),
  ).toThrow(/top level/);
});
