import { FilterError, matchFilters, parseFilters, validateFilters, type Filters } from "../src/filters";

/** Runs `fn`, expects a FilterError, and returns its message for further checks. */
function filterErrorOf(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(FilterError);
  return (caught as FilterError).message;
}

const rejects = (filters: unknown) => filterErrorOf(() => validateFilters(filters));

/** Filters that are not well formed have no static type; this keeps the tests honest about that. */
const loose = (value: unknown) => value as Filters;

describe("FilterError", () => {
  it("is a named TypeError", () => {
    const error = new FilterError("x");
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("FilterError");
    expect(error.message).toBe("x");
  });
});

describe("parseFilters / validateFilters: accepted filters", () => {
  it("normalises implicit and explicit $eq and both $contains forms into clauses", () => {
    expect(
      parseFilters({ owner: "alice", n: { $eq: 3 }, tags: { $contains: "x" }, labels: { $contains: ["a", "b"] } }),
    ).toEqual([
      { key: "owner", op: "$eq", value: "alice" },
      { key: "n", op: "$eq", value: 3 },
      { key: "tags", op: "$contains", value: ["x"] },
      { key: "labels", op: "$contains", value: ["a", "b"] },
    ]);
  });

  it("accepts every JSON scalar, including null, false, 0, -0, the empty string and floats", () => {
    const filters = { a: null, b: false, c: 0, d: -0, e: "", f: 1.5, g: Number.MAX_VALUE, h: -Number.MIN_VALUE };
    expect(parseFilters(filters).map((c) => c.value)).toEqual([
      null,
      false,
      0,
      -0,
      "",
      1.5,
      Number.MAX_VALUE,
      -Number.MIN_VALUE,
    ]);
  });

  it("gives $eq and $contains on the same field one clause each", () => {
    expect(parseFilters({ tags: { $eq: null, $contains: [] } })).toEqual([
      { key: "tags", op: "$eq", value: null },
      { key: "tags", op: "$contains", value: [] },
    ]);
  });

  it("accepts the empty filter and null-prototype objects", () => {
    expect(parseFilters({})).toEqual([]);
    const filters = Object.create(null) as Record<string, unknown>;
    filters.owner = Object.assign(Object.create(null), { $eq: "alice" });
    expect(parseFilters(filters)).toEqual([{ key: "owner", op: "$eq", value: "alice" }]);
  });

  it("accepts field names that look like prototype members when they are own keys", () => {
    const filters = JSON.parse('{"__proto__": 1, "constructor": "c", "toString": {"$contains": ["t"]}}');
    expect(parseFilters(filters)).toEqual([
      { key: "__proto__", op: "$eq", value: 1 },
      { key: "constructor", op: "$eq", value: "c" },
      { key: "toString", op: "$contains", value: ["t"] },
    ]);
  });

  it("validateFilters returns the very object it was given", () => {
    const filters = { owner: "alice" };
    expect(validateFilters(filters)).toBe(filters);
  });
});

