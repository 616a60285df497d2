/**
 * `jwtStrategy()`: a passport-jwt Strategy configured the way it should be,
 * with none of passport-jwt's silent traps and without its per-request cost.
 *
 * Why it exists (each point is a mistake we saw in real configurations):
 * - passport-jwt builds its verify options as `{ ...jsonWebTokenOptions, issuer,
 *   audience, algorithms }` from its top-level options, so `issuer`, `audience`
 *   and `algorithms` given inside `jsonWebTokenOptions` are overwritten with
 *   `undefined`: the check silently disappears. Here they are top-level only and
 *   putting them inside `jsonWebTokenOptions` throws.
 * - Without `algorithms`, jsonwebtoken accepts every algorithm of the key's
 *   family. Here `algorithms` is required, `none` is refused, and every algorithm
 *   must fit the key (HS* for a secret, RS/PS for RSA, ES for EC with its curve),
 *   so an HS256 token signed with an RSA public key as the secret never verifies.
 * - jsonwebtoken 9 given a string secret first tries to parse it as a PEM public
 *   key, on every request; that failed parse costs more than the signature
 *   check. Here the secret or public key becomes a `KeyObject` once.
 * - A generous `clockTolerance` quietly extends every token's life; it is capped.
 */
import type { Request } from "express";
import type { Strategy } from "passport";
import type { KeyObject } from "node:crypto";
import { checkJwtOptions, type JwtPayload, type JwtStrategyOptions, type JwtUser } from "./jwt-options";
import { JwksKeySource } from "./jwks";
import { VerifiedTokenCache } from "./token-cache";
import { isUsableText } from "./user";
import { isThenable } from "./values";
import type { TypedStrategy } from "./authenticate";

export { MAX_CLOCK_TOLERANCE } from "./jwt-options";
export type {
  JwtAlgorithm,
  JwtClaimOptions,
  JwtPayload,
  JwtStrategyOptions,
  JwtUser,
  JwtVerifyResult,
} from "./jwt-options";

function asStrings(value: unknown): string[] {
  if (typeof value === "string") return value.split(" ").filter((s) => s.length > 0);
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === "string" && s.length > 0);
  return [];
}

/**
 * The default `verify`: `sub` → `identity`; `scopes` (array or space-separated
 * string), else `scope` (OAuth 2.0 space-separated string, or an array) → `permissions`.
 * A token without a string `sub` is rejected.
 *
 * @example
 * defaultJwtUser({ sub: "alice", scope: "threads:read threads:write" });
 * // { identity: "alice", permissions: ["threads:read", "threads:write"] }
 */
export function defaultJwtUser(payload: JwtPayload): JwtUser | false {
  const sub = payload.sub;
  if (typeof sub !== "string" || sub.length === 0 || !isUsableText(sub)) return false;
  return { identity: sub, permissions: asStrings(payload.scopes !== undefined ? payload.scopes : payload.scope) };
}

/** The token's JOSE header, or undefined when it is not a JSON object. */
function headerOf(token: string): Record<string, unknown> | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf(".")), "base64url").toString("utf8")) as unknown;
    return header && typeof header === "object" && !Array.isArray(header)
      ? (header as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

type Done = (err: unknown, user?: unknown, info?: unknown) => void;
type StrategyCtor = new (options: Record<string, unknown>, verify: (...args: never[]) => void) => Strategy;
/** passport-jwt's Strategy as passport runs it: passport adds `success`/`fail`/`error` for each request. */
interface FrontedInstance extends Strategy {
  [STATE]: FrontState;
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown): void;
  error(err: unknown): void;
}
interface PassportJwtModule {
  Strategy: StrategyCtor;
  ExtractJwt: { fromAuthHeaderAsBearerToken(): (req: unknown) => string | null };
}

let passportJwt: PassportJwtModule | undefined;
function loadPassportJwt(): PassportJwtModule {
  if (!passportJwt) {
    try {
      passportJwt = require("passport-jwt") as PassportJwtModule;
    } catch (err) {
      if ((err as { code?: string }).code === "MODULE_NOT_FOUND")
        throw new Error("jwtStrategy() needs passport-jwt: npm install passport-jwt", { cause: err });
      throw err;
    }
  }
  return passportJwt;
}

/** A mutable copy of a list option (passport-jwt may keep it); one value as it is. */
function copyList<T>(value: T | readonly T[] | undefined): T | T[] | undefined {
  // Array.isArray narrows `readonly T[]` to `any[]`: say what it is.
  return Array.isArray(value) ? [...(value as readonly T[])] : (value as T | undefined);
}

