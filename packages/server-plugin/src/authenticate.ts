/**
 * Running the authenticate step for one request: Passport strategies (driven
 * through the strategy contract, exactly as `passport.authenticate` drives
 * them, with every outcome handled) or an async function.
 *
 * Differences from `passport.authenticate`, all deliberate for an API:
 * - `pass()` does not let the request through unauthenticated: it counts as
 *   "no credential for this strategy" and the next strategy is tried, except
 *   from Passport's session strategy with `req.user` set (it restored a login);
 * - `redirect()` is a configuration error (500 with a clear log message);
 * - an async verify callback that rejects becomes `error()` (a 500), never an
 *   unhandled rejection;
 * - no `req.login`: the user goes to `req.auth` and `req.user` (a session's or
 *   `mapUser()`'s own user object stays on `req.user`).
 */
import type { IncomingMessage } from "node:http";
import type { Strategy } from "passport";
import { authenticationFailed, hasUsableIdentity, unusableIdentity, withChallenge, type Failure } from "./auth-failure";
import { isMappedStrategy, type MappedStrategy } from "./strategy-user";
import { isThenable } from "./values";

export { authenticationFailed } from "./auth-failure";
export type { TypedStrategy, MappedStrategy, UserOf } from "./strategy-user";

/** An authenticate function: receives the request, returns a user or an identity, or throws `HTTPException`. */
export type AuthenticateFunction<Req = IncomingMessage, R = unknown> = (request: Req) => R | Promise<R>;

/** A Passport strategy instance, the name of one registered on the `passport` given to `new Auth()`, or either wrapped by `mapUser()`. */
export type StrategyRef = Strategy | string | MappedStrategy<unknown>;

/** A Passport instance: the default export of `passport` or `new Passport()`. */
export interface PassportLike {
  use(name: string, strategy: Strategy): unknown;
}

/** Everything `auth.authenticate()` accepts. */
export type AuthenticateInput = StrategyRef | readonly StrategyRef[] | AuthenticateFunction<never, unknown>;

/**
 * Runs the authenticate step; calls `done(err)` or `done(null, rawUser, appUser)` exactly once.
 * `appUser`, when given, is the application's own user object to leave on `req.user`.
 */
export type AuthenticateStep = (
  req: IncomingMessage,
  done: (err: unknown, user?: unknown, appUser?: unknown) => void,
) => void;

interface Attempt {
  readonly req: IncomingMessage;
  readonly chain: StrategyChain;
  readonly done: (err: unknown, user?: unknown, appUser?: unknown) => void;
  failures: Failure[];
  settled: boolean;
}

const STATE = Symbol("gatehouse.attempt");
const USED = Symbol("gatehouse.used");
const INDEX = Symbol("gatehouse.index");
const STRATEGY_OPTIONS = Object.freeze({ session: false });

type Running = Strategy & { [STATE]: Attempt; [USED]?: boolean; [INDEX]: number; [k: string]: unknown };

function settle(attempt: Attempt, err: unknown, user?: unknown, appUser?: unknown): void {
  if (attempt.settled) return;
  attempt.settled = true;
  attempt.done(err, user, appUser);
}

/** First outcome only: a strategy that calls back twice is not believed twice. */
function once(self: Running): Attempt | undefined {
  if (self[USED]) return undefined;
  self[USED] = true;
  return self[STATE];
}

/** Wraps a verify callback so that a rejected promise becomes `error()`. */
function catchRejections(verify: (...args: unknown[]) => unknown) {
  return function verifyCatchingRejections(this: Running, ...args: unknown[]) {
    const result = verify.apply(this, args);
    if (isThenable(result)) {
      result.then(undefined, (err: unknown) => {
        const attempt = once(this);
        if (attempt) settle(attempt, err);
      });
    }
    return result;
  };
}

/** Passport's session strategy: it restores `req.user` from the session and then calls `pass()`. */
function isSessionStrategy(strategy: Strategy): boolean {
  return (
    strategy.name === "session" &&
    typeof (strategy as unknown as { _deserializeUser?: unknown })._deserializeUser === "function"
  );
}

/** The session field passport's session strategy reads (its `_key`, "passport" by default). */
function sessionKey(strategy: Strategy): string {
  const key = (strategy as unknown as { _key?: unknown })._key;
  return typeof key === "string" ? key : "passport";
}