describe("parseFilters / validateFilters: every error says what to fix", () => {
  it.each(["$ne", "$in", "$nin", "$gt", "$regex", "$exists", "$EQ", "eq", "contains"])(
    "rejects the unknown operator %s inside a field",
    (op) => {
      const message = rejects({ owner: { [op]: "bob" } });
      expect(message).toContain(`"${op}"`);
      expect(message).toContain('"owner"');
      expect(message).toMatch(/only \$eq and \$contains are supported/);
    },
  );

  it("rejects an unknown operator even next to a valid one, so a typo never widens access", () => {
    const message = rejects({ owner: { $eq: "alice", $ne: "bob" } });
    expect(message).toContain('Unknown filter operator "$ne" on "owner"');
  });

  it.each(["$or", "$and", "$not", "$eq", "$contains", "$"])("rejects %s at the top level", (op) => {
    const message = rejects({ [op]: [{ owner: "alice" }], owner: "alice" });
    expect(message).toContain(`"${op}"`);
    expect(message).toMatch(/top level/);
    expect(message).toMatch(/\$eq and \$contains/);
  });

  it("rejects a nested object as a value and explains that it is not an equality value", () => {
    const message = rejects({ owner: { name: "alice" } });
    expect(message).toContain('Unknown filter operator "name" on "owner"');
    expect(message).toContain("a plain object is not an equality value");
    expect(rejects({ a: { b: { c: 1 } } })).toContain('"b" on "a"');
  });

  it.each([
    ["an array as the value", { tags: ["x"] }, '"tags"', "got an array"],
    ["an array as $eq", { tags: { $eq: ["x"] } }, '"tags".$eq', "got an array"],
    ["an object as $eq", { owner: { $eq: { $eq: "x" } } }, '"owner".$eq', "got object"],
    ["a nested array in $contains", { tags: { $contains: ["ok", ["x"]] } }, '"tags".$contains[1]', "got an array"],
    ["an object in $contains", { tags: { $contains: [{ a: 1 }] } }, '"tags".$contains[0]', "got object"],
    ["an object as $contains", { tags: { $contains: { a: 1 } } }, '"tags".$contains[0]', "got object"],
    ["undefined", { owner: undefined }, '"owner"', "got undefined"],
    ["undefined as $eq", { owner: { $eq: undefined } }, '"owner".$eq', "got undefined"],
    ["undefined in $contains", { tags: { $contains: ["a", undefined] } }, '"tags".$contains[1]', "got undefined"],
    ["a bigint", { n: 1n }, '"n"', "got bigint"],
    ["a symbol", { s: Symbol("s") }, '"s"', "got symbol"],
    ["a function", { f: () => 1 }, '"f"', "got function"],
    ["a Date", { d: new Date(0) }, '"d"', "got object"],
    ["a boxed string", { s: new String("x") }, '"s"', "got object"],
    ["a RegExp", { s: /alice/ }, '"s"', "got object"],
  ])("rejects %s", (_what, filters, where, got) => {
    const message = rejects(filters);
    expect(message).toContain(`The value at ${where} must be a string, number, boolean or null`);
    expect(message).toContain(got);
  });

  it.each([
    ["NaN", { n: NaN }, '"n"', "NaN"],
    ["Infinity", { n: { $eq: Infinity } }, '"n".$eq', "Infinity"],
    ["-Infinity in $contains", { n: { $contains: [1, -Infinity] } }, '"n".$contains[1]', "-Infinity"],
    ["NaN as $contains", { n: { $contains: NaN } }, '"n".$contains[0]', "NaN"],
  ])("rejects %s", (_what, filters, where, shown) => {
    const message = rejects(filters);
    expect(message).toContain(`The value at ${where} must be a finite number, got ${shown}`);
  });

  it.each([
    ["a value", { owner: "al\u0000ice" }, 'The value at "owner"'],
    ["$eq", { owner: { $eq: "\u0000" } }, 'The value at "owner".$eq'],
    ["a $contains element", { tags: { $contains: ["a", "b\u0000"] } }, 'The value at "tags".$contains[1]'],
    ["a field name", { "own\u0000er": "alice" }, "The field name"],
  ])("rejects a NUL character in %s, naming where it is and why", (_what, filters, where) => {
    const message = rejects(filters);
    expect(message).toContain(where);
    expect(message).toContain("NUL character");
    expect(message).toContain("PostgreSQL JSONB cannot store");
  });

  it("shows at most 40 characters of a long field name with a NUL in it", () => {
    const key = "k".repeat(100) + "\u0000";
    const message = rejects({ [key]: 1 });
    expect(message).toContain(JSON.stringify("k".repeat(40)));
    expect(message).not.toContain("k".repeat(41));
  });

  it.each([
    ["a lone high surrogate in a value", { owner: "a\ud800" }, 'The value at "owner"'],
    ["a lone low surrogate in $contains", { tags: { $contains: ["\udc00b"] } }, 'The value at "tags".$contains[0]'],
    ["a reversed surrogate pair in $eq", { owner: { $eq: "\udc00\ud800" } }, 'The value at "owner".$eq'],
    ["a lone surrogate in a field name", { "k\ud83d": 1 }, "The field name"],
  ])("rejects %s, which PostgreSQL JSONB cannot store either", (_what, filters, where) => {
    const message = rejects(filters);
    expect(message).toContain(where);
    expect(message).toMatch(/unpaired UTF-16 surrogate/);
  });

  it("accepts properly paired surrogates (emoji)", () => {
    expect(parseFilters({ "😀": "👍🏽" })).toEqual([{ key: "😀", op: "$eq", value: "👍🏽" }]);
  });

  it("rejects holes in a $contains array instead of treating them as null", () => {
    // eslint-disable-next-line no-sparse-arrays
    const message = rejects({ tags: { $contains: [, "x"] } });
    expect(message).toContain(
      'The value at "tags".$contains[0] must be a string, number, boolean or null, got undefined',
    );
  });

  it("rejects an empty condition object and says which operators to use", () => {
    const message = rejects({ owner: {} });
    expect(message).toBe('The condition on "owner" is an empty object: use { $eq: value } or { $contains: value }');
  });

  it("rejects an empty field name", () => {
    expect(rejects({ "": "x" })).toBe("A filter field name must not be empty");
  });

  it.each([
    ["an array", [{ owner: "alice" }], "got an array"],
    ["an empty array", [], "got an array"],
    ["null", null, "got null"],
    ["undefined", undefined, "got undefined"],
    ["a string", "owner = 'alice'", "got string"],
    ["a number", 1, "got number"],
    ["a boolean", true, "got boolean"],
    ["a Map", new Map([["owner", "alice"]]), "got object"],
    [
      "a class instance",
      new (class Filter {
        owner = "alice";
      })(),
      "got object",
    ],
    ["an object whose prototype carries the conditions", Object.create({ owner: "alice" }), "got object"],
  ])("rejects %s as a whole filter", (_what, filters, got) => {
    const message = rejects(filters);
    expect(message).toContain("A filter must be a plain object of metadata field → condition");
    expect(message).toContain(got);
  });

  it("rejects the whole filter when any key is bad, not just that key", () => {
    expect(() => parseFilters({ owner: "alice", tags: { $in: ["x"] } })).toThrow(FilterError);
    expect(() => parseFilters({ tags: { $in: ["x"] }, owner: "alice" })).toThrow(FilterError);
  });
});

