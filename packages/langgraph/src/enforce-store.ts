/**
 * The store: the handler's value (namespace, key, item value) is what goes
 * upstream; a filter is matched against the item's value plus its `namespace`
 * and `key`, as LangGraph's server does. Reading a foreign item is 404,
 * writing or deleting one is 403 (whether or not it exists).
 */
import { HTTPException } from "@gatehouse/express";
import { type Call, notFound } from "./call";
import { inScope, type Scope } from "./scope";
import { badGateway } from "./upstream";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function forbidden(): HTTPException {
  return new HTTPException(403, { message: "Forbidden: you may not write to this store namespace" });
}

/** A namespace as LangGraph accepts it: labels without dots. `what` names it in the 400. */
function namespaceOf(value: unknown, what: string, allowEmpty = false): string[] {
  if (value === undefined || value === null) {
    if (allowEmpty) return [];
    throw new HTTPException(400, { message: `${what} is required` });
  }
  if (
    !Array.isArray(value) ||
    !value.every((label): label is string => typeof label === "string" && label !== "" && !label.includes("."))
  ) {
    throw new HTTPException(400, {
      message: `${what} must be an array of labels without dots, e.g. ["alice", "notes"]`,
    });
  }
  if (!allowEmpty && value.length === 0) throw new HTTPException(400, { message: `${what} is required` });
  return [...value];
}

function keyOf(value: unknown): string {
  if (typeof value !== "string" || value === "")
    throw new HTTPException(400, { message: "key must be a non-empty string" });
  return value;
}

function itemMatches(scope: Scope, namespace: unknown, key: unknown, value: unknown): boolean {
  return inScope(scope, {
    ...(isPlainObject(value) ? value : {}),
    namespace: namespace ?? [],
    ...(key === undefined ? {} : { key }),
  });
}

const unscoped = (scope: Scope): boolean => Object.keys(scope).length === 0;

/** The stored item, or null (LangGraph answers `null`; other servers 404). */
async function getItem(call: Call, namespace: string[], key: string): Promise<Record<string, unknown> | null> {
  const query = new URLSearchParams({ namespace: namespace.join("."), key });
  try {
    const { data } = await call.fetchJson("GET", `/store/items?${query.toString()}`);
    if (data === null || data === undefined) return null;
    if (!isPlainObject(data)) throw badGateway();
    return data;
  } catch (err) {
    if ((err as { status?: number }).status === 404 && (err as Error).name === "UpstreamAnswer") return null;
    throw err;
  }
}

/** PUT /store/items. */
export async function storePut(call: Call): Promise<void> {
  const body = call.body();
  const value: Record<string, unknown> = {
    namespace: namespaceOf(body.namespace, "namespace"),
    key: keyOf(body.key),
    value: body.value,
  };
  const scope = await call.decide("store:put", value);
  const namespace = namespaceOf(value.namespace, "namespace (as set by the authorization handler)");
  const key = keyOf(value.key);
  if (!unscoped(scope)) {
    if (!itemMatches(scope, namespace, key, value.value)) throw forbidden();
    const existing = await getItem(call, namespace, key);
    if (existing && !itemMatches(scope, existing.namespace, existing.key, existing.value)) throw forbidden();
  }
  await call.forward("PUT", "/store/items", { ...body, namespace, key, value: value.value });
}

/** GET /store/items?namespace=a.b&key=k: the item must match, else 404. */
export async function storeGet(call: Call): Promise<void> {
  const raw = call.req.query.namespace;
  const value: Record<string, unknown> = {
    namespace: typeof raw === "string" && raw !== "" ? raw.split(".") : namespaceOf(undefined, "namespace"),
    key: keyOf(call.req.query.key),
  };
  const scope = await call.decide("store:get", value);
  const item = await getItem(
    call,
    namespaceOf(value.namespace, "namespace (as set by the authorization handler)"),
    keyOf(value.key),
  );
  if (!item) throw notFound();
  if (!itemMatches(scope, item.namespace, item.key, item.value)) throw notFound();
  call.sendJson(200, item);
}

/** DELETE /store/items: a foreign item is 403 whether it exists or not. */
export async function storeDelete(call: Call): Promise<void> {
  const body = call.body();
  const value: Record<string, unknown> = { namespace: namespaceOf(body.namespace, "namespace"), key: keyOf(body.key) };
  const scope = await call.decide("store:delete", value);
  const namespace = namespaceOf(value.namespace, "namespace (as set by the authorization handler)");
  const key = keyOf(value.key);
  if (!unscoped(scope)) {
    const existing = await getItem(call, namespace, key);
    const ok = existing
      ? itemMatches(scope, existing.namespace, existing.key, existing.value)
      : itemMatches(scope, namespace, key, undefined);
    if (!ok) throw forbidden();
  }
  await call.forward("DELETE", "/store/items", { namespace, key });
}

