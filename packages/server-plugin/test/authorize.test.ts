import { Auth, HTTPException, type AuthContext } from "../src/index";
import { memoryLogger } from "./support/jwt-app";

const alice: AuthContext = {
  user: { identity: "alice", permissions: ["threads:read"], is_authenticated: true, display_name: "alice" },
  permissions: ["threads:read"],
};

function statusOf(promise: Promise<unknown>): Promise<number> {
  return promise.then(
    () => 200,
    (err: unknown) => (err instanceof HTTPException ? err.status : -1),
  );
}

describe("handler results (semantics §2)", () => {
  test.each([
    ["undefined", undefined],
    ["null", null],
    ["true", true],
  ])("%s allows without a filter", async (_, result) => {
    const auth = new Auth().on("threads:read", () => result as undefined);
    await expect(auth.authorize(alice, "threads:read", { thread_id: "t1" })).resolves.toEqual({ filters: {} });
  });

  test("false denies with 403 and a generic message", async () => {
    const auth = new Auth().on("threads:read", () => false);
    const err = await auth.authorize(alice, "threads:read", { thread_id: "t1" }).catch((e: HTTPException) => e);
    expect(err).toBeInstanceOf(HTTPException);
    expect((err as HTTPException).status).toBe(403);
    expect((err as HTTPException).code).toBe("forbidden");
  });

  test("an object allows, scoped by that filter", async () => {
    const auth = new Auth().on("threads:read", ({ user }) => ({ owner: user.identity, tags: { $contains: ["a"] } }));
    await expect(auth.authorize(alice, "threads:read", { thread_id: "t1" })).resolves.toEqual({
      filters: { owner: "alice", tags: { $contains: ["a"] } },
    });
  });

  test("async handlers are awaited with the same meanings", async () => {
    const auth = new Auth()
      .on("threads:read", () => Promise.resolve({ owner: "alice" }))
      .on("threads:delete", () => Promise.resolve(false))
      .on("threads:update", () => Promise.resolve(undefined));
    await expect(auth.authorize(alice, "threads:read", { thread_id: "t" })).resolves.toEqual({
      filters: { owner: "alice" },
    });
    expect(await statusOf(auth.authorize(alice, "threads:delete", { thread_id: "t" }))).toBe(403);
    expect(await statusOf(auth.authorize(alice, "threads:update", { thread_id: "t" }))).toBe(200);
  });

  test.each([
    ["a number", 1],
    ["a string", "yes"],
    ["an array", [{ owner: "alice" }]],
    ["a function", () => true],
  ])("returning %s fails closed with 500 and tells the developer what to return", async (_, result) => {
    const logger = memoryLogger();
    const auth = new Auth({ logger }).on("threads:read", () => result as never);
    expect(await statusOf(auth.authorize(alice, "threads:read", { thread_id: "t" }))).toBe(500);
    expect(logger.messages.join("\n")).toMatch(
      /handler for "threads:read" returned .*Return undefined or true to allow, false to deny/,
    );
  });

  test.each([
    ["an unknown operator", { owner: { $ne: "bob" } }, /Unknown filter operator "\$ne"/],
    ["a top-level operator", { $or: [{ owner: "a" }] }, /Unknown filter operator "\$or"/],
    ["a nested object value", { owner: { name: "alice" } }, /Unknown filter operator "name"/],
  ])("a filter with %s fails closed with 500", async (_, filter, message) => {
    const logger = memoryLogger();
    const auth = new Auth({ logger }).on("threads:read", () => filter as never);
    expect(await statusOf(auth.authorize(alice, "threads:read", { thread_id: "t" }))).toBe(500);
    expect(logger.messages.join("\n")).toMatch(message);
  });

  test("a thrown HTTPException keeps its status, message and headers", async () => {
    const auth = new Auth().on("threads:read", () => {
      throw new HTTPException(429, { message: "Slow down", headers: { "Retry-After": "3" } });
    });
    const err = (await auth.authorize(alice, "threads:read", { thread_id: "t" }).catch((e) => e)) as HTTPException;
    expect([err.status, err.message, err.headers]).toEqual([429, "Slow down", { "Retry-After": "3" }]);
  });

  test("any other thrown error, sync or async, is a 500 whose message is not exposed", async () => {
    const logger = memoryLogger();
    const auth = new Auth({ logger })
      .on("threads:read", () => {
        throw new Error("db password is hunter2");
      })
      .on("threads:update", () => Promise.reject(new TypeError("boom")));
    const err = (await auth.authorize(alice, "threads:read", { thread_id: "t" }).catch((e) => e)) as HTTPException;
    expect(err.status).toBe(500);
    expect(err.message).toBe("Internal server error");
    expect(await statusOf(auth.authorize(alice, "threads:update", { thread_id: "t" }))).toBe(500);
    expect(logger.messages.join("\n")).toMatch(/threw: db password is hunter2/);
  });
});

