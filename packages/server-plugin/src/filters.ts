/**
 * Metadata filters: what an authorization handler returns to scope an action
 * to some records. Keys are top-level metadata fields, AND-ed together:
 *
 * - `{ owner: "alice" }` or `{ owner: { $eq: "alice" } }`: the field equals the value;
 * - `{ tags: { $contains: "x" } }`: the field is an array holding "x";
 * - `{ tags: { $contains: ["x", "y"] } }`: the array holds all of them.
 *
 * Values are JSON scalars (string, finite number, boolean, null). Anything else,
 * and any unknown operator, is rejected: a typo must never widen access.
 */
import { isPlainObject } from "./values";

/** A JSON scalar that filters compare against. */
export type FilterScalar = string | number | boolean | null;

/** The condition on one metadata field. */
export type FilterCondition =
  | FilterScalar
  | { $eq: FilterScalar; $contains?: FilterScalar | FilterScalar[] }
  | { $contains: FilterScalar | FilterScalar[]; $eq?: FilterScalar };

/** A filter: metadata field → condition, all of which must hold. */
export type Filters = Record<string, FilterCondition>;

/** One normalised condition: the field must equal a scalar or contain all of some scalars. */
export type Clause =
  { key: string; op: "$eq"; value: FilterScalar } | { key: string; op: "$contains"; value: FilterScalar[] };

/** Thrown for a filter that is not well formed. The message says what to fix. */
export class FilterError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "FilterError";
  }
}

const OPERATORS = new Set(["$eq", "$contains"]);

/**
 * Whether PostgreSQL JSONB can store the string: no NUL, and no UTF-16
 * surrogate without its partner (JSON.stringify escapes one as `\udXXX`,
 * which PostgreSQL rejects).
 */
function storable(s: string): boolean {
  return !s.includes("\u0000") && (s as string & { isWellFormed(): boolean }).isWellFormed();
}

function checkString(s: string, what: string): void {
  if (s.includes("\u0000"))
    throw new FilterError(`${what} contains a NUL character, which PostgreSQL JSONB cannot store`);
  if (!storable(s))
    throw new FilterError(
      `${what} contains an unpaired UTF-16 surrogate (not valid Unicode), which PostgreSQL JSONB cannot store`,
    );
}

function isScalar(value: unknown): value is FilterScalar {
  return (
    value === null ||
    typeof value === "boolean" ||
    (typeof value === "string" && storable(value)) ||
    (typeof value === "number" && Number.isFinite(value))
  );
}

/**
 * The common filter, `{ field: scalar, … }` with nothing to report, checked
 * without allocating (it runs on every authorized request); anything else
 * goes through {@link parseFilters}.
 */
function isPlainEquality(filters: Record<string, unknown>): boolean {
  for (const key in filters) {
    if (!Object.hasOwn(filters, key)) continue;
    if (key.length === 0 || key.charCodeAt(0) === 36 /* $ */ || !storable(key) || !isScalar(filters[key])) return false;
  }
  return true;
}

function scalar(value: unknown, where: string): FilterScalar {
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "string") {
    checkString(value, `The value at ${where}`);
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new FilterError(`The value at ${where} must be a finite number, got ${value}`);
    return value;
  }
  const kind = Array.isArray(value) ? "an array" : typeof value;
  throw new FilterError(`The value at ${where} must be a string, number, boolean or null, got ${kind}`);
}

/**
 * Validates a filter and returns its clauses. Throws {@link FilterError} for an
 * unknown operator, a non-scalar value (a hole in a `$contains` array included),
 * a `$`-prefixed field name, a string PostgreSQL cannot store (NUL, unpaired
 * surrogate), or a non-object filter.
 *
 * @example
 * parseFilters({ owner: "alice", tags: { $contains: ["a", "b"] } });
 * // [{ key: "owner", op: "$eq", value: "alice" }, { key: "tags", op: "$contains", value: ["a", "b"] }]
 */
