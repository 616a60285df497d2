import { readFileSync } from "node:fs";
import path from "node:path";
import { Auth, checkPolicy, HTTPException } from "../src/index";

describe("auth.explain(event)", () => {
  const auth = new Auth({ unhandled: "deny" })
    .on("threads:create", () => undefined)
    .on("threads", () => undefined)
    .on("*:delete", () => false);

  test("an exact registration wins and is named", () => {
    const e = auth.explain("threads:create");
    expect(e).toMatchObject({
      event: "threads:create",
      resource: "threads",
      action: "create",
      handler: "threads:create",
      level: "resource:action",
      unhandled: "deny",
    });
    expect(e.reason).toMatch(/"threads:create" is registered for exactly this event/);
  });

  test("a resource handler, with the more specific key it looked for first", () => {
    const e = auth.explain("threads:read");
    expect(e.handler).toBe("threads");
    expect(e.level).toBe("resource");
    expect(e.candidates).toEqual([
      { key: "threads:read", level: "resource:action", registered: false },
      { key: "threads", level: "resource", registered: true },
      { key: "*:read", level: "*:action", registered: false },
      { key: "*", level: "*", registered: false },
    ]);
    expect(e.reason).toBe('No handler is registered for "threads:read", so the resource handler "threads" runs.');
  });

  test("a *:action handler for another resource's action", () => {
    expect(auth.explain("assistants:delete")).toMatchObject({ handler: "*:delete", level: "*:action" });
  });

  test("the resource handler beats *:action (most specific wins)", () => {
    expect(auth.explain("threads:delete").handler).toBe("threads");
  });

  test("nothing matches: unhandled, and what that means in this mode", () => {
    const denied = auth.explain("store:get");
    expect(denied).toMatchObject({ handler: null, level: null });
    expect(denied.reason).toMatch(/refused with 403 \(unhandled: "deny"\)/);
    expect(new Auth({ unhandled: "allow" }).explain("store:get").reason).toMatch(
      /allowed without a filter \(unhandled: "allow"\)/,
    );
  });

  test("the global handler", () => {
    expect(new Auth().on("*", () => undefined).explain("crons:search")).toMatchObject({ handler: "*", level: "*" });
  });

  test("an unknown event is a compile error and throws, like guard()", () => {
    // @ts-expect-error: no resource "thread"
    expect(() => auth.explain("thread:read")).toThrow(/Unknown resource "thread"/);
    // @ts-expect-error: a key, not a concrete event
    expect(() => auth.explain("threads")).toThrow(/concrete event/);
  });

  test("explain runs no handler", () => {
    const handler = jest.fn();
    new Auth().on("*", handler).explain("threads:read");
    expect(handler).not.toHaveBeenCalled();
  });
});

describe("checkPolicy: unit-testing a policy without HTTP", () => {
  // The single-owner policy with permissions, as the README shows it.
  const policy = () =>
    new Auth({ unhandled: "deny", logger: { error: () => undefined } })
      .on("threads:create", ({ user, value, permissions }) => {
        if (!permissions.includes("threads:write")) return false;
        value.metadata = { ...value.metadata, owner: user.identity };
      })
      .on("threads", ({ user }) => ({ owner: user.identity }))
      .on("store", ({ user, value }) => {
        if (value.namespace?.[0] !== user.identity) throw new HTTPException(404, { message: "Item not found" });
      });

  test.each([
    [
      "alice with write creates, stamped",
      { identity: "alice", permissions: ["threads:write"] },
      "threads:create",
      { metadata: { owner: "bob" } },
      { outcome: "allow", allowed: true, handler: "threads:create", value: { metadata: { owner: "alice" } } },
    ],
    [
      "alice without write is denied",
      "alice",
      "threads:create",
      { metadata: {} },
      { outcome: "deny", allowed: false, status: 403, handler: "threads:create" },
    ],
    [
      "bob's reads are scoped to bob",
      "bob",
      "threads:read",
      { thread_id: "t1" },
      { outcome: "scoped", filters: { owner: "bob" }, handler: "threads" },
    ],
    [
      "bob's store read in alice's namespace is a 404",
      "bob",
      "store:get",
      { namespace: ["alice"], key: "k" },
      { outcome: "deny", status: 404, message: "Item not found", handler: "store" },
    ],
    [
      "crons have no handler: unhandled, denied",
      "bob",
      "crons:read",
      { cron_id: "c1" },
      { outcome: "unhandled", allowed: false, status: 403, handler: null },
    ],
  ] as const)("%s", async (_name, user, event, value, expected) => {
    expect(await checkPolicy(policy(), user as never, event, structuredClone(value) as never)).toMatchObject(expected);
  });

  test("a failing handler is an error outcome, never a rejection", async () => {
    const logger = { error: jest.fn() };
    const quiet = new Auth({ logger }).on("*", () => {
      throw new Error("boom");
    });
    expect(await checkPolicy(quiet, "alice", "threads:read", { thread_id: "t" })).toMatchObject({
      outcome: "error",
      allowed: false,
      status: 500,
    });
  });

  test("an invalid user is a TypeError (the test is wrong, not the policy)", async () => {
    await expect(
      checkPolicy(policy(), { permissions: [] } as never, "threads:read", { thread_id: "t" }),
    ).rejects.toThrow(TypeError);
  });
});

test("the README's policy-test recipe is test/recipes/policy.test.ts, verbatim", () => {
  const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
  const marker = "<!-- file: test/recipes/policy.test.ts -->\n\n```ts\n";
  const at = readme.indexOf(marker);
  expect(at).toBeGreaterThan(0);
  const block = readme.slice(at + marker.length, readme.indexOf("```\n", at + marker.length));
  expect(block).toBe(readFileSync(path.join(__dirname, "recipes", "policy.test.ts"), "utf8"));
});
