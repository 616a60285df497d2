/**
 * The options of `jwtStrategy()` and their validation: every mistake throws a
 * TypeError that says what to write instead, when `jwtStrategy()` runs.
 */
import { KeyObject, createPublicKey, createSecretKey, type JsonWebKey } from "node:crypto";
import type { Request } from "express";
import type { JwksLogger, JwksOptions, JwksSourceSpec } from "./jwks";
import { checkJwks, checkKeySet } from "./jwks-options";

/** The algorithms jsonwebtoken 9 verifies. `none` is never accepted. */
export type JwtAlgorithm =
  "HS256" | "HS384" | "HS512" | "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "ES512";

/** A verified JWT payload. */
export interface JwtPayload {
  sub?: string;
  iss?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  scope?: string | string[];
  scopes?: string | string[];
  [claim: string]: unknown;
}

/** The user the default `verify` produces: `sub` → identity, `scopes`/`scope` → permissions. */
export interface JwtUser {
  identity: string;
  permissions: string[];
}

/** What `verify` returns: a user (or identity string) to accept, `false`/`null` to reject with 401. */
export type JwtVerifyResult<U> = U | string | false | null;

/** Further claim checks, passed to jsonwebtoken. Time-window and key options are not accepted here. */
export interface JwtClaimOptions {
  /** The `sub` claim must equal this. */
  subject?: string;
  /** The `jti` claim must equal this. */
  jwtid?: string;
  /** The `nonce` claim must equal this (OpenID Connect ID tokens). */
  nonce?: string;
  /** Reject tokens whose `iat` is older than this many seconds (a number, not a timespan string). */
  maxAge?: number;
}

/** Options of {@link jwtStrategy}. Validated when `jwtStrategy()` runs. */
export interface JwtStrategyOptions<U = JwtUser> {
  /** HMAC secret for HS256/384/512: a string (UTF-8), bytes, or a secret `KeyObject`. Give this or `publicKey`. */
  secret?: string | Uint8Array | KeyObject;
  /** Public key for RS/PS/ES algorithms: PEM (key or certificate), a JWK object, or a `KeyObject`. Give one of `secret`, `publicKey`, `jwksUri`, `discovery`. */
  publicKey?: string | Uint8Array | KeyObject | JsonWebKey;
  /**
   * The URL of the issuer's JSON Web Key Set (RS/PS/ES algorithms): keys chosen by
   * `kid`, cached, refetched for an unknown `kid` at most once per `jwks.cooldownMs`.
   * Must be https (plain http only for localhost/127.0.0.1). An unreachable JWKS answers 503.
   */
  jwksUri?: string | URL;
  /** `true`: find `jwksUri` in the OpenID Connect discovery document of `issuer` (one string) on first use. */
  discovery?: boolean;
  /** Timeouts and refetch limits of `jwksUri`/`discovery`. */
  jwks?: JwksOptions;
  /** Where JWKS outages are logged (one line per failed fetch). Default: `console`. */
  logger?: JwksLogger;
  /** Tokens must have an `exp` claim. Default `true`; `false` accepts tokens that never expire. */
  requireExp?: boolean;
  /** Longest accepted lifetime in seconds: `exp − iat` (or `exp − now` without `iat`) must not exceed it. */
  maxLifetime?: number;
  /** Required: the algorithms tokens may be signed with, e.g. `["HS256"]` or `["RS256"]`. */
  algorithms: readonly JwtAlgorithm[];
  /** The `iss` claim must be this (or one of these). */
  issuer?: string | readonly string[];
  /** The `aud` claim must contain this (or one of these). */
  audience?: string | RegExp | readonly (string | RegExp)[];
  /** Seconds of clock skew allowed on `exp`, `nbf` and `maxAge`. Default 0, at most 300. */
  clockTolerance?: number;
  /** Where the token is read from. Default: the `Authorization: Bearer <token>` header. */
  jwtFromRequest?: (req: Request) => string | null | undefined;
  /**
   * Maps the verified (frozen) payload to the user. May be async. Return a user
   * or an identity string to accept, `false` or `null` to reject (401); throw an
   * `HTTPException` for another status. Runs on every request, cache hits included.
   * Default: `{ identity: payload.sub, permissions: scopes }`, rejecting tokens without `sub`.
   */
  verify?: (payload: JwtPayload, req: Request) => JwtVerifyResult<U> | Promise<JwtVerifyResult<U>>;
  /** More claim checks: `subject`, `jwtid`, `nonce`, `maxAge`. */
  jsonWebTokenOptions?: JwtClaimOptions;
  /**
   * Cache verified tokens, keyed by the whole token string, LRU-bounded. Off by
   * default. `true` keeps up to 10,000 tokens; `{ max }` sets the bound. Every hit
   * re-checks `exp`/`nbf`/`maxAge`; a token that differs in any byte is a miss.
   */
  cache?: boolean | { max: number };
  /** The strategy's Passport name. Default `"jwt"`. */
  name?: string;
}