export function parseFilters(filters: unknown): Clause[] {
  if (!isPlainObject(filters)) {
    throw new FilterError(
      `A filter must be a plain object of metadata field → condition, got ${Array.isArray(filters) ? "an array" : filters === null ? "null" : typeof filters}`,
    );
  }
  const clauses: Clause[] = [];
  for (const key of Object.keys(filters)) {
    if (key.length === 0) throw new FilterError("A filter field name must not be empty");
    if (key.startsWith("$"))
      throw new FilterError(
        `Unknown filter operator "${key}" at the top level: only $eq and $contains exist, inside a field`,
      );
    checkString(key, `The field name ${JSON.stringify(key.slice(0, 40))}`);
    const condition = filters[key];
    if (!isPlainObject(condition)) {
      clauses.push({ key, op: "$eq", value: scalar(condition, `"${key}"`) });
      continue;
    }
    const ops = Object.keys(condition);
    if (ops.length === 0)
      throw new FilterError(`The condition on "${key}" is an empty object: use { $eq: value } or { $contains: value }`);
    for (const op of ops) {
      if (!OPERATORS.has(op)) {
        throw new FilterError(
          `Unknown filter operator "${op}" on "${key}": only $eq and $contains are supported (a plain object is not an equality value)`,
        );
      }
    }
    if (Object.hasOwn(condition, "$eq")) clauses.push({ key, op: "$eq", value: scalar(condition.$eq, `"${key}".$eq`) });
    if (Object.hasOwn(condition, "$contains")) {
      const wanted = condition.$contains;
      const list = Array.isArray(wanted) ? wanted : [wanted];
      // Array.from, not map: map skips holes, which JSON.stringify would then send to SQL as null.
      clauses.push({ key, op: "$contains", value: Array.from(list, (v, i) => scalar(v, `"${key}".$contains[${i}]`)) });
    }
  }
  return clauses;
}

/**
 * Throws {@link FilterError} unless `filters` is a well-formed filter; returns it typed.
 *
 * @example
 * validateFilters({ owner: { $eq: "alice" } }); // ok
 * validateFilters({ owner: { $ne: "alice" } }); // throws: Unknown filter operator "$ne"
 */
export function validateFilters(filters: unknown): Filters {
  if (!isPlainObject(filters) || !isPlainEquality(filters)) parseFilters(filters);
  return filters as Filters;
}

/**
 * Throws unless a guard decided this request: `undefined` (or `null`) is what
 * `req.auth.filters` holds on a route no `auth.guard()` ran on, and treating it
 * as "no restriction" would hand every record to every caller.
 */
export function assertDecided(filters: unknown, helper: string): void {
  if (filters === undefined || filters === null) {
    throw new TypeError(
      `${helper} got ${String(filters)} filters: no authorization decision was made for this request. ` +
        `Put auth.guard("<resource>:<action>") on the route (or use the filters of auth.authorize()) and pass req.auth.filters; ` +
        `an allowed decision without a filter gives {} (every record), never undefined.`,
    );
  }
}

function clauseHolds(metadata: Record<string, unknown>, clause: Clause): boolean {
  if (!Object.hasOwn(metadata, clause.key)) return false;
  const field = metadata[clause.key];
  if (clause.op === "$eq") return field === clause.value;
  if (!Array.isArray(field)) return false;
  for (const wanted of clause.value) {
    if (!field.includes(wanted)) return false;
  }
  return true;
}

/**
 * Whether a record's metadata satisfies a filter, in memory. Agrees with
 * {@link filtersToSql} on PostgreSQL for every input (a property test proves it).
 * A missing, null or non-object `metadata` matches only the empty filter `{}`
 * (an allowed, unscoped decision). Throws a `TypeError` for `undefined`/`null`
 * filters: no guard decided the request (fail closed, not "match everything").
 *
 * @example
 * matchFilters({ owner: "alice" }, { owner: "alice", topic: "tax" });    // true
 * matchFilters({ tags: { $contains: "x" } }, { tags: ["x", "y"] });      // true
 * matchFilters({ owner: "alice" }, { owner: "bob" });                    // false
 */
export function matchFilters(filters: Filters | null | undefined, metadata: unknown): boolean {
  if (filters == null) assertDecided(filters, "matchFilters()");
  if (isPlainObject(filters) && isPlainEquality(filters)) {
    let empty = true;
    for (const key in filters) {
      if (!Object.hasOwn(filters, key)) continue;
      if (empty && !isPlainObject(metadata)) return false;
      empty = false;
      if (!Object.hasOwn(metadata as object, key) || (metadata as Record<string, unknown>)[key] !== filters[key])
        return false;
    }
    return true;
  }
  const clauses = parseFilters(filters);
  if (clauses.length === 0) return true;
  if (!isPlainObject(metadata)) return false;
  for (const clause of clauses) {
    if (!clauseHolds(metadata, clause)) return false;
  }
  return true;
}