/** A prototype layer over a strategy with the five outcomes; one per strategy, shared by all requests. */
function makeLayer(strategy: Strategy, label: string): object {
  const layer = Object.create(strategy) as Record<string, unknown>;
  const session = isSessionStrategy(strategy);
  layer.success = function success(this: Running, user: unknown) {
    const attempt = once(this);
    if (attempt) attempt.chain.succeeded(attempt, this[INDEX], user, false);
  };
  layer.fail = function fail(this: Running, challenge?: unknown, status?: number) {
    const attempt = once(this);
    if (!attempt || attempt.settled) return;
    if (typeof challenge === "number") {
      status = challenge;
      challenge = undefined;
    }
    attempt.failures.push({ challenge, status, strategy, label });
    attempt.chain.attempt(attempt, attempt.failures.length);
  };
  layer.pass = function pass(this: Running) {
    const attempt = once(this);
    if (!attempt || attempt.settled) return;
    if (session) {
      // The session strategy's way of saying "logged in": the session holds a login and
      // req.user is the app's deserialized user (a req.user set by anything else is not believed).
      const req = attempt.req as IncomingMessage & Record<string, unknown>;
      const user = req[typeof req._userProperty === "string" ? req._userProperty : "user"];
      const login = (req.session as Record<string, { user?: unknown } | undefined> | undefined)?.[sessionKey(strategy)];
      if (login && login.user !== undefined && user !== undefined && user !== null && user !== false) {
        attempt.chain.succeeded(attempt, this[INDEX], user, true);
        return;
      }
    }
    attempt.failures.push({ challenge: undefined, status: undefined, strategy, label });
    attempt.chain.attempt(attempt, attempt.failures.length);
  };
  layer.error = function error(this: Running, err: unknown) {
    const attempt = once(this);
    if (attempt) settle(attempt, err ?? new Error(`Passport strategy ${label} called error() without an error`));
  };
  layer.redirect = function redirect(this: Running, url: unknown) {
    const attempt = once(this);
    if (!attempt) return;
    settle(
      attempt,
      new Error(
        `Passport strategy ${label} tried to redirect to ${String(url).slice(0, 100)}. An API cannot answer with a login redirect: ` +
          `use a strategy that reads credentials from the request (JWT, bearer token, API key) for auth.authenticate().`,
      ),
    );
  };
  for (const name of ["_verify", "verify"]) {
    const verify = (strategy as unknown as Record<string, unknown>)[name];
    if (typeof verify === "function") layer[name] = catchRejections(verify as (...args: unknown[]) => unknown);
  }
  return layer;
}

/** An ordered list of Passport strategies; the first success wins. */
class StrategyChain {
  private readonly layers = new WeakMap<Strategy, object>();

  constructor(
    private readonly strategies: readonly (() => Strategy)[],
    private readonly labels: readonly string[],
    private readonly mappers: readonly (((user: never, req: IncomingMessage) => unknown) | undefined)[],
    private readonly realm: string,
    private readonly log: ((message: string, cause?: unknown) => void) | undefined,
  ) {}

  run(req: IncomingMessage, done: (err: unknown, user?: unknown, appUser?: unknown) => void): void {
    this.attempt({ req, chain: this, done, failures: [], settled: false }, 0);
  }

  /** Strategy `index` accepted `user`: map it if asked; the app's own object stays on req.user when mapped or from a session. */
  succeeded(attempt: Attempt, index: number, user: unknown, fromSession: boolean): void {
    const toUser = this.mappers[index];
    if (!toUser) {
      if (
        fromSession &&
        !(user && typeof user === "object" && typeof (user as { identity?: unknown }).identity === "string")
      ) {
        settle(
          attempt,
          new TypeError(
            `Passport strategy ${this.labels[index]} restored a user without a string "identity": map your user with ` +
              `auth.authenticate(mapUser("session", (user) => ({ identity: String(user.id) })))`,
          ),
        );
        return;
      }
      settle(attempt, null, user, fromSession ? user : undefined);
      return;
    }
    let mapped: unknown;
    try {
      mapped = toUser(user as never, attempt.req);
    } catch (err) {
      settle(attempt, err);
      return;
    }
    settle(attempt, null, mapped, user);
  }