/** Upper bound of `clockTolerance`, in seconds. */
export const MAX_CLOCK_TOLERANCE = 300;
const DEFAULT_CACHE_SIZE = 10_000;
const MAX_CACHE_SIZE = 1_000_000;

const HMAC = new Set(["HS256", "HS384", "HS512"]);
const RSA = new Set(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]);
const CURVES: Record<string, string> = { ES256: "prime256v1", ES384: "secp384r1", ES512: "secp521r1" };

const OPTION_KEYS = new Set([
  "secret",
  "publicKey",
  "jwksUri",
  "discovery",
  "jwks",
  "logger",
  "algorithms",
  "issuer",
  "audience",
  "clockTolerance",
  "requireExp",
  "maxLifetime",
  "jwtFromRequest",
  "verify",
  "jsonWebTokenOptions",
  "cache",
  "name",
]);
const CLAIM_KEYS = new Set(["subject", "jwtid", "nonce", "maxAge"]);

/** Options people bring from passport-jwt or jsonwebtoken, and what to do instead. */
const MOVED: Record<string, string> = {
  secretOrKey: "give `secret` (HS* algorithms) or `publicKey` (RS/PS/ES) instead of `secretOrKey`",
  secretOrKeyProvider:
    "for keys that rotate, give `jwksUri` (the issuer's JWKS URL) or `discovery: true` with `issuer`",
  passReqToCallback: "`verify(payload, req)` always receives the request as its second argument",
  ignoreExpiration: "jwtStrategy() never turns off the exp check",
  ignoreNotBefore: "jwtStrategy() never turns off the nbf check",
  clockTimestamp: "jwtStrategy() always checks tokens against the current time",
  complete: "`verify` receives the payload; the header is not exposed",
  allowInvalidAsymmetricKeyTypes: "the key must fit the algorithms",
};

function fail(message: string): never {
  throw new TypeError(`jwtStrategy(): ${message}`);
}

function checkAlgorithms(algorithms: unknown): JwtAlgorithm[] {
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    fail(
      '`algorithms` is required, e.g. { algorithms: ["HS256"] }: without it jsonwebtoken accepts any algorithm of the key\'s family',
    );
  }
  for (const alg of algorithms) {
    if (typeof alg === "string" && alg.toLowerCase() === "none")
      fail('algorithm "none" is never accepted: unsigned tokens prove nothing');
    if (typeof alg !== "string" || !(HMAC.has(alg) || RSA.has(alg) || alg in CURVES)) {
      fail(
        `unknown algorithm ${JSON.stringify(alg)}; supported: ${[...HMAC, ...RSA, ...Object.keys(CURVES)].join(", ")}`,
      );
    }
  }
  return [...new Set(algorithms as JwtAlgorithm[])];
}

function toSecretKey(secret: unknown): KeyObject {
  if (secret instanceof KeyObject) {
    if (secret.type !== "secret")
      fail(`\`secret\` is a ${secret.type} KeyObject; give an asymmetric key as \`publicKey\``);
    return secret;
  }
  if (typeof secret === "string" || secret instanceof Uint8Array) {
    if (secret.length === 0) fail("`secret` is empty");
    return createSecretKey(typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret));
  }
  return fail("`secret` must be a string, a Buffer/Uint8Array or a secret KeyObject");
}

