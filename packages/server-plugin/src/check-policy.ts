/**
 * Unit-testing a policy without HTTP: `checkPolicy(auth, user, event, value)`
 * runs the same decision as a guard and reports it as data (never rejects for
 * a refusal), so a table of cases reads like the policy.
 */
import type { Auth } from "./auth";
import { classify, type DecisionRecord } from "./audit";
import type { AuthContext, Decision } from "./decision";
import type { Explanation } from "./explain";
import type { ConcreteEvent, EventValue, ResourceMap, WithBuiltins } from "./events";
import type { BaseUser, UserInput } from "./user";
import { normalizeUser } from "./user";

/** What `checkPolicy` resolves to. */
export interface PolicyCheck<V = unknown> extends Pick<
  DecisionRecord,
  "outcome" | "allowed" | "handler" | "filters" | "status" | "message"
> {
  /** The value after the handler ran (e.g. with `metadata.owner` stamped). */
  value: V;
}

/**
 * Decides `event` for `user` (an identity string or a user object) with
 * `value`, as `auth.guard()` would, and resolves to the outcome, the handler
 * key that decided, the filter, the refusal's status and the value after the
 * handler ran. Unknown events throw, like `auth.guard()`.
 *
 * @example
 * import { checkPolicy } from "@gatehouse/express";
 * import { createAuth } from "../src/auth";
 *
 * test("bob cannot read alice's threads", async () => {
 *   const auth = createAuth();
 *   expect(await checkPolicy(auth, { identity: "bob", permissions: ["threads:read"] }, "threads:read", { thread_id: "t1" }))
 *     .toMatchObject({ outcome: "scoped", handler: "threads", filters: { owner: "bob" } });
 *   expect(await checkPolicy(auth, "bob", "threads:delete", { thread_id: "t1" })).toMatchObject({ allowed: false, status: 403 });
 * });
 */
export async function checkPolicy<
  Extra extends ResourceMap,
  U extends BaseUser,
  E extends ConcreteEvent<WithBuiltins<Extra>>,
>(
  auth: Auth<Extra, U>,
  user: UserInput | (U & Record<string, unknown>),
  event: E,
  value: EventValue<WithBuiltins<Extra>, E>,
): Promise<PolicyCheck<EventValue<WithBuiltins<Extra>, E>>> {
  // The event and value are checked by the signature above; inside, the generic Auth is used untyped.
  const loose = auth as unknown as {
    explain(event: string): Explanation;
    authorize(context: AuthContext, event: string, value: unknown): Promise<Decision>;
  };
  const { handler } = loose.explain(event);
  const normalized = normalizeUser(user, "checkPolicy(user)");
  const context = { user: normalized, permissions: normalized.permissions };
  const settled = await loose.authorize(context, event, value).then(
    (decision) => ({ decision }),
    (error: unknown) => ({ error }),
  );
  return { ...classify(handler ?? undefined, settled), handler, value };
}