  attempt(attempt: Attempt, index: number): void {
    if (index >= this.strategies.length) {
      settle(attempt, authenticationFailed(attempt.req, attempt.failures, this.realm, this.log));
      return;
    }
    let running: Running | undefined;
    try {
      const strategy = this.strategies[index]();
      let layer = this.layers.get(strategy);
      if (!layer) this.layers.set(strategy, (layer = makeLayer(strategy, this.labels[index])));
      running = Object.create(layer) as Running;
      running[STATE] = attempt;
      running[INDEX] = index;
      (running.authenticate as (this: unknown, req: unknown, options: unknown) => void).call(
        running,
        attempt.req,
        STRATEGY_OPTIONS,
      );
    } catch (err) {
      if (!running || once(running)) settle(attempt, err);
    }
  }
}

function isStrategy(value: unknown): value is Strategy {
  return !!value && typeof value === "object" && typeof (value as Strategy).authenticate === "function";
}

/**
 * Compiles what was given to `auth.authenticate()` into a step. Strategy
 * instances are registered on Gatehouse's own Passport instance (`own`); names
 * are looked up on the application's (`theirs`) at every request, as Passport does.
 * Throws a TypeError that says what to fix for anything else.
 */
export function compileAuthenticate(
  input: AuthenticateInput,
  own: PassportLike,
  theirs: PassportLike | undefined,
  realm: string,
  log?: (message: string, cause?: unknown) => void,
): AuthenticateStep {
  const step = compileStep(input, own, theirs, realm, log);
  // Every 401 carries a challenge, also one thrown by an authenticate function or a verify callback.
  return function authenticateStep(req, done) {
    step(req, (err, user, appUser) => {
      if (err) done(withChallenge(err, req, realm));
      else if (!hasUsableIdentity(user)) done(unusableIdentity(realm));
      else done(null, user, appUser);
    });
  };
}

function compileStep(
  input: AuthenticateInput,
  own: PassportLike,
  theirs: PassportLike | undefined,
  realm: string,
  log: ((message: string, cause?: unknown) => void) | undefined,
): AuthenticateStep {
  if (typeof input === "function") {
    const fn = input as AuthenticateFunction<IncomingMessage, unknown>;
    return function runAuthenticateFunction(req, done) {
      let result: unknown;
      try {
        result = fn(req);
        if (isThenable(result)) {
          result.then((user) => done(null, user), done);
          return;
        }
      } catch (err) {
        done(err); // also a thenable whose then() throws: it must not escape to Express's default error page
        return;
      }
      done(null, result);
    };
  }
  const refs: readonly unknown[] = Array.isArray(input) ? input : [input];
  if (refs.length === 0)
    throw new TypeError("auth.authenticate() got an empty array: give at least one Passport strategy or strategy name");
  const getters: (() => Strategy)[] = [];
  const labels: string[] = [];
  const mappers: (((user: never, req: IncomingMessage) => unknown) | undefined)[] = [];
  for (const given of refs) {
    const ref = isMappedStrategy(given) ? given.strategy : given;
    mappers.push(isMappedStrategy(given) ? given.toUser : undefined);
    if (isStrategy(ref)) {
      let name = ref.name || "strategy";
      for (let n = 2; (own as unknown as { _strategy(n: string): unknown })._strategy(name); n++)
        name = `${ref.name || "strategy"}#${n}`;
      own.use(name, ref);
      getters.push(() => ref);
      labels.push(`"${name}"`);
    } else if (typeof ref === "string") {
      if (!theirs) {
        throw new TypeError(
          `auth.authenticate("${ref}") names a strategy, so pass the Passport instance it is registered on: new Auth({ passport })`,
        );
      }
      const lookup = theirs as unknown as { _strategy(name: string): Strategy | undefined };
      if (!isStrategy(lookup._strategy(ref))) {
        throw new TypeError(
          `No Passport strategy named "${ref}" is registered on the passport instance given to new Auth(). Call passport.use("${ref}", strategy) first`,
        );
      }
      getters.push(() => {
        const strategy = lookup._strategy(ref);
        if (!isStrategy(strategy))
          throw new Error(`Passport strategy "${ref}" was unregistered after auth.authenticate() was set up`);
        return strategy;
      });
      labels.push(`"${ref}"`);
    } else {
      throw new TypeError(
        "auth.authenticate() takes a Passport strategy instance, a strategy name, mapUser(strategy, toUser), an array of those, or a function (request) => user; " +
          `got ${ref === null ? "null" : typeof ref}`,
      );
    }
  }
  const chain = new StrategyChain(getters, labels, mappers, realm, log);
  return function runPassportStrategies(req, done) {
    chain.run(req, done);
  };
}