/** The per-strategy state the `authenticate` in front of passport-jwt reads. */
interface FrontState {
  readonly cache: VerifiedTokenCache<JwtPayload> | undefined;
  readonly keys: JwksKeySource | undefined;
  /** The key found for a request, read back by passport-jwt's secretOrKeyProvider. */
  readonly found: WeakMap<object, KeyObject>;
  readonly extract: (req: Request) => string | null | undefined;
  readonly run: (payload: JwtPayload, req: Request, done: Done) => void;
}

const STATE = Symbol("gatehouse.jwtState");
const frontClasses = new WeakMap<StrategyCtor, StrategyCtor>();

/**
 * passport-jwt's Strategy with Gatehouse's steps in front of `authenticate`: a
 * cache lookup (a hit skips verification), then, with a JWKS, finding the key
 * (an outage is `error()` with a 503, a token without a usable key `fail()`);
 * then passport-jwt runs unchanged.
 */
function frontedStrategyClass(Base: StrategyCtor): StrategyCtor {
  let Fronted = frontClasses.get(Base);
  if (!Fronted) {
    Fronted = class FrontedJwtStrategy extends (
      (Base as new (...args: ConstructorParameters<StrategyCtor>) => FrontedInstance)
    ) {
      override authenticate(req: Request, options?: unknown): void {
        const state = this[STATE];
        const token = state.extract(req);
        if (typeof token !== "string" || token.length === 0) {
          super.authenticate(req, options);
          return;
        }
        if (state.cache) {
          const payload = state.cache.get(token, Math.floor(Date.now() / 1000));
          if (payload !== undefined) {
            // The same outcomes as passport-jwt's own `verified` callback.
            state.run(payload, req, (err, user, info) => {
              if (err) this.error(err);
              else if (!user) this.fail(info);
              else this.success(user, info);
            });
            return;
          }
        }
        if (!state.keys) {
          super.authenticate(req, options);
          return;
        }
        state.keys.keyFor(token).then(
          (found) => {
            if (found.kind === "unavailable") this.error(found.error);
            else if (found.kind === "rejected")
              this.fail({ message: `The token has no usable signing key: ${found.reason}` });
            else {
              state.found.set(req, found.key);
              super.authenticate(req, options);
            }
          },
          (err: unknown) => this.error(err),
        );
      }
    };
    frontClasses.set(Base, Fronted);
  }
  return Fronted;
}

/**
 * Builds a passport-jwt `Strategy` configured safely and for speed: required,
 * pinned `algorithms` that must fit the key (a static `secret`/`publicKey`, or
 * the keys of a JWKS: `jwksUri`, or `discovery: true` with `issuer`); `exp`
 * required unless `requireExp: false`; `crit` headers refused; `issuer`/`audience` where
 * passport-jwt honours them; the key parsed into a `KeyObject` once; a capped
 * `clockTolerance`; a `verify` that maps the payload to a user (async allowed,
 * rejections become errors, never unhandled); and, opt-in, an LRU cache of
 * verified tokens that re-checks `exp`/`nbf` on every hit.
 *
 * The cache is off by default because it changes one thing: a cached token is
 * not re-verified cryptographically until it expires or is evicted. That is
 * sound for a static key (a valid signature stays valid), and the cache key is
 * the whole token, so a token altered in any byte is verified in full. Turn it
 * on when the same tokens are presented many times (the usual case for an API);
 * revoke tokens in `verify`, which runs on every request, hits included.
 * The options object is not mutated; every mistake throws here, not on the first request.
 *
 * @example
 * import { Auth, jwtStrategy } from "@gatehouse/express";
 *
 * const auth = new Auth({ unhandled: "deny" }).authenticate(
 *   jwtStrategy({
 *     secret: process.env.JWT_SECRET!,   // or publicKey: fs.readFileSync("jwt.pub")
 *     algorithms: ["HS256"],
 *     issuer: "https://auth.example.com/",
 *     audience: "agent-api",
 *     cache: { max: 10_000 },
 *   }),
 * );
 *
 * @example
 * // An identity provider's tokens: keys from its JWKS, chosen by kid, rotated;
 * // a JWKS outage answers 503, never 401
 * const oidc = jwtStrategy({
 *   jwksUri: "https://your-tenant.eu.auth0.com/.well-known/jwks.json", // or discovery: true
 *   issuer: "https://your-tenant.eu.auth0.com/",
 *   audience: "agent-api",
 *   algorithms: ["RS256"],
 * });
 *
 * @example
 * // Custom user, also usable with plain Passport
 * passport.use(jwtStrategy({
 *   publicKey, algorithms: ["RS256"],
 *   verify: async (payload) => (await isRevoked(payload.jti)) ? false : { identity: payload.sub!, org: payload.org },
 * }));
 */
