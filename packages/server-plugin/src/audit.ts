/**
 * The decision audit: with `new Auth({ onDecision })`, every authorization
 * decision (a guard or `auth.authorize()`) produces one record saying who asked
 * for what, which registered handler key decided, and how. Without the option
 * nothing here runs: the guard calls `decide()` directly.
 */
import {
  decide,
  type AnyHandler,
  type AuthContext,
  type ConfigErrorReporter,
  type Decision,
  type Unhandled,
} from "./decision";
import { isHTTPException } from "./errors";
import type { Filters } from "./filters";
import type { Registry } from "./registry";

/**
 * How a decision came out:
 * - `allow`: a handler allowed without a filter;
 * - `scoped`: a handler allowed with a filter (in `filters`);
 * - `deny`: a handler refused with `false` (403) or its own 4xx `HTTPException`;
 * - `unhandled`: no handler matches; `allowed` says what `new Auth({ unhandled })` made of it;
 * - `error`: the handler failed (500), timed out (503) or threw its own 5xx.
 */
export type DecisionOutcome = "allow" | "scoped" | "deny" | "unhandled" | "error";

/** One authorization decision, as `onDecision` receives it. It never holds the credential or the action's value. */
export interface DecisionRecord {
  /** The concrete event, e.g. `"threads:create"`. */
  event: string;
  /** The caller's identity. */
  identity: string;
  outcome: DecisionOutcome;
  /** Whether the action may go ahead. */
  allowed: boolean;
  /** The registered key whose handler ran (`"threads:create"`, `"threads"`, `"*:create"`, `"*"`), or null when none matches. */
  handler: string | null;
  /** The filter the action is scoped by (outcome `scoped` only). */
  filters?: Filters;
  /** The HTTP status of a refusal or failure. */
  status?: number;
  /** The message the caller receives with a refusal or failure. */
  message?: string;
  /** Time spent deciding, in milliseconds (fractional). */
  durationMs: number;
  /** The request's id (`req.id` as pino-http and similar set it, else a plain `X-Request-Id` header), when there is one. */
  requestId?: string;
}

/** Receives each decision record. Keep it cheap and non-blocking; what it throws or rejects with is logged, never changes the decision. */
export type DecisionHook = (record: DecisionRecord) => void | Promise<void>;

/** What a caller-sent `X-Request-Id` must look like to be used: short, no spaces, quotes or markup. */
const PLAIN_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * The request's id: `req.id` as a request logger (pino-http, express-request-id)
 * set it, else the caller's `X-Request-Id` header when it is short and plain;
 * undefined when there is none.
 */
export function requestIdOf(req: unknown): string | undefined {
  const r = req as { id?: unknown; headers?: Record<string, unknown> } | undefined;
  const id = r?.id;
  if (typeof id === "string" && id.length > 0) return id;
  if (typeof id === "number") return String(id);
  const header = r?.headers?.["x-request-id"];
  return typeof header === "string" && PLAIN_ID.test(header) ? header : undefined;
}

function isScoped(filters: Filters | undefined): filters is Filters {
  if (!filters) return false;
  for (const _ in filters) return true;
  return false;
}

/** Classifies a settled decision (an allowed `Decision`, or what it threw). */
export function classify(
  handlerKey: string | undefined,
  settled: { decision: Decision } | { error: unknown },
): Pick<DecisionRecord, "outcome" | "allowed" | "filters" | "status" | "message"> {
  if ("decision" in settled) {
    if (handlerKey === undefined) return { outcome: "unhandled", allowed: true };
    const { filters } = settled.decision;
    return isScoped(filters) ? { outcome: "scoped", allowed: true, filters } : { outcome: "allow", allowed: true };
  }
  const err = settled.error;
  const status = isHTTPException(err) ? err.status : 500;
  const message = isHTTPException(err) ? err.message : "Internal server error";
  if (status >= 500) return { outcome: "error", allowed: false, status, message };
  return { outcome: handlerKey === undefined ? "unhandled" : "deny", allowed: false, status, message };
}

/** Makes decisions exactly as `decide()` does and reports each one to the hook. */
export class DecisionAuditor {
  constructor(
    private readonly hook: DecisionHook,
    private readonly registry: Registry<AnyHandler>,
    private readonly unhandled: Unhandled,
    private readonly report: ConfigErrorReporter,
    private readonly timeoutMs: number,
  ) {}

  /** `decide()` plus one record; returns or throws exactly what `decide()` does. */
  decide(
    context: AuthContext,
    event: string,
    value: unknown,
    requestId: string | undefined,
  ): Decision | Promise<Decision> {
    const started = performance.now();
    let decision: Decision | Promise<Decision>;
    try {
      decision = decide(this.registry, this.unhandled, this.report, context, event, value, this.timeoutMs);
    } catch (error) {
      this.emit(context, event, requestId, started, { error });
      throw error;
    }
    if (typeof (decision as Promise<Decision>).then !== "function") {
      this.emit(context, event, requestId, started, { decision: decision as Decision });
      return decision;
    }
    return (decision as Promise<Decision>).then(
      (settled) => {
        this.emit(context, event, requestId, started, { decision: settled });
        return settled;
      },
      (error: unknown) => {
        this.emit(context, event, requestId, started, { error });
        throw error;
      },
    );
  }

  private emit(
    context: AuthContext,
    event: string,
    requestId: string | undefined,
    started: number,
    settled: { decision: Decision } | { error: unknown },
  ): void {
    let key: string | undefined;
    try {
      key = this.registry.resolve(event).key;
    } catch {
      key = undefined; // an unknown event: decide() threw for it already
    }
    const record: DecisionRecord = {
      event,
      identity: context.user.identity,
      ...classify(key, settled),
      handler: key ?? null,
      durationMs: performance.now() - started,
    };
    if (requestId !== undefined) record.requestId = requestId;
    try {
      const returned = this.hook(record);
      if (returned && typeof returned.then === "function") {
        returned.then(undefined, (err: unknown) => this.hookFailed(err));
      }
    } catch (err) {
      this.hookFailed(err);
    }
  }

  private hookFailed(err: unknown): void {
    this.report(
      `The onDecision hook threw (the decision stands): ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
}