function toPublicKey(key: unknown): KeyObject {
  if ((typeof key === "string" && /^\s*https?:\/\//i.test(key)) || key instanceof URL) {
    fail(
      `\`publicKey\` is a URL: use jwksUri: ${JSON.stringify(String(key).trim().slice(0, 200))} for a JSON Web Key Set URL`,
    );
  }
  if (key instanceof KeyObject) {
    if (key.type === "secret") fail("`publicKey` is a secret KeyObject; give an HMAC key as `secret`");
    return key.type === "public" ? key : createPublicKey(key);
  }
  try {
    if (typeof key === "string" || key instanceof Uint8Array)
      return createPublicKey(typeof key === "string" ? key : Buffer.from(key));
    if (key && typeof key === "object" && typeof (key as JsonWebKey).kty === "string") {
      return createPublicKey({ key: key as JsonWebKey, format: "jwk" });
    }
  } catch (err) {
    fail(`\`publicKey\` could not be read as a PEM public key, certificate or JWK: ${(err as Error).message}`);
  }
  return fail("`publicKey` must be a PEM string or Buffer, a JWK object, or a KeyObject");
}

/** Every algorithm must be one this key can verify; otherwise the configuration is wrong (or an attack waiting). */
function checkKeyFits(key: KeyObject, algorithms: readonly JwtAlgorithm[]): void {
  for (const alg of algorithms) {
    if (key.type === "secret") {
      if (!HMAC.has(alg)) fail(`algorithm ${alg} needs a public key, but a \`secret\` was given`);
      continue;
    }
    if (HMAC.has(alg))
      fail(
        `algorithm ${alg} is HMAC and needs a \`secret\`: never verify HS* tokens with a public key (algorithm confusion)`,
      );
    const type = key.asymmetricKeyType;
    if (RSA.has(alg)) {
      if (type !== "rsa" && !(type === "rsa-pss" && alg.startsWith("PS")))
        fail(`algorithm ${alg} needs an RSA key, but the public key is ${type}`);
    } else if (type !== "ec" || key.asymmetricKeyDetails?.namedCurve !== CURVES[alg]) {
      fail(
        `algorithm ${alg} needs an EC key on curve ${CURVES[alg]}, but the public key is ${type}${key.asymmetricKeyDetails?.namedCurve ? ` on ${key.asymmetricKeyDetails.namedCurve}` : ""}`,
      );
    }
  }
}

function checkStrings(value: unknown, what: string, allowRegExp: boolean): void {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail(`\`${what}\` is an empty array`);
  for (const item of list) {
    if (!(typeof item === "string" && item.length > 0) && !(allowRegExp && item instanceof RegExp)) {
      fail(`\`${what}\` must be a non-empty string${allowRegExp ? ", a RegExp" : ""} or an array of those`);
    }
  }
}

function checkClaims(claims: unknown): JwtClaimOptions {
  if (claims === undefined) return {};
  if (claims === null || typeof claims !== "object" || Array.isArray(claims))
    fail("`jsonWebTokenOptions` must be an object");
  for (const key of Object.keys(claims)) {
    if (key === "issuer" || key === "audience" || key === "algorithms") {
      fail(
        `put \`${key}\` at the top level of the options, not inside \`jsonWebTokenOptions\`: passport-jwt overwrites it there with the top-level value, so the check would silently disappear`,
      );
    }
    if (key === "clockTolerance")
      fail(`give \`clockTolerance\` at the top level (at most ${MAX_CLOCK_TOLERANCE} seconds)`);
    if (MOVED[key]) fail(`\`jsonWebTokenOptions.${key}\` is not accepted: ${MOVED[key]}`);
    if (!CLAIM_KEYS.has(key))
      fail(`unknown option \`jsonWebTokenOptions.${key}\`; accepted: ${[...CLAIM_KEYS].join(", ")}`);
  }
  const c = claims as Record<string, unknown>;
  for (const key of ["subject", "jwtid", "nonce"]) {
    if (c[key] !== undefined && (typeof c[key] !== "string" || c[key] === ""))
      fail(`\`jsonWebTokenOptions.${key}\` must be a non-empty string`);
  }
  if (c.maxAge !== undefined && !(typeof c.maxAge === "number" && Number.isFinite(c.maxAge) && c.maxAge > 0)) {
    fail("`jsonWebTokenOptions.maxAge` must be a positive number of seconds");
  }
  return { ...(c as JwtClaimOptions) };
}

function checkCache(cache: unknown): number {
  if (cache === undefined || cache === false) return 0;
  if (cache === true) return DEFAULT_CACHE_SIZE;
  const max = cache && typeof cache === "object" ? (cache as { max?: unknown }).max : undefined;
  if (typeof max !== "number" || !Number.isSafeInteger(max) || max < 1 || max > MAX_CACHE_SIZE) {
    fail(`\`cache\` must be true, false or { max } with max an integer from 1 to ${MAX_CACHE_SIZE}`);
  }
  return max;
}

/** Validated options, with the key parsed once. */
export interface CheckedJwtOptions {
  algorithms: JwtAlgorithm[];
  /** The static key; undefined when keys come from a JWKS. */
  key: KeyObject | undefined;
  keySet: JwksSourceSpec | undefined;
  jwks: JwksOptions;
  requireExp: boolean;
  maxLifetime: number | undefined;
  tolerance: number;
  claims: JwtClaimOptions;
  cacheSize: number;
  name: string;
}

/** Checks every option of `jwtStrategy()`; throws a TypeError naming the fix. */
export function checkJwtOptions<U>(options: JwtStrategyOptions<U>): CheckedJwtOptions {
  if (options === null || typeof options !== "object") fail("options must be an object");
  for (const key of Object.keys(options)) {
    if (MOVED[key]) fail(`\`${key}\` is not accepted: ${MOVED[key]}`);
    if (!OPTION_KEYS.has(key)) fail(`unknown option \`${key}\`; accepted: ${[...OPTION_KEYS].join(", ")}`);
  }
  const algorithms = checkAlgorithms(options.algorithms);
  const given: string[] = (["secret", "publicKey", "jwksUri"] as const).filter((k) => options[k] !== undefined);
  if (options.discovery === true) given.push("discovery");
  if (given.length > 1)
    fail(
      `give one of \`secret\`, \`publicKey\`, \`jwksUri\` or \`discovery: true\`, not ${given.map((k) => `\`${k}\``).join(" and ")}`,
    );
  if (given.length === 0) {
    fail(
      "a key is required: `secret` for HS* algorithms, `publicKey` for RS/PS/ES, or `jwksUri` (or `discovery: true` with `issuer`) for an identity provider's rotating keys",
    );
  }
  let key: KeyObject | undefined;
  let keySet: JwksSourceSpec | undefined;
  if (options.secret !== undefined || options.publicKey !== undefined) {
    key = options.secret !== undefined ? toSecretKey(options.secret) : toPublicKey(options.publicKey);
    checkKeyFits(key, algorithms);
    if (options.jwks !== undefined) fail("`jwks` tunes `jwksUri`/`discovery`; remove it for a static key");
  } else {
    keySet = checkKeySet(options, algorithms, fail);
  }
  const jwks = checkJwks(options.jwks, fail);
  if (options.logger !== undefined && (options.logger === null || typeof options.logger.error !== "function"))
    fail("`logger` must have an error(message, cause) method");
  const requireExp = options.requireExp ?? true;
  if (typeof requireExp !== "boolean") fail("`requireExp` must be true or false");
  const maxLifetime = options.maxLifetime;
  if (
    maxLifetime !== undefined &&
    !(typeof maxLifetime === "number" && Number.isFinite(maxLifetime) && maxLifetime > 0)
  ) {
    fail("`maxLifetime` must be a positive number of seconds");
  }
  if (maxLifetime !== undefined && !requireExp)
    fail("`maxLifetime` needs tokens with `exp`: remove `requireExp: false`");
  if (options.issuer !== undefined) checkStrings(options.issuer, "issuer", false);
  if (options.audience !== undefined) checkStrings(options.audience, "audience", true);
  const tolerance = options.clockTolerance ?? 0;
  if (
    typeof tolerance !== "number" ||
    !Number.isFinite(tolerance) ||
    tolerance < 0 ||
    tolerance > MAX_CLOCK_TOLERANCE
  ) {
    fail(
      `\`clockTolerance\` must be a number of seconds from 0 to ${MAX_CLOCK_TOLERANCE}, got ${String(options.clockTolerance)}`,
    );
  }
  const claims = checkClaims(options.jsonWebTokenOptions);
  const cacheSize = checkCache(options.cache);
  if (options.jwtFromRequest !== undefined && typeof options.jwtFromRequest !== "function")
    fail("`jwtFromRequest` must be a function (req) => token");
  if (options.verify !== undefined && typeof options.verify !== "function")
    fail("`verify` must be a function (payload, req) => user | false");
  const name = options.name ?? "jwt";
  if (typeof name !== "string" || name.length === 0) fail("`name` must be a non-empty string");
  return { algorithms, key, keySet, jwks, requireExp, maxLifetime, tolerance, claims, cacheSize, name };
}
