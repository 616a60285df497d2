import { InvalidArgumentError } from "../errors";
import type { RequestOptions, Transport } from "../http";
import type { Item, ListNamespaceResponse, ListNamespacesQuery, SearchItemsQuery, SearchItemsResponse } from "../types";
import { call, toVoid } from "./call";

/**
 * `client.store`: LangGraph's `/store` routes. A namespace is a path of
 * labels (`["alice", "notes"]`); labels must not contain "." because
 * `getItem` sends the namespace joined with "." in the query string.
 *
 * @example
 * ```ts
 * await client.store.putItem(["alice", "notes"], "n1", { text: "hi" });
 * const item = await client.store.getItem(["alice", "notes"], "n1");
 * ```
 */
export interface StoreResource {
  /** `PUT /store/items`. @example `await client.store.putItem(["alice", "notes"], "n1", { text: "hi" })` */
  putItem(namespace: string[], key: string, value: Record<string, unknown>, options?: RequestOptions): Promise<void>;
  /** `GET /store/items?namespace=a.b&key=k`. @example `const item = await client.store.getItem(["alice", "notes"], "n1")` */
  getItem<TValue = Record<string, unknown>>(
    namespace: string[],
    key: string,
    options?: RequestOptions,
  ): Promise<Item<TValue> | null>;
  /** `DELETE /store/items`. @example `await client.store.deleteItem(["alice", "notes"], "n1")` */
  deleteItem(namespace: string[], key: string, options?: RequestOptions): Promise<void>;
  /**
   * `POST /store/items/search`.
   * @example `const { items } = await client.store.searchItems(["alice"], { filter: { kind: "note" }, limit: 20 })`
   */
  searchItems<TValue = Record<string, unknown>>(
    namespacePrefix: string[],
    query?: SearchItemsQuery,
    options?: RequestOptions,
  ): Promise<SearchItemsResponse<TValue>>;
  /** `POST /store/namespaces`. @example `const { namespaces } = await client.store.listNamespaces({ prefix: ["alice"] })` */
  listNamespaces(query?: ListNamespacesQuery, options?: RequestOptions): Promise<ListNamespaceResponse>;
}

function checkNamespace(namespace: unknown, where: string): asserts namespace is string[] {
  if (
    !Array.isArray(namespace) ||
    namespace.length === 0 ||
    namespace.some((l) => typeof l !== "string" || l === "" || l.includes("."))
  ) {
    throw new InvalidArgumentError(
      `${where}: a namespace is a non-empty array of non-empty labels without ".", got ${JSON.stringify(namespace)}`,
    );
  }
}

export function storeResource(t: Transport): StoreResource {
  return {
    async putItem(namespace, key, value, options) {
      checkNamespace(namespace, "store.putItem");
      await call(t, "PUT", "/store/items", { namespace, key, value }, options);
    },
    async getItem<TValue>(namespace: string[], key: string, options?: RequestOptions) {
      checkNamespace(namespace, "store.getItem");
      const item = await call<Item<TValue> | "" | null>(t, "GET", "/store/items", undefined, options, {
        namespace: namespace.join("."),
        key,
      });
      return item || null;
    },
    async deleteItem(namespace, key, options) {
      checkNamespace(namespace, "store.deleteItem");
      await call(t, "DELETE", "/store/items", { namespace, key }, options).then(toVoid);
    },
    async searchItems<TValue>(namespacePrefix: string[], query: SearchItemsQuery = {}, options?: RequestOptions) {
      if (!Array.isArray(namespacePrefix))
        throw new InvalidArgumentError("store.searchItems: namespacePrefix must be an array");
      return call<SearchItemsResponse<TValue>>(
        t,
        "POST",
        "/store/items/search",
        {
          namespace_prefix: namespacePrefix,
          ...query,
        },
        options,
      );
    },
    listNamespaces: async (query = {}, options) => call(t, "POST", "/store/namespaces", query, options),
  };
}
