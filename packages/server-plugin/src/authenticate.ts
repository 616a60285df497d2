/**
 * Running the authenticate step for one request: Passport strategies (driven
 * through the strategy contract, exactly as `passport.authenticate` drives
 * them, with every outcome handled) or an async function.
 *
 * Differences from `passport.authenticate`, all deliberate for an API:
 * - `pass()` does not let the request through unauthenticated: it counts as
 *   "no credential for this strategy" and the next strategy is tried;
 * - `redirect()` is a configuration error (500 with a clear log message);
 * - an async verify callback that rejects becomes `error()` (a 500), never an
 *   unhandled rejection;
 * - no session, no `req.login`: the user goes to `req.auth` and `req.user`.
 */
import type { IncomingMessage } from "node:http";
import type { Strategy } from "passport";
import { HTTPException, bearerChallenge } from "./errors";

/** An authenticate function: receives the request, returns a user or an identity, or throws `HTTPException`. */
export type AuthenticateFunction<Req = IncomingMessage, R = unknown> = (request: Req) => R | Promise<R>;

/** A Passport strategy instance, or the name of one registered on the `passport` given to `new Auth()`. */
export type StrategyRef = Strategy | string;

/** A Passport instance: the default export of `passport` or `new Passport()`. */
export interface PassportLike {
  use(name: string, strategy: Strategy): unknown;
}

/** Everything `auth.authenticate()` accepts. */
export type AuthenticateInput = StrategyRef | readonly StrategyRef[] | AuthenticateFunction<any, unknown>;

/** Runs the authenticate step; calls `done(err)` or `done(null, rawUser)` exactly once. */
export type AuthenticateStep = (req: IncomingMessage, done: (err: unknown, user?: unknown) => void) => void;

interface Failure {
  challenge: unknown;
  status: number | undefined;
}

interface Attempt {
  readonly req: IncomingMessage;
  readonly chain: StrategyChain;
  readonly done: (err: unknown, user?: unknown) => void;
  failures: Failure[];
  settled: boolean;
}

const STATE = Symbol("gatehouse.attempt");
const USED = Symbol("gatehouse.used");
const STRATEGY_OPTIONS = Object.freeze({ session: false });

type Running = Strategy & { [STATE]: Attempt; [USED]?: boolean; [k: string]: unknown };

function settle(attempt: Attempt, err: unknown, user?: unknown): void {
  if (attempt.settled) return;
  attempt.settled = true;
  attempt.done(err, user);
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
    if (result && typeof (result as Promise<unknown>).then === "function") {
      (result as Promise<unknown>).then(undefined, (err: unknown) => {
        const attempt = once(this);
        if (attempt) settle(attempt, err);
      });
    }
    return result;
  };
}

