import type { NextFunction, Request, RequestHandler, Response } from "express";
import { HTTPException } from "@gatehouse/express";

/** Request input that does not fit: 400 with a message saying what to fix. */
export function badRequest(message: string): HTTPException {
  return new HTTPException(400, { message });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The JSON body as an object; an absent body counts as `{}`. */
export function bodyObject(body: unknown): JsonObject {
  if (body === undefined || body === null) return {};
  if (!isObject(body)) throw badRequest('The request body must be a JSON object, e.g. {"metadata": {}}');
  return body;
}

export function uuid(value: unknown, name: string): string {
  if (typeof value !== "string" || !UUID.test(value))
    throw badRequest(`${name} must be a UUID such as "2b9c7f6e-1c1a-4f55-9d2e-3c4b5a6d7e8f"`);
  return value.toLowerCase();
}

export function optionalUuid(value: unknown, name: string): string | undefined {
  return value === undefined || value === null ? undefined : uuid(value, name);
}

export function optionalObject(value: unknown, name: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw badRequest(`${name} must be a JSON object`);
  return value;
}

export function optionalString(value: unknown, name: string, maxLength = 1000): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw badRequest(`${name} must be a string`);
  if (value.length > maxLength) throw badRequest(`${name} must be at most ${maxLength} characters`);
  return value;
}

export function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw badRequest(`${name} must be true or false`);
}

/** An integer in [min, max]; query-string digits are accepted. */
export function integer(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null || value === "") return fallback;
  const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw badRequest(`${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

export function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw badRequest(`${name} must be one of: ${allowed.join(", ")}`);
  }
  return value as T;
}

/** A store namespace: a non-empty array of non-empty labels without periods. */
export function namespace(value: unknown, name: string, allowEmpty = false): string[] {
  if (!Array.isArray(value) || (!allowEmpty && value.length === 0)) {
    throw badRequest(`${name} must be a non-empty array of strings, e.g. ["alice", "notes"]`);
  }
  if (value.length > 32) throw badRequest(`${name} may have at most 32 labels`);
  for (const label of value) {
    if (typeof label !== "string" || label.length === 0 || label.includes(".") || label.length > 200) {
      throw badRequest(`${name} labels must be non-empty strings without periods, at most 200 characters`);
    }
  }
  return [...(value as string[])];
}

export function optionalNamespace(value: unknown, name: string): string[] | undefined {
  return value === undefined || value === null ? undefined : namespace(value, name, true);
}

export const PAGE = { defaultLimit: 10, maxLimit: 1000, maxOffset: 1_000_000 } as const;

/** `limit` and `offset` of a search body or query string. */
export function page(source: JsonObject, defaultLimit: number = PAGE.defaultLimit): { limit: number; offset: number } {
  return {
    limit: integer(source.limit, "limit", defaultLimit, 1, PAGE.maxLimit),
    offset: integer(source.offset, "offset", 0, 0, PAGE.maxOffset),
  };
}

/** How deeply a JSON request body may nest objects and arrays. */
export const MAX_BODY_DEPTH = 64;

/** Whether `value` nests objects/arrays more than `limit` levels deep; iterative, so any depth is safe to ask about. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > limit) return true;
    for (const inner of Object.values(v))
      if (inner !== null && typeof inner === "object") stack.push([inner, depth + 1]);
  }
  return false;
}

/**
 * Refuses JSON bodies nested deeper than `limit` with a 400. Deep JSON is no
 * use to this API and harms it: JSON.stringify overflows the stack past a few
 * thousand levels, and PGlite stalls returning a JSONB value nested ~2,500 deep.
 *
 * @example
 * app.use(express.json(), limitBodyDepth(MAX_BODY_DEPTH));
 */
export function limitBodyDepth(limit: number): RequestHandler {
  return function rejectDeepBodies(req: Request, _res: Response, next: NextFunction) {
    if (req.body !== null && typeof req.body === "object" && nestsDeeperThan(req.body, limit)) {
      next(badRequest(`The request body nests objects and arrays more than ${limit} levels deep`));
      return;
    }
    next();
  };
}
