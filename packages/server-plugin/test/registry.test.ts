import { buildResourceIndex } from "../src/events";
import { Registry } from "../src/registry";

const index = buildResourceIndex({ documents: ["read", "write", "share"] });

function registry(keys: string[]): Registry<string> {
  const r = new Registry<string>(index);
  for (const k of keys) r.add(k, k);
  return r;
}

describe("most-specific resolution", () => {
  const levels = ["threads:create", "threads", "*:create", "*"];

  // Every subset of the four levels: the handler that runs is the most specific present.
  for (let mask = 1; mask < 16; mask++) {
    const present = levels.filter((_, i) => mask & (1 << i));
    test(`with ${present.join(", ")} registered, threads:create runs ${present[0]}`, () => {
      expect(registry(present).resolve("threads:create").handler).toBe(present[0]);
    });
  }

  test("nothing registered resolves to no handler", () => {
    expect(registry([]).resolve("threads:create").handler).toBeUndefined();
  });

  test("levels only apply to their own resource and action", () => {
    const r = registry(["threads:create", "assistants", "*:delete"]);
    expect(r.resolve("threads:read").handler).toBeUndefined();
    expect(r.resolve("assistants:read").handler).toBe("assistants");
    expect(r.resolve("crons:delete").handler).toBe("*:delete");
    expect(r.resolve("threads:delete").handler).toBe("*:delete");
    expect(r.resolve("threads:create").handler).toBe("threads:create");
  });

  test("an application's own resources resolve the same way", () => {
    const r = registry(["documents:share", "documents", "*"]);
    expect(r.resolve("documents:share").handler).toBe("documents:share");
    expect(r.resolve("documents:read").handler).toBe("documents");
    expect(r.resolve("store:put").handler).toBe("*");
  });

  test("registering after a resolution invalidates the cached answer", () => {
    const r = registry(["*"]);
    expect(r.resolve("threads:read").handler).toBe("*");
    r.add("threads:read", "threads:read");
    expect(r.resolve("threads:read").handler).toBe("threads:read");
  });

  test("the resolved entry splits the event once", () => {
    expect(registry(["*"]).resolve("store:list_namespaces")).toEqual({
      event: "store:list_namespaces",
      resource: "store",
      action: "list_namespaces",
      handler: "*",
      key: "*",
    });
  });

  test("with a thousand handlers the right one still wins", () => {
    const many = buildResourceIndex(
      Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`r${i}`, ["a", "b", "c"]])),
    );
    const r = new Registry<string>(many);
    for (let i = 0; i < 250; i++) for (const k of [`r${i}:a`, `r${i}:b`, `r${i}:c`, `r${i}`]) r.add(k, k);
    expect(r.size).toBe(1000);
    expect(r.resolve("r137:b").handler).toBe("r137:b");
    expect(r.resolve("threads:read").handler).toBeUndefined();
  });
});

describe("registration errors", () => {
  test("the same key twice throws, naming the key", () => {
    const r = registry(["threads:create"]);
    expect(() => r.add("threads:create", "again")).toThrow(/"threads:create" is already registered/);
    expect(() => registry(["*", "*"])).toThrow(/"\*" is already registered/);
  });

  test.each([
    ["thread:create", /Unknown resource "thread"/],
    ["threads:craete", /Unknown action "craete" for resource "threads". Its actions: create, read/],
    ["*:craete", /Unknown action "craete"/],
    ["widgets", /Unknown resource "widgets"/],
    ["store:create", /Unknown action "create" for resource "store"/],
  ])("unknown key %s throws", (key, message) => {
    expect(() => registry([key])).toThrow(message);
  });

  test("a wildcard or bare resource is not a concrete event", () => {
    const r = registry([]);
    expect(() => r.resolve("threads")).toThrow(/concrete event/);
    expect(() => r.resolve("*")).toThrow(/concrete event/);
    expect(() => r.resolve("*:read")).toThrow(/concrete event/);
  });
});

describe("declaring resources", () => {
  test.each([
    [{ threads: ["x"] }, /already declared/],
    [{ "bad name": ["read"] }, /is invalid/],
    [{ docs: [] }, /non-empty array/],
    [{ docs: ["ok", "no way"] }, /Action "no way"/],
  ])("%j is rejected", (decl, message) => {
    expect(() => buildResourceIndex(decl as Record<string, string[]>)).toThrow(message);
  });
});
