/**
 * One authorization decision, framework-free: find the most specific handler,
 * call it, and read its result as LangGraph does (allow, deny, or allow scoped
 * by a filter), failing closed on anything else.
 */
import { HTTPException, isHTTPException } from "./errors";
import { FilterError, validateFilters, type Filters } from "./filters";
import type { Registry, Resolved } from "./registry";
import type { BaseUser } from "./user";
import { describeValue, isThenable } from "./values";

/**
 * Who is calling, as the authenticate step established it. `filters` is set by
 * a guard: the handler's filter, or {@link ALLOW_ALL} (`{}`) for an allowed,
 * unscoped decision. It stays `undefined` on a route no guard decided, and the
 * data helpers (`matchFilters`, `filtersToSql`) refuse that.
 */
export interface AuthContext<U extends BaseUser = BaseUser> {
  user: U;
  permissions: string[];
  filters?: Filters;
}

/** What a handler receives. */
export interface HandlerInput<U = BaseUser, E extends string = string, V = unknown> {
  /** The concrete event, e.g. `"threads:create"`. */
  event: E;
  resource: E extends `${infer R}:${string}` ? R : string;
  action: E extends `${string}:${infer A}` ? A : string;
  /** The action's payload; `value.metadata` may be mutated on create/update. */
  value: V;
  user: U;
  permissions: string[];
}

/** What a handler may return: nothing/`true` to allow, `false` to deny (403), a filter to allow scoped. */
export type HandlerResult = void | undefined | null | boolean | Filters;

/** A handler as stored in the registry. */
export type AnyHandler = (input: HandlerInput<BaseUser, string, unknown>) => HandlerResult | Promise<HandlerResult>;

/** What happens when no handler matches an event. */
export type Unhandled = "allow" | "deny";

/**
 * The outcome of an allowed decision: the filter to scope the action with;
 * {@link ALLOW_ALL} (`{}`, which matches every record) when the handler allowed
 * without a filter or no handler matched under `unhandled: "allow"`.
 */
export interface Decision {
  filters: Filters;
}

/** The filter of an allowed, unscoped decision: the empty filter, frozen, matching every record. */
export const ALLOW_ALL: Filters = Object.freeze({});

const UNSCOPED: Decision = Object.freeze({ filters: ALLOW_ALL });

/** Reports configuration mistakes found while deciding; they answer 500 and must reach a log. */
export type ConfigErrorReporter = (message: string, cause?: unknown) => void;

function forbidden(): HTTPException {
  return new HTTPException(403, { message: "Forbidden: you may not perform this action" });
}

function misconfigured(report: ConfigErrorReporter, message: string, cause?: unknown): HTTPException {
  report(message, cause);
  return new HTTPException(500, { message: "Internal server error", cause });
}

/** Reads a handler's result; throws `HTTPException` 403 for a denial and 500 for anything unreadable. */
export function interpretResult(result: unknown, event: string, report: ConfigErrorReporter): Decision {
  if (result === undefined || result === null || result === true) return UNSCOPED;
  if (result === false) throw forbidden();
  if (typeof result === "object" && !Array.isArray(result)) {
    try {
      return { filters: validateFilters(result) };
    } catch (err) {
      if (err instanceof FilterError)
        throw misconfigured(report, `The handler for "${event}" returned an invalid filter: ${err.message}`, err);
      throw err;
    }
  }
  throw misconfigured(
    report,
    `The handler for "${event}" returned ${describeValue(result)}. Return undefined or true to allow, false to deny (403), ` +
      `or a filter object such as { owner: user.identity } to allow scoped.`,
  );
}

function handlerFailed(err: unknown, event: string, report: ConfigErrorReporter): HTTPException {
  if (isHTTPException(err)) return err;
  return misconfigured(
    report,
    `The handler for "${event}" threw: ${err instanceof Error ? err.message : String(err)}`,
    err,
  );
}

/** Rejects with a 503 `HTTPException` when `decision` has not settled within `timeoutMs` (0: wait forever); a late result is dropped. */
function withDeadline(
  decision: Promise<Decision>,
  timeoutMs: number,
  event: string,
  report: ConfigErrorReporter,
): Promise<Decision> {
  if (timeoutMs <= 0) return decision;
  return new Promise<Decision>((resolve, reject) => {
    const timer = setTimeout(() => {
      report(`The handler for "${event}" did not settle within ${timeoutMs} ms; answered 503`);
      reject(new HTTPException(503, { message: "Authorization timed out; try again" }));
    }, timeoutMs);
    timer.unref?.();
    decision.then(
      (settled) => {
        clearTimeout(timer);
        resolve(settled);
      },
      () => {
        clearTimeout(timer);
        resolve(decision); // adopts the handler's rejection, reason unchanged
      },
    );
  });
}

/**
 * Decides synchronously when the handler is synchronous (the common case) and
 * returns a promise only for an async handler, which must settle within
 * `timeoutMs` (0: no limit). Throws or rejects with an `HTTPException`: 403 for
 * a denial, the handler's own, 503 for a timeout, or 500.
 */
export function decide(
  registry: Registry<AnyHandler>,
  unhandled: Unhandled,
  report: ConfigErrorReporter,
  context: AuthContext,
  event: string,
  value: unknown,
  timeoutMs = 0,
): Decision | Promise<Decision> {
  const entry: Resolved<AnyHandler> = registry.resolve(event);
  const handler = entry.handler;
  if (handler === undefined) {
    if (unhandled === "allow") return UNSCOPED;
    report(
      `No authorization handler matches "${event}" and unhandled is "deny", so it is refused with 403. Register auth.on("${event}", …) (or "${entry.resource}", "*:${entry.action}", "*") or set new Auth({ unhandled: "allow" }).`,
    );
    throw forbidden();
  }
  let result: unknown;
  try {
    result = handler({
      event,
      resource: entry.resource,
      action: entry.action,
      value,
      user: context.user,
      permissions: context.permissions,
    });
  } catch (err) {
    throw handlerFailed(err, event, report);
  }
  let pending: Promise<Decision> | undefined;
  try {
    if (isThenable(result)) {
      pending = (result as Promise<unknown>).then(
        (settled) => interpretResult(settled, event, report),
        (err: unknown) => {
          throw handlerFailed(err, event, report);
        },
      );
    }
  } catch (err) {
    throw handlerFailed(err, event, report); // a thenable whose then() throws
  }
  return pending ? withDeadline(pending, timeoutMs, event, report) : interpretResult(result, event, report);
}