describe("matchFilters", () => {
  it("treats implicit and explicit $eq alike", () => {
    const doc = { owner: "alice", topic: "tax" };
    expect(matchFilters({ owner: "alice" }, doc)).toBe(true);
    expect(matchFilters({ owner: { $eq: "alice" } }, doc)).toBe(true);
    expect(matchFilters({ owner: "bob" }, doc)).toBe(false);
    expect(matchFilters({ owner: { $eq: "bob" } }, doc)).toBe(false);
  });

  it("ANDs the keys together", () => {
    const doc = { owner: "alice", topic: "tax", tags: ["a", "b"] };
    expect(matchFilters({ owner: "alice", topic: "tax" }, doc)).toBe(true);
    expect(matchFilters({ owner: "alice", topic: "law" }, doc)).toBe(false);
    expect(matchFilters({ owner: "bob", topic: "tax" }, doc)).toBe(false);
    expect(matchFilters({ owner: "alice", tags: { $contains: "a" } }, doc)).toBe(true);
    expect(matchFilters({ owner: "alice", tags: { $contains: "z" } }, doc)).toBe(false);
    expect(matchFilters({ tags: { $eq: null, $contains: [] } }, { tags: [] })).toBe(false);
  });

  it("distinguishes a missing key from a null value", () => {
    expect(matchFilters({ owner: null }, { owner: null })).toBe(true);
    expect(matchFilters({ owner: { $eq: null } }, { owner: null })).toBe(true);
    expect(matchFilters({ owner: null }, {})).toBe(false);
    expect(matchFilters({ owner: null }, { owner: undefined })).toBe(false);
    expect(matchFilters({ owner: null }, { owner: "null" })).toBe(false);
    expect(matchFilters({ owner: null }, { owner: [null] })).toBe(false);
  });

  it("never equates values of different JSON types", () => {
    expect(matchFilters({ n: 1 }, { n: "1" })).toBe(false);
    expect(matchFilters({ n: "1" }, { n: 1 })).toBe(false);
    expect(matchFilters({ n: 0 }, { n: false })).toBe(false);
    expect(matchFilters({ n: false }, { n: 0 })).toBe(false);
    expect(matchFilters({ b: true }, { b: "true" })).toBe(false);
    expect(matchFilters({ s: "" }, { s: null })).toBe(false);
    expect(matchFilters({ n: { $contains: 1 } }, { n: ["1"] })).toBe(false);
    expect(matchFilters({ n: { $contains: "1" } }, { n: [1] })).toBe(false);
  });

  it("compares numbers by value, as JSON does", () => {
    expect(matchFilters({ n: 1 }, { n: 1.0 })).toBe(true);
    expect(matchFilters({ n: 0 }, { n: -0 })).toBe(true);
    expect(matchFilters({ n: -0 }, { n: 0 })).toBe(true);
    expect(matchFilters({ n: { $contains: -0 } }, { n: [0] })).toBe(true);
    expect(matchFilters({ n: 0.1 + 0.2 }, { n: 0.3 })).toBe(false);
    expect(matchFilters({ n: 2 ** 53 }, { n: 2 ** 53 })).toBe(true);
  });

  it("compares strings exactly: no trimming, case folding or Unicode normalisation", () => {
    expect(matchFilters({ s: "Alice" }, { s: "alice" })).toBe(false);
    expect(matchFilters({ s: "alice" }, { s: "alice " })).toBe(false);
    expect(matchFilters({ s: "\u00e9" }, { s: "e\u0301" })).toBe(false);
    expect(matchFilters({ s: 'it\'s "x" \\ 😀' }, { s: 'it\'s "x" \\ 😀' })).toBe(true);
  });

  it("$eq does not look inside arrays or objects", () => {
    expect(matchFilters({ tags: "x" }, { tags: ["x"] })).toBe(false);
    expect(matchFilters({ owner: "alice" }, { owner: { name: "alice" } })).toBe(false);
  });

  it("$contains with a scalar needs an array field holding it", () => {
    expect(matchFilters({ tags: { $contains: "x" } }, { tags: ["x", "y"] })).toBe(true);
    expect(matchFilters({ tags: { $contains: "x" } }, { tags: ["y"] })).toBe(false);
    expect(matchFilters({ tags: { $contains: "x" } }, { tags: "x" })).toBe(false);
    expect(matchFilters({ tags: { $contains: "b" } }, { tags: "abc" })).toBe(false);
    expect(matchFilters({ tags: { $contains: "x" } }, { tags: [["x"]] })).toBe(false);
    expect(matchFilters({ tags: { $contains: "x" } }, { tags: { x: "x" } })).toBe(false);
    expect(matchFilters({ tags: { $contains: null } }, { tags: [null] })).toBe(true);
    expect(matchFilters({ tags: { $contains: null } }, { tags: [] })).toBe(false);
    expect(matchFilters({ tags: { $contains: "x" } }, {})).toBe(false);
  });

  it("$contains with an array needs all of them, in any order, duplicates allowed", () => {
    const doc = { tags: ["a", "b", "c", 1, true] };
    expect(matchFilters({ tags: { $contains: ["c", "a"] } }, doc)).toBe(true);
    expect(matchFilters({ tags: { $contains: ["a", "a"] } }, doc)).toBe(true);
    expect(matchFilters({ tags: { $contains: ["a", 1, true] } }, doc)).toBe(true);
    expect(matchFilters({ tags: { $contains: ["a", "z"] } }, doc)).toBe(false);
    expect(matchFilters({ tags: { $contains: ["a", "1"] } }, doc)).toBe(false);
  });

  it("an empty $contains array matches any array field and nothing else", () => {
    const filters = { tags: { $contains: [] } };
    expect(matchFilters(filters, { tags: [] })).toBe(true);
    expect(matchFilters(filters, { tags: ["x"] })).toBe(true);
    expect(matchFilters(filters, { tags: "x" })).toBe(false);
    expect(matchFilters(filters, { tags: {} })).toBe(false);
    expect(matchFilters(filters, { tags: null })).toBe(false);
    expect(matchFilters(filters, {})).toBe(false);
  });

  it("matches own properties only: prototype members are not metadata", () => {
    expect(matchFilters(JSON.parse('{"constructor": {"$contains": []}}'), {})).toBe(false);
    expect(matchFilters({ toString: { $contains: [] } }, {})).toBe(false);
    expect(matchFilters({ hasOwnProperty: null }, {})).toBe(false);
    expect(matchFilters(JSON.parse('{"__proto__": {"$contains": []}}'), {})).toBe(false);
    expect(matchFilters(JSON.parse('{"__proto__": null}'), Object.create(null))).toBe(false);
    // ...while the same names as own keys do match.
    expect(matchFilters({ toString: "t", constructor: "c" }, { toString: "t", constructor: "c" })).toBe(true);
    expect(matchFilters(JSON.parse('{"__proto__": "p"}'), JSON.parse('{"__proto__": "p"}'))).toBe(true);
    // A computed key creates an own "__proto__" property, as JSON.parse does.
    expect(matchFilters(JSON.parse('{"__proto__": "p"}'), { ["__proto__"]: "p" })).toBe(true);
  });

  it("does not see a property that only Object.prototype has (prototype pollution)", () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.gatehousePolluted = "alice";
    try {
      expect(({} as Record<string, unknown>).gatehousePolluted).toBe("alice");
      expect(matchFilters({ gatehousePolluted: "alice" }, {})).toBe(false);
      expect(matchFilters({ gatehousePolluted: "alice" }, { owner: "bob" })).toBe(false);
      expect(matchFilters({ gatehousePolluted: "alice" }, { gatehousePolluted: "alice" })).toBe(true);
    } finally {
      delete proto.gatehousePolluted;
    }
  });

  it("does not inherit from a metadata object's own prototype chain", () => {
    const inherited = Object.create({ owner: "alice" });
    expect(inherited.owner).toBe("alice");
    expect(matchFilters({ owner: "alice" }, inherited)).toBe(false);
  });

  it("accepts metadata with a null prototype", () => {
    const doc = Object.assign(Object.create(null), { owner: "alice" });
    expect(matchFilters({ owner: "alice" }, doc)).toBe(true);
  });

  it.each([
    ["null", null],
    ["undefined", undefined],
    ["a string", "alice"],
    ["a number", 1],
    ["a boolean", true],
    ["an array", Object.assign(["alice"], { owner: "alice" })],
    ["a Map", new Map([["owner", "alice"]])],
  ])("non-object metadata (%s) matches only the empty filter", (_what, metadata) => {
    expect(matchFilters({ owner: "alice" }, metadata)).toBe(false);
    expect(matchFilters({ tags: { $contains: [] } }, metadata)).toBe(false);
    expect(matchFilters({}, metadata)).toBe(true);
  });

  it("throws on a malformed filter whatever the metadata, rather than answering", () => {
    for (const metadata of [{ owner: "alice" }, {}, null]) {
      expect(() => matchFilters(loose({ owner: { $ne: "bob" } }), metadata)).toThrow(FilterError);
      expect(() => matchFilters(loose({ $or: [{ owner: "alice" }] }), metadata)).toThrow(FilterError);
      expect(() => matchFilters(loose([]), metadata)).toThrow(FilterError);
      expect(() => matchFilters(loose({ owner: {} }), metadata)).toThrow(FilterError);
    }
  });
});
