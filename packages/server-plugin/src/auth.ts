/**
 * The Auth builder: `authenticate()` says who is calling, `on()` registers what
 * they may do, `middleware()` and `guard()` put both on Express routes, and
 * `authorize()` makes the same decision anywhere else.
 */
import type { Request, RequestHandler } from "express";
import { Passport } from "passport";
import { DecisionAuditor, type DecisionHook } from "./audit";
import {
  compileAuthenticate,
  type AuthenticateInput,
  type AuthenticateStep,
  type PassportLike,
  type StrategyRef,
  type UserOf,
} from "./authenticate";
import {
  decide,
  type AnyHandler,
  type AuthContext,
  type Decision,
  type HandlerInput,
  type HandlerResult,
  type Unhandled,
} from "./decision";
import { HTTPException } from "./errors";
import {
  buildResourceIndex,
  type ConcreteEvent,
  type EventKey,
  type EventsOf,
  type EventValue,
  type ResourceDeclaration,
  type ResourceMap,
  type WithBuiltins,
} from "./events";
import {
  authenticateMiddleware,
  compilePublicPaths,
  guardMiddleware,
  type GuardOptions,
  type MiddlewareOptions,
} from "./express";
import { explainEvent, type Explanation } from "./explain";
import { checkOptionNames } from "./options";
import { Registry } from "./registry";
import type { AuthUser, BaseUser } from "./user";

/** Where Gatehouse reports configuration mistakes (they answer 500 and must be fixed by a developer). */
export interface AuthLogger {
  error(message: string, cause?: unknown): void;
  /** Optional: why each rejected credential was rejected (the caller only gets a short fixed description). */
  debug?(message: string, cause?: unknown): void;
}

/** Options of `new Auth()`; validated in the constructor. */
export interface AuthOptions<Extra extends ResourceMap = Record<never, never>> {
  /**
   * What happens to an event no handler matches. Default `"deny"` (403), so a
   * forgotten handler fails closed; `"allow"` is LangGraph's behaviour.
   */
  unhandled?: Unhandled;
  /** The application's Passport instance, needed to name strategies in `authenticate("jwt")`. */
  passport?: PassportLike;
  /** The application's own resources and their actions, e.g. `{ documents: ["read", "write", "share"] }`. */
  resources?: ResourceDeclaration<Extra>;
  /** The realm of `WWW-Authenticate` challenges. Default `"api"`. */
  realm?: string;
  /**
   * Longest time the authenticate step, or an async authorization handler, may
   * take before the request gets 503 (`authorize()` rejects with a 503
   * `HTTPException`). Default 10000 ms; 0 disables.
   */
  timeoutMs?: number;
  /** Receives configuration errors. Default: `console`. Each distinct message is reported once. */
  logger?: AuthLogger;
  /**
   * Receives one record per authorization decision (guard or `authorize()`):
   * event, identity, outcome, the handler key that ran, the filter, duration and
   * the request id. Never the credential or the request body. A hook that throws
   * is logged and does not change the decision. Unset: no cost.
   */
  onDecision?: DecisionHook;
}

/** A handler for event key `K` of resources `M`, seeing users of type `U`. */
export type Handler<M extends ResourceMap, K extends string, U> = (
  input: HandlerInput<U, EventsOf<M, K>, EventValue<M, K>>,
) => HandlerResult | Promise<HandlerResult>;

const REPORTED_LIMIT = 1000;

const AUTH_OPTIONS = ["unhandled", "passport", "resources", "realm", "timeoutMs", "logger", "onDecision"] as const;

function makeReporter(logger: AuthLogger): (message: string, cause?: unknown) => void {
  const seen = new Set<string>();
  return (message, cause) => {
    if (seen.has(message)) return;
    if (seen.size < REPORTED_LIMIT) seen.add(message);
    if (cause === undefined) logger.error(`[gatehouse] ${message}`);
    else logger.error(`[gatehouse] ${message}`, cause);
  };
}

/**
 * LangGraph-style authentication and authorization for Express.
 *
 * @typeParam Extra - the application's own resources: resource → action → value type.
 * @typeParam U - the user every handler sees; set by `authenticate()`.
 *
 * @example
 * import { Auth, jwtStrategy } from "@gatehouse/express";
 *
 * const auth = new Auth({ unhandled: "deny" })
 *   .authenticate(jwtStrategy({ secret: process.env.JWT_SECRET!, algorithms: ["HS256"] }))
 *   .on("threads:create", ({ user, value }) => { value.metadata = { ...value.metadata, owner: user.identity }; })
 *   .on("*", ({ user }) => ({ owner: user.identity }));
 *
 * app.use(auth.middleware({ public: ["/health"] }));
 * app.post("/threads", auth.guard("threads:create"), createThread);
 */
