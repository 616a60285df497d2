/**
 * Shape checks on values that come from callers and user code: what a callback
 * returned (a value or a promise of one) and what kind of object a value is.
 */

/**
 * Whether `value` is a thenable: what a callback that "may return a promise"
 * returned when it did. Read without awaiting, so a synchronous result stays
 * synchronous. Accessing `then` can throw (a hostile getter): callers that must
 * not throw wrap the call.
 */
export function isThenable<T = unknown>(value: unknown): value is PromiseLike<T> {
  return !!value && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Whether `value` is a plain object: created by a literal, `JSON.parse` or
 * `Object.create(null)`, not an array, a class instance, a Map or a Date.
 * Filters must be plain objects: anything else is a mistake to refuse.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Whether `value` is an object whose own keys can be read as a record (not
 * null, not an array), whatever its prototype: request bodies, parsed queries
 * and the values a guard's extractor returns are read this way.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A short description of a value for an error message: its kind, and a primitive's first 40 characters. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
  return typeof value;
}

/** The message of a thrown value for a log line: an `Error`'s message, anything else as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