export function jwtStrategy<U = JwtUser>(options: JwtStrategyOptions<U>): TypedStrategy<U> {
  const { algorithms, key, keySet, jwks, requireExp, maxLifetime, tolerance, claims, cacheSize, name } =
    checkJwtOptions(options);

  const { Strategy: JwtStrategy, ExtractJwt } = loadPassportJwt();
  const extract = (options.jwtFromRequest ?? ExtractJwt.fromAuthHeaderAsBearerToken()) as (
    req: Request,
  ) => string | null | undefined;
  const userVerify = (options.verify ?? defaultJwtUser) as (payload: JwtPayload, req: Request) => unknown;
  const rejected = options.verify
    ? { message: "The token was rejected by verify()" }
    : { message: 'The token has no "sub" claim' };
  const notAUser = new TypeError(
    "jwtStrategy({ verify }) returned undefined: return a user or an identity string to accept, false or null to reject " +
      "(it is not passport-jwt's (payload, done) callback)",
  );

  /** Runs `verify` and reports to `done` as passport-jwt's verify callback does: (err) | (null, false, info) | (null, user). */
  function run(payload: JwtPayload, req: Request, done: Done): void {
    let result: unknown;
    try {
      result = userVerify(payload, req);
    } catch (err) {
      done(err);
      return;
    }
    if (isThenable(result)) {
      result.then((settled) => outcome(settled, done), done);
    } else {
      outcome(result, done);
    }
  }
  function outcome(result: unknown, done: Done): void {
    if (result === undefined) done(notAUser);
    else if (result === null || result === false) done(null, false, rejected);
    else done(null, result);
  }

  const cache = cacheSize > 0 ? new VerifiedTokenCache<JwtPayload>(cacheSize) : undefined;
  const keys = keySet ? new JwksKeySource(keySet, algorithms, jwks, options.logger ?? console) : undefined;
  const found = new WeakMap<object, KeyObject>();
  const maxAge = claims.maxAge;
  /** passport-jwt calls this after jsonwebtoken has verified the token (passReqToCallback). */
  function verified(req: Request, payload: JwtPayload, done: Done): void {
    Object.freeze(payload);
    const token = extract(req);
    const header = typeof token === "string" ? headerOf(token) : undefined;
    // RFC 7515 §4.1.11: a `crit` extension the recipient does not understand makes the token invalid; we understand none.
    if (!header || header.crit !== undefined) {
      done(null, false, { message: 'The token\'s header has a "crit" parameter' });
      return;
    }
    if (typeof payload.exp !== "number") {
      if (requireExp) {
        done(null, false, {
          message: 'The token has no "exp" claim (jwtStrategy({ requireExp: false }) accepts such tokens)',
        });
        return;
      }
    } else if (
      maxLifetime !== undefined &&
      payload.exp - (typeof payload.iat === "number" ? payload.iat : Math.floor(Date.now() / 1000)) > maxLifetime
    ) {
      done(null, false, { message: `The token lives longer than maxLifetime (${maxLifetime} s)` });
      return;
    }
    if (cache) {
      if (typeof token === "string" && token.length > 0) {
        const validFrom = typeof payload.nbf === "number" ? payload.nbf - tolerance : -Infinity;
        let validUntil = typeof payload.exp === "number" ? payload.exp + tolerance : Infinity;
        if (maxAge !== undefined && typeof payload.iat === "number")
          validUntil = Math.min(validUntil, payload.iat + maxAge + tolerance);
        cache.set(token, payload, validFrom, validUntil);
      }
    }
    run(payload, req, done);
  }

  const Ctor = cache || keys ? frontedStrategyClass(JwtStrategy) : JwtStrategy;
  const strategy = new Ctor(
    {
      ...(key
        ? { secretOrKey: key }
        : {
            secretOrKeyProvider(req: Request, _token: string, done: (err: unknown, key?: KeyObject) => void) {
              const k = found.get(req);
              found.delete(req);
              if (k) done(null, k);
              else done(new Error("jwtStrategy(): no key was looked up for this request"));
            },
          }),
      jwtFromRequest: extract,
      algorithms,
      issuer: copyList(options.issuer),
      audience: copyList(options.audience),
      ignoreExpiration: false,
      passReqToCallback: true,
      jsonWebTokenOptions: { ...claims, clockTolerance: tolerance },
    },
    verified,
  ) as Strategy & Record<PropertyKey, unknown>;
  strategy.name = name;
  if (cache || keys) strategy[STATE] = { cache, keys, found, extract, run } satisfies FrontState;
  return strategy;
}