const SCAN_PAGE = 1000;
const SCAN_MAX = 10_000;

/** Pages through an upstream listing until `offset + limit` entries in scope are found (LangGraph's own approach). */
async function scan<T>(
  fetchPage: (offset: number, limit: number) => Promise<T[]>,
  matches: (entry: T) => boolean,
  offset: number,
  limit: number,
): Promise<T[]> {
  const found: T[] = [];
  let scanned = 0;
  while (found.length < offset + limit && scanned < SCAN_MAX) {
    const size = Math.min(SCAN_PAGE, SCAN_MAX - scanned);
    const page = await fetchPage(scanned, size);
    scanned += page.length;
    for (const entry of page) if (matches(entry)) found.push(entry);
    if (page.length < size) return found.slice(offset, offset + limit);
  }
  if (found.length < offset + limit && scanned >= SCAN_MAX) {
    throw new HTTPException(400, { message: "This store query scans too many items; narrow the namespace or filter" });
  }
  return found.slice(offset, offset + limit);
}

function paging(body: Record<string, unknown>, defaultLimit: number): { limit: number; offset: number } {
  const limit = body.limit === undefined || body.limit === null ? defaultLimit : body.limit;
  const offset = body.offset === undefined || body.offset === null ? 0 : body.offset;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 1000)
    throw new HTTPException(400, { message: "limit must be an integer from 1 to 1000" });
  if (!Number.isInteger(offset) || (offset as number) < 0)
    throw new HTTPException(400, { message: "offset must be an integer ≥ 0" });
  return { limit: limit as number, offset: offset as number };
}

/** POST /store/items/search: the handler may narrow `value.namespace` (the prefix); a filter is applied before paging. */
export async function storeSearch(call: Call): Promise<void> {
  const body = call.body();
  const { limit, offset } = paging(body, 10);
  const value: Record<string, unknown> = {
    namespace: namespaceOf(body.namespace_prefix, "namespace_prefix", true),
    filter: body.filter,
    limit,
    offset,
    query: body.query,
  };
  const scope = await call.decide("store:search", value);
  body.namespace_prefix = namespaceOf(value.namespace, "namespace (as set by the authorization handler)", true);
  const fetchPage = async (pageOffset: number, pageLimit: number): Promise<Record<string, unknown>[]> => {
    const { data } = await call.fetchJson("POST", "/store/items/search", {
      ...body,
      limit: pageLimit,
      offset: pageOffset,
    });
    if (!isPlainObject(data) || !Array.isArray(data.items)) throw badGateway();
    return data.items as Record<string, unknown>[];
  };
  const items = unscoped(scope)
    ? await fetchPage(offset, limit)
    : await scan(
        fetchPage,
        (item) => isPlainObject(item) && itemMatches(scope, item.namespace, item.key, item.value),
        offset,
        limit,
      );
  call.sendJson(200, { items });
}

/** POST /store/namespaces: the handler may narrow `value.namespace` (the prefix); a filter is matched on `{ namespace }`. */
export async function storeNamespaces(call: Call): Promise<void> {
  const body = call.body();
  const { limit, offset } = paging(body, 100);
  const value: Record<string, unknown> = {
    namespace: namespaceOf(body.prefix, "prefix", true),
    suffix: body.suffix,
    max_depth: body.max_depth,
    limit,
    offset,
  };
  const scope = await call.decide("store:list_namespaces", value);
  const prefix = namespaceOf(value.namespace, "namespace (as set by the authorization handler)", true);
  if (prefix.length > 0) body.prefix = prefix;
  else delete body.prefix;
  const fetchPage = async (pageOffset: number, pageLimit: number): Promise<unknown[]> => {
    const { data } = await call.fetchJson("POST", "/store/namespaces", {
      ...body,
      limit: pageLimit,
      offset: pageOffset,
    });
    if (!isPlainObject(data) || !Array.isArray(data.namespaces)) throw badGateway();
    return data.namespaces as unknown[];
  };
  const namespaces = unscoped(scope)
    ? await fetchPage(offset, limit)
    : await scan(fetchPage, (namespace) => itemMatches(scope, namespace, undefined, undefined), offset, limit);
  call.sendJson(200, { namespaces });
}