export class Auth<Extra extends ResourceMap = Record<never, never>, U extends BaseUser = BaseUser> {
  private readonly registry: Registry<AnyHandler>;
  private readonly unhandled: Unhandled;
  private readonly own = new Passport() as unknown as PassportLike;
  private readonly theirs: PassportLike | undefined;
  private readonly realm: string;
  private readonly timeoutMs: number;
  private readonly report: (message: string, cause?: unknown) => void;
  private readonly logRejection: ((message: string, cause?: unknown) => void) | undefined;
  private step: AuthenticateStep | undefined;
  private readonly auditor: DecisionAuditor | undefined;

  constructor(options: AuthOptions<Extra> = {}) {
    checkOptionNames("new Auth(options)", options, AUTH_OPTIONS);
    const {
      unhandled = "deny",
      passport,
      resources,
      realm = "api",
      timeoutMs = 10_000,
      logger = console,
      onDecision,
    } = options;
    if (unhandled !== "allow" && unhandled !== "deny") {
      throw new TypeError(`new Auth({ unhandled }) must be "allow" or "deny", got ${JSON.stringify(unhandled)}`);
    }
    if (
      passport !== undefined &&
      (typeof passport !== "object" || typeof (passport as { use?: unknown }).use !== "function")
    ) {
      throw new TypeError(
        "new Auth({ passport }) must be a Passport instance (the default export of 'passport' or new Passport())",
      );
    }
    if (typeof realm !== "string" || realm.length === 0)
      throw new TypeError("new Auth({ realm }) must be a non-empty string");
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0)
      throw new TypeError(`new Auth({ timeoutMs }) must be a number of milliseconds ≥ 0, got ${String(timeoutMs)}`);
    if (!logger || typeof logger.error !== "function")
      throw new TypeError("new Auth({ logger }) must have an error(message, cause) method");
    this.registry = new Registry(buildResourceIndex(resources));
    this.unhandled = unhandled;
    this.theirs = passport;
    this.realm = realm;
    this.timeoutMs = timeoutMs;
    this.report = makeReporter(logger);
    // The default console stays quiet about rejected credentials; a logger with debug() given here hears every one.
    this.logRejection =
      logger !== console && typeof logger.debug === "function"
        ? (m, c) => logger.debug!(`[gatehouse] ${m}`, c)
        : undefined;
    if (onDecision !== undefined && typeof onDecision !== "function")
      throw new TypeError("new Auth({ onDecision }) must be a function (record) => void");
    this.auditor =
      onDecision && new DecisionAuditor(onDecision, this.registry, this.unhandled, this.report, this.timeoutMs);
  }

  /**
   * Sets the authenticate step: a Passport strategy, a strategy name (with
   * `new Auth({ passport })`), an array of those (first success wins), or a
   * function `(req) => identity | user` that may throw `HTTPException`.
   * The user type of every later handler is what this step produces.
   *
   * @example
   * auth.authenticate(async (req) => {
   *   if (req.headers["x-api-key"] !== process.env.API_KEY) throw new HTTPException(401, { message: "Invalid API key" });
   *   return { identity: "ci-bot", permissions: ["threads:read"], team: "infra" };
   * });
   */
  authenticate<R>(fn: (request: Request) => R | Promise<R>): Auth<Extra, AuthUser<R>>;
  authenticate<S extends StrategyRef>(strategies: S | readonly S[]): Auth<Extra, AuthUser<UserOf<S>>>;
  authenticate<T = string>(strategies: StrategyRef | readonly StrategyRef[]): Auth<Extra, AuthUser<T>>;
  authenticate(input: AuthenticateInput): Auth<Extra, BaseUser> {
    if (this.step)
      throw new TypeError(
        "auth.authenticate() was already called: pass several strategies as one array (first success wins)",
      );
    this.step = compileAuthenticate(input, this.own, this.theirs, this.realm, this.logRejection);
    return this;
  }

  /**
   * Registers the handler for `resource:action`, `resource`, `*:action` or `*`
   * (or several keys at once). For each event exactly one handler runs: the most
   * specific. A key registered twice, or an unknown resource or action, throws.
   *
   * @example
   * auth.on("threads:create", ({ user, value }) => { value.metadata = { ...value.metadata, owner: user.identity }; })
   *     .on(["threads:delete", "assistants:delete"], ({ permissions }) => permissions.includes("admin"))
   *     .on("*", ({ user }) => ({ owner: user.identity }));
   */
  on<K extends EventKey<WithBuiltins<Extra>>>(
    key: K | readonly K[],
    handler: Handler<WithBuiltins<Extra>, K, U>,
  ): this {
    if (typeof handler !== "function")
      throw new TypeError(`auth.on(${JSON.stringify(key)}, handler): handler must be a function`);
    const keys: readonly string[] = Array.isArray(key) ? key : [key as string];
    if (keys.length === 0) throw new TypeError("auth.on([], handler): give at least one event key");
    // The registry holds handlers of every event; each is only called with its own event's input.
    this.registry.add(keys, handler as unknown as AnyHandler);
    return this;
  }

  /**
   * Express middleware that authenticates every request except `public` paths,
   * setting `req.auth = { user, permissions }` and `req.user`. Bad or missing
   * credentials answer 401 with an RFC 6750 `WWW-Authenticate`. A CORS preflight
   * that reaches it (no CORS middleware answered it first) gets an empty 204 and
   * is never passed on: mount CORS handling before this middleware.
   *
   * @example
   * app.use(auth.middleware({ public: ["/health", "/info", "/docs/*"] }));
   */
  middleware(options: MiddlewareOptions = {}): RequestHandler {
    checkOptionNames("auth.middleware(options)", options, ["public"]);
    if (!this.step)
      throw new TypeError("auth.middleware() needs an authenticate step: call auth.authenticate(strategy) first");
    const isPublic = compilePublicPaths(options.public);
    return authenticateMiddleware(() => this.step!, isPublic, this.report, this.timeoutMs);
  }

  /**
   * Express middleware that authorizes one event on a route: runs the most
   * specific handler with `value` (by default built from params and body),
   * answers 403 on denial, and exposes the handler's filter as `req.auth.filters`
   * (`{}` when allowed unscoped; `undefined` only where no guard ran, which
   * `matchFilters`/`filtersToSql` refuse). The handler's `value.metadata` (and a
   * store namespace it narrowed) is written back to the request exactly.
   * A JSON body that no parser read is a 500 telling you to mount `express.json()`.
   *
   * @example
   * app.get("/threads/:thread_id", auth.guard("threads:read"), async (req, res) => {
   *   const thread = await findThread(req.params.thread_id, req.auth!.filters); // 404 unless it matches
   * });
   */
  guard<E extends ConcreteEvent<WithBuiltins<Extra>>>(
    event: E,
    options: GuardOptions<EventValue<WithBuiltins<Extra>, E>> = {},
  ): RequestHandler {
    this.registry.assertConcrete(event);
    checkOptionNames(`auth.guard("${event}", options)`, options, ["value"]);
    if (options.value !== undefined && typeof options.value !== "function") {
      throw new TypeError(`auth.guard("${event}", { value }): value must be a function (req) => value`);
    }
    return guardMiddleware(
      this.registry,
      this.unhandled,
      this.report,
      event,
      options.value,
      this.timeoutMs,
      this.auditor,
    );
  }

  /**
   * The guard's decision without Express: resolves to `{ filters }` (`{}`, which
   * matches every record, when allowed unscoped) or rejects with `HTTPException` (401 without a user, 403 when
   * denied, or the handler's own). `options.requestId` goes into the decision record.
   *
   * @example
   * const { filters } = await auth.authorize(req.auth, "threads:read", { thread_id });
   */
  authorize<E extends ConcreteEvent<WithBuiltins<Extra>>>(
    context: AuthContext<U> | AuthContext | undefined,
    event: E,
    value: EventValue<WithBuiltins<Extra>, E>,
    options?: { requestId?: string },
  ): Promise<Decision> {
    try {
      if (!context || !context.user || typeof context.user.identity !== "string") {
        this.registry.assertConcrete(event);
        throw new HTTPException(401, { code: "credentials_required", message: "Authentication required" });
      }
      if (this.auditor) return Promise.resolve(this.auditor.decide(context, event, value, options?.requestId));
      return Promise.resolve(decide(this.registry, this.unhandled, this.report, context, event, value, this.timeoutMs));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Which registered key would handle `event`, the keys looked up before it,
   * and why, without running a handler. Throws for an unknown event.
   *
   * @example
   * auth.explain("threads:read");
   * // { handler: "threads", level: "resource", reason: 'No handler is registered for "threads:read", so the resource handler "threads" runs.', … }
   */
  explain<E extends ConcreteEvent<WithBuiltins<Extra>>>(event: E): Explanation {
    return explainEvent(this.registry, this.unhandled, event);
  }
}