/** A prototype layer over a strategy with the five outcomes; one per strategy, shared by all requests. */
function makeLayer(strategy: Strategy, label: string): object {
  const layer = Object.create(strategy) as Record<string, unknown>;
  layer.success = function success(this: Running, user: unknown) {
    const attempt = once(this);
    if (attempt) settle(attempt, null, user);
  };
  layer.fail = function fail(this: Running, challenge?: unknown, status?: number) {
    const attempt = once(this);
    if (!attempt || attempt.settled) return;
    if (typeof challenge === "number") {
      status = challenge;
      challenge = undefined;
    }
    attempt.failures.push({ challenge, status });
    attempt.chain.attempt(attempt, attempt.failures.length);
  };
  layer.pass = function pass(this: Running) {
    const attempt = once(this);
    if (!attempt || attempt.settled) return;
    attempt.failures.push({ challenge: undefined, status: undefined });
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

function failureMessage(challenge: unknown): string | undefined {
  if (typeof challenge === "string") return undefined;
  if (challenge instanceof Error) return challenge.message;
  if (challenge && typeof challenge === "object" && typeof (challenge as { message?: unknown }).message === "string") {
    return (challenge as { message: string }).message;
  }
  return undefined;
}

/** The 401 (or the strategy's own 4xx) for a request that no strategy accepted, per RFC 6750. */
export function authenticationFailed(req: IncomingMessage, failures: readonly Failure[], realm: string): HTTPException {
  const credentialSent = req.headers.authorization !== undefined;
  let status: number | undefined;
  const challenges: string[] = [];
  let description: string | undefined;
  for (const failure of failures) {
    if (status === undefined && typeof failure.status === "number" && failure.status >= 400 && failure.status < 500) status = failure.status;
    if (typeof failure.challenge === "string") challenges.push(failure.challenge);
    description ??= failureMessage(failure.challenge);
  }
  status ??= 401;
  const code = status !== 401 ? undefined : credentialSent ? "invalid_token" : "credentials_required";
  if (status === 401 && challenges.length === 0) {
    challenges.push(credentialSent ? bearerChallenge(realm, "invalid_token", description ?? "The access token is invalid") : bearerChallenge(realm));
  }
  const message =
    code === "credentials_required"
      ? "Authentication required: send credentials, e.g. an Authorization: Bearer <token> header"
      : code === "invalid_token"
        ? `Invalid credentials${description ? `: ${description.slice(0, 200)}` : ""}`
        : undefined;
  return new HTTPException(status, {
    code,
    message,
    headers: status === 401 ? { "WWW-Authenticate": challenges.length === 1 ? challenges[0]! : challenges } : {},
  });
}

/** An ordered list of Passport strategies; the first success wins. */
class StrategyChain {
  private readonly layers = new WeakMap<Strategy, object>();

  constructor(
    private readonly strategies: readonly (() => Strategy)[],
    private readonly labels: readonly string[],
    private readonly realm: string,
  ) {}

  run(req: IncomingMessage, done: (err: unknown, user?: unknown) => void): void {
    this.attempt({ req, chain: this, done, failures: [], settled: false }, 0);
  }

  attempt(attempt: Attempt, index: number): void {
    if (index >= this.strategies.length) {
      settle(attempt, authenticationFailed(attempt.req, attempt.failures, this.realm));
      return;
    }
    let running: Running | undefined;
    try {
      const strategy = this.strategies[index]!();
      let layer = this.layers.get(strategy);
      if (!layer) this.layers.set(strategy, (layer = makeLayer(strategy, this.labels[index]!)));
      running = Object.create(layer) as Running;
      running[STATE] = attempt;
      (running.authenticate as (this: unknown, req: unknown, options: unknown) => void).call(running, attempt.req, STRATEGY_OPTIONS);
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
): AuthenticateStep {
  if (typeof input === "function") {
    const fn = input as AuthenticateFunction<IncomingMessage, unknown>;
    return function runAuthenticateFunction(req, done) {
      let result: unknown;
      try {
        result = fn(req);
        if (result && typeof (result as Promise<unknown>).then === "function") {
          (result as Promise<unknown>).then((user) => done(null, user), done);
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
  if (refs.length === 0) throw new TypeError("auth.authenticate() got an empty array: give at least one Passport strategy or strategy name");
  const getters: (() => Strategy)[] = [];
  const labels: string[] = [];
  for (const ref of refs) {
    if (isStrategy(ref)) {
      let name = ref.name || "strategy";
      for (let n = 2; (own as unknown as { _strategy(n: string): unknown })._strategy(name); n++) name = `${ref.name || "strategy"}#${n}`;
      own.use(name, ref);
      getters.push(() => ref);
      labels.push(`"${name}"`);
    } else if (typeof ref === "string") {
      if (!theirs) {
        throw new TypeError(`auth.authenticate("${ref}") names a strategy, so pass the Passport instance it is registered on: new Auth({ passport })`);
      }
      const lookup = theirs as unknown as { _strategy(name: string): Strategy | undefined };
      if (!isStrategy(lookup._strategy(ref))) {
        throw new TypeError(`No Passport strategy named "${ref}" is registered on the passport instance given to new Auth(). Call passport.use("${ref}", strategy) first`);
      }
      getters.push(() => {
        const strategy = lookup._strategy(ref);
        if (!isStrategy(strategy)) throw new Error(`Passport strategy "${ref}" was unregistered after auth.authenticate() was set up`);
        return strategy;
      });
      labels.push(`"${ref}"`);
    } else {
      throw new TypeError(
        "auth.authenticate() takes a Passport strategy instance, a strategy name, an array of those, or a function (request) => user; " +
          `got ${ref === null ? "null" : typeof ref}`,
      );
    }
  }
  const chain = new StrategyChain(getters, labels, realm);
  return function runPassportStrategies(req, done) {
    chain.run(req, done);
  };
}
