import { Router, type Request } from "express";
import { HTTPException } from "@gatehouse/express";
import type { AppAuth } from "../auth";
import type { Db } from "../db";
import * as store from "../storage/store-items";
import {
  badRequest,
  bodyObject,
  integer,
  isObject,
  namespace,
  optionalNamespace,
  optionalObject,
  optionalString,
  page,
  type JsonObject,
} from "../validate";
import type { Limits } from "../limits";
import { input, inputOf, parsed, setNextPage } from "./input";

function key(value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 1000)
    throw badRequest("key must be a non-empty string");
  return value;
}

/** `namespace=a.b` in a query string, as the LangGraph SDK sends it. */
function queryNamespace(value: unknown): string[] {
  if (typeof value !== "string" || value.length === 0)
    throw badRequest('namespace is required, labels joined by ".", e.g. ?namespace=alice.notes&key=n1');
  return namespace(value.split("."), "namespace");
}

interface ItemRef extends JsonObject {
  namespace: string[];
  key: string;
}

interface SearchInput extends JsonObject {
  namespace: string[];
  filter?: JsonObject;
  query?: string;
  limit: number;
  offset: number;
}

interface ListInput extends JsonObject {
  namespace: string[];
  suffix?: string[];
  max_depth?: number;
  limit: number;
  offset: number;
}

function parseSearch(req: Request): SearchInput {
  const body = bodyObject(req.body);
  return {
    namespace: optionalNamespace(body.namespace_prefix, "namespace_prefix") ?? [],
    filter: optionalObject(body.filter, "filter"),
    query: optionalString(body.query, "query"),
    ...page(body),
  };
}

function parseList(req: Request): ListInput {
  const body = bodyObject(req.body);
  return {
    namespace: optionalNamespace(body.prefix, "prefix") ?? [],
    suffix: optionalNamespace(body.suffix, "suffix"),
    max_depth:
      body.max_depth === undefined || body.max_depth === null
        ? undefined
        : integer(body.max_depth, "max_depth", 0, 1, 32),
    ...page(body, 100),
  };
}

/**
 * The key-value store. The handler sees `{ namespace, key, value }`; for
 * search and list it sees the prefix as `value.namespace` and may narrow it.
 * A filter it returns is matched against the item's value plus namespace and key.
 */
export function storeRoutes(db: Db, auth: AppAuth, limits: Limits): Router {
  const router = Router();

  router.put(
    "/store/items",
    input((req) => {
      const body = bodyObject(req.body);
      if (!isObject(body.value)) throw badRequest('value must be a JSON object, e.g. {"text": "hi"}');
      return { namespace: namespace(body.namespace, "namespace"), key: key(body.key), value: body.value };
    }),
    auth.guard("store:put", { value: parsed }),
    async (req, res) => {
      const item = inputOf<ItemRef & { value: JsonObject }>(res);
      const written = await store.putItem(db, item.namespace, item.key, item.value, req.auth?.filters);
      if (!written) throw new HTTPException(403, { message: "Forbidden: you may not overwrite this item" });
      res.status(204).end();
    },
  );

  router.get(
    "/store/items",
    input((req): ItemRef => ({ namespace: queryNamespace(req.query.namespace), key: key(req.query.key) })),
    auth.guard("store:get", { value: parsed }),
    async (req, res) => {
      const ref = inputOf<ItemRef>(res);
      const item = await store.getItem(db, ref.namespace, ref.key, req.auth?.filters);
      if (!item) throw new HTTPException(404, { message: `Item ${ref.key} not found in ${ref.namespace.join(".")}` });
      res.json(item);
    },
  );

  // Idempotent like LangGraph's: deleting an item that is not there (or not visible) answers 204 and changes nothing.
  router.delete(
    "/store/items",
    input((req): ItemRef => {
      const body = bodyObject(req.body);
      return { namespace: namespace(body.namespace, "namespace"), key: key(body.key) };
    }),
    auth.guard("store:delete", { value: parsed }),
    async (req, res) => {
      const ref = inputOf<ItemRef>(res);
      await store.deleteItem(db, ref.namespace, ref.key, req.auth?.filters);
      res.status(204).end();
    },
  );

  router.post(
    "/store/items/search",
    input(parseSearch),
    auth.guard("store:search", { value: parsed }),
    async (req, res) => {
      const query = inputOf<SearchInput>(res);
      const prefix = optionalNamespace(query.namespace, "namespace (as set by the authorization handler)") ?? [];
      const page = await store.searchItems(
        db,
        { ...query, namespace_prefix: prefix },
        req.auth?.filters,
        limits.maxResponseBytes,
      );
      setNextPage(res, query.offset, page.items.length, page.truncated);
      res.json({ items: page.items });
    },
  );

  router.post(
    "/store/namespaces",
    input(parseList),
    auth.guard("store:list_namespaces", { value: parsed }),
    async (req, res) => {
      const query = inputOf<ListInput>(res);
      const prefix = optionalNamespace(query.namespace, "namespace (as set by the authorization handler)");
      res.json({ namespaces: await store.listNamespaces(db, { ...query, prefix }, req.auth?.filters) });
    },
  );

  return router;
}
