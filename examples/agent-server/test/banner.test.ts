/**
 * The start banner prints ready-to-paste tokens only in the zero-configuration
 * demo mode (random secret, embedded database); a start with JWT_SECRET or
 * DATABASE_URL set says how to mint a token instead.
 */
import jwt from "jsonwebtoken";
import { isDemoMode, startupBanner } from "../src/banner";

const SECRET = "banner-secret-0123456789";
const JWT_LIKE = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
const base = { url: "http://127.0.0.1:2024", database: "PGlite (embedded PostgreSQL) in memory", jwtSecret: SECRET };

test("zero configuration: two demo tokens that verify with this start's secret, and a curl line", () => {
  const text = startupBanner({ ...base, env: {} });
  const alice = /ALICE_TOKEN=(\S+)/.exec(text)![1];
  const bob = /BOB_TOKEN=(\S+)/.exec(text)![1];
  expect(jwt.verify(alice, SECRET, { algorithms: ["HS256"] })).toMatchObject({ sub: "alice" });
  expect(jwt.verify(bob, SECRET, { algorithms: ["HS256"] })).toMatchObject({ sub: "bob" });
  expect(text).toContain(`curl -s -X POST ${base.url}/threads -H "Authorization: Bearer ${alice}"`);
  expect(isDemoMode({})).toBe(true);
});

test.each([
  ["JWT_SECRET", { JWT_SECRET: SECRET }],
  ["DATABASE_URL", { DATABASE_URL: "postgres://app@127.0.0.1:5432/agents" }],
  ["both", { JWT_SECRET: SECRET, DATABASE_URL: "postgres://app@127.0.0.1:5432/agents" }],
])("%s set: no token at all, and how to mint one", (name, env) => {
  const text = startupBanner({ ...base, env });
  expect(text).not.toMatch(JWT_LIKE);
  expect(text).not.toMatch(/ALICE_TOKEN|BOB_TOKEN|Bearer/);
  expect(text).not.toContain(SECRET);
  expect(text).toContain(`${name === "both" ? "JWT_SECRET" : name} is set`);
  expect(text).toContain("npm run token -w examples/agent-server -- alice");
  expect(text).toContain(`Agent server listening on ${base.url}`);
  expect(isDemoMode(env)).toBe(false);
});

test("DATABASE_URL without JWT_SECRET: the secret is random, so the banner says to set one instead of how to mint", () => {
  const text = startupBanner({ ...base, env: { DATABASE_URL: "postgres://app@127.0.0.1:5432/agents" } });
  expect(text).toContain("JWT secret: random for this start");
  expect(text).toContain("no token can be minted for it: restart with a JWT_SECRET of your own");
  expect(text).not.toContain("Mint a token with the same JWT_SECRET");
  expect(text).not.toMatch(JWT_LIKE);
});
