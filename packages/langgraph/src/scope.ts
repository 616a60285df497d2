/**
 * A decision's filter as the gateway applies it: matching a record in memory,
 * and AND-ing it into the `metadata` of a LangGraph search.
 */
import { HTTPException, matchFilters, parseFilters, type Filters } from "@gatehouse/express";

/** The filter of an allowed decision; `{}` matches every record. */
export type Scope = Filters;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Whether a record's metadata is inside the scope. `{}` matches everything. */
export function inScope(scope: Scope, metadata: unknown): boolean {
  return matchFilters(scope, isPlainObject(metadata) ? metadata : {});
}

/** The metadata of a LangGraph record (thread, assistant, cron, version) in an upstream answer. */
export function metadataOf(record: unknown): unknown {
  return isPlainObject(record) ? record.metadata : undefined;
}

/**
 * AND-merges a filter into a search's `metadata` (LangGraph matches it by JSON
 * containment): `$eq` becomes `key: value`, `$contains` becomes `key: [values]`.
 * Returns `null` when no record can match both (the caller asked `owner: "bob"`,
 * the filter says `owner: "alice"`), so the gateway answers empty without asking.
 *
 * @example
 * mergeSearchMetadata({ topic: "tax" }, { owner: "alice" }); // { topic: "tax", owner: "alice" }
 * mergeSearchMetadata({ owner: "bob" }, { owner: "alice" }); // null
 */
export function mergeSearchMetadata(callerMetadata: unknown, scope: Scope): Record<string, unknown> | null {
  if (callerMetadata !== undefined && callerMetadata !== null && !isPlainObject(callerMetadata)) {
    throw new HTTPException(400, { message: '"metadata" must be a JSON object' });
  }
  const merged: Record<string, unknown> = { ...(callerMetadata ?? {}) };
  const eq = new Map<string, unknown>();
  for (const clause of parseFilters(scope)) {
    const has = Object.prototype.hasOwnProperty.call(merged, clause.key);
    const current = merged[clause.key];
    if (clause.op === "$eq") {
      if (eq.has(clause.key) && eq.get(clause.key) !== clause.value) return null;
      if (has && current !== clause.value) return null; // a scalar equals one value; containment of anything else fails
      eq.set(clause.key, clause.value);
      Object.defineProperty(merged, clause.key, {
        value: clause.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      if (eq.has(clause.key)) return null; // equal to a scalar and an array at once
      if (has && !Array.isArray(current)) return null;
      const list = has ? [...(current as unknown[])] : [];
      for (const v of clause.value) if (!list.includes(v)) list.push(v);
      Object.defineProperty(merged, clause.key, { value: list, enumerable: true, writable: true, configurable: true });
    }
  }
  return merged;
}
