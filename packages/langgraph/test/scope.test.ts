/**
 * mergeSearchMetadata: the filter AND-ed into a LangGraph search's `metadata`.
 * Properties: the merged query matches exactly the records that satisfy both
 * the caller's metadata and the filter, and `null` only when none can.
 */
import fc from "fast-check";
import { matchFilters, type Filters } from "@gatehouse/express";
import { mergeSearchMetadata } from "@gatehouse/langgraph";

type Doc = Record<string, unknown>;

/** JSONB containment at the top level, as LangGraph's Postgres-backed servers apply `metadata`. */
function contains(doc: Doc, query: Doc): boolean {
  for (const [key, wanted] of Object.entries(query)) {
    if (!Object.prototype.hasOwnProperty.call(doc, key)) return false;
    const have = doc[key];
    if (Array.isArray(wanted)) {
      if (!Array.isArray(have) || !wanted.every((w) => have.includes(w))) return false;
    } else if (Array.isArray(have) || have !== wanted) return false;
  }
  return true;
}

const scalar = fc.constantFrom<unknown>("x", "y", 1, null, true);
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));
const keys = fc.constantFrom("a", "b", "c");
const doc = fc.dictionary(keys, value, { maxKeys: 3 }) as fc.Arbitrary<Doc>;
const caller = fc.dictionary(keys, value, { maxKeys: 2 }) as fc.Arbitrary<Doc>;
const condition = fc.oneof(
  scalar,
  scalar.map(($eq) => ({ $eq })),
  fc.oneof(scalar, fc.array(scalar, { maxLength: 2 })).map(($contains) => ({ $contains })),
  fc.tuple(scalar, scalar).map(([$eq, c]) => ({ $eq, $contains: c })),
);
const filter = fc.dictionary(keys, condition, { maxKeys: 2 }) as fc.Arbitrary<Filters>;

test("a record matches the merged query exactly when it matches the caller's metadata and the filter", () => {
  fc.assert(
    fc.property(caller, filter, fc.array(doc, { minLength: 1, maxLength: 8 }), (metadata, scope, docs) => {
      const merged = mergeSearchMetadata(metadata, scope);
      for (const d of docs) {
        const wanted = contains(d, metadata) && matchFilters(scope, d);
        expect(merged === null ? false : contains(d, merged)).toBe(wanted);
      }
    }),
    { numRuns: 2000 },
  );
});

test("null (answer empty without asking) only when no record can match both", () => {
  fc.assert(
    fc.property(caller, filter, (metadata, scope) => {
      if (mergeSearchMetadata(metadata, scope) !== null) return;
      // Build the most permissive record for each key and check it still fails.
      const universe: unknown[] = ["x", "y", 1, null, true];
      const candidates: Doc[] = [{}];
      for (const key of ["a", "b", "c"]) {
        const next: Doc[] = [];
        for (const c of candidates) {
          next.push(c);
          for (const v of universe) next.push({ ...c, [key]: v });
          next.push({ ...c, [key]: universe });
        }
        candidates.splice(0, candidates.length, ...next);
      }
      expect(candidates.some((d) => contains(d, metadata) && matchFilters(scope, d))).toBe(false);
    }),
    { numRuns: 500 },
  );
});

test("examples", () => {
  expect(mergeSearchMetadata({ topic: "tax" }, { owner: "alice" })).toEqual({ topic: "tax", owner: "alice" });
  expect(mergeSearchMetadata({ owner: "bob" }, { owner: "alice" })).toBeNull();
  expect(mergeSearchMetadata({ tags: ["a"] }, { tags: { $contains: ["b"] } })).toEqual({ tags: ["a", "b"] });
  expect(mergeSearchMetadata(undefined, {})).toEqual({});
  expect(() => mergeSearchMetadata("x", {})).toThrow('"metadata" must be a JSON object');
  expect(() => mergeSearchMetadata({}, { owner: { $ne: "x" } } as never)).toThrow(/Unknown filter operator/);
});