describe("unhandled events", () => {
  test('default is "deny": no matching handler is a 403, reported once with the fix', async () => {
    const logger = memoryLogger();
    const auth = new Auth({ logger }).on("threads:create", () => true);
    expect(await statusOf(auth.authorize(alice, "threads:read", { thread_id: "t" }))).toBe(403);
    expect(await statusOf(auth.authorize(alice, "threads:read", { thread_id: "t" }))).toBe(403);
    expect(logger.messages).toHaveLength(1);
    expect(logger.messages[0]).toMatch(/No authorization handler matches "threads:read".*unhandled: "allow"/);
  });

  test('"allow" lets unmatched events through unscoped, like LangGraph', async () => {
    const auth = new Auth({ unhandled: "allow" }).on("threads:create", () => false);
    await expect(auth.authorize(alice, "threads:read", { thread_id: "t" })).resolves.toEqual({ filters: {} });
    expect(await statusOf(auth.authorize(alice, "threads:create", {}))).toBe(403);
  });

  test("an invalid unhandled option is rejected at construction", () => {
    expect(() => new Auth({ unhandled: "open" as never })).toThrow(/must be "allow" or "deny"/);
  });
});

describe("handler input", () => {
  test("is { event, resource, action, value, user, permissions } for the concrete event", async () => {
    const seen: unknown[] = [];
    const auth = new Auth().on("*", (input) => void seen.push(input));
    const value = { namespace: ["alice"], key: "k", value: { a: 1 } };
    await auth.authorize(alice, "store:put", value);
    expect(seen).toEqual([
      { event: "store:put", resource: "store", action: "put", value, user: alice.user, permissions: ["threads:read"] },
    ]);
    expect((seen[0] as { value: unknown }).value).toBe(value);
  });

  test("one handler for several keys", async () => {
    const events: string[] = [];
    const auth = new Auth().on(["threads:create", "assistants:create"], ({ event }) => void events.push(event));
    await auth.authorize(alice, "assistants:create", {});
    await auth.authorize(alice, "threads:create", {});
    expect(events).toEqual(["assistants:create", "threads:create"]);
  });

  test("exactly one handler runs: the most specific", async () => {
    const calls: string[] = [];
    const auth = new Auth()
      .on("*", () => void calls.push("*"))
      .on("*:read", () => void calls.push("*:read"))
      .on("threads", () => void calls.push("threads"))
      .on("threads:read", () => void calls.push("threads:read"));
    await auth.authorize(alice, "threads:read", { thread_id: "t" });
    await auth.authorize(alice, "threads:delete", { thread_id: "t" });
    await auth.authorize(alice, "assistants:read", { assistant_id: "a" });
    await auth.authorize(alice, "crons:delete", { cron_id: "c" });
    expect(calls).toEqual(["threads:read", "threads", "*:read", "*"]);
  });

  test("application resources declared at runtime work with the same machinery", async () => {
    const auth = new Auth<{ documents: { read: { id: string }; share: { id: string; with: string } } }>({
      resources: { documents: ["read", "share"] },
    })
      .on("documents:share", ({ value, user }) => value.with !== user.identity)
      .on("documents", ({ user }) => ({ owner: user.identity }));
    await expect(auth.authorize(alice, "documents:read", { id: "d1" })).resolves.toEqual({
      filters: { owner: "alice" },
    });
    expect(await statusOf(auth.authorize(alice, "documents:share", { id: "d1", with: "alice" }))).toBe(403);
  });
});

describe("authorize() input checks", () => {
  test("without an authenticated context it is a 401", async () => {
    const auth = new Auth({ unhandled: "allow" });
    expect(await statusOf(auth.authorize(undefined, "threads:read", { thread_id: "t" }))).toBe(401);
  });

  test("an unknown event rejects with a TypeError naming it", async () => {
    const auth = new Auth({ unhandled: "allow" });
    await expect(auth.authorize(alice, "threads:explode" as never, {} as never)).rejects.toThrow(
      /Unknown action "explode"/,
    );
  });

  test("registration validates eagerly", () => {
    const auth = new Auth();
    expect(() => auth.on("thread:read" as never, () => true)).toThrow(/Unknown resource "thread"/);
    expect(() => auth.on("threads:read", "nope" as never)).toThrow(/handler must be a function/);
    expect(() => auth.on([], () => true)).toThrow(/at least one event key/);
    auth.on("threads:read", () => true);
    expect(() => auth.on(["threads:create", "threads:read"], () => true)).toThrow(/already registered/);
    // A failed multi-key registration registers none of its keys.
    expect(() => auth.on("threads:create", () => true)).not.toThrow();
  });
});
