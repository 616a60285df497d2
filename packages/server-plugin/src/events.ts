/**
 * Resources, actions and the typed values handlers receive. The built-in
 * resources are LangGraph's; applications add their own through the `Extra`
 * type parameter of `Auth` plus the `resources` option (names at runtime).
 */

/** Metadata stored with a record: a JSON object. */
export type Metadata = Record<string, unknown>;

export interface ThreadCreateValue {
  thread_id?: string;
  metadata?: Metadata;
  if_exists?: "raise" | "do_nothing";
  [k: string]: unknown;
}
export interface ThreadReadValue {
  thread_id: string;
  [k: string]: unknown;
}
export interface ThreadUpdateValue {
  thread_id: string;
  metadata?: Metadata;
  [k: string]: unknown;
}
export interface ThreadDeleteValue {
  thread_id: string;
  [k: string]: unknown;
}
export interface ThreadSearchValue {
  metadata?: Metadata;
  limit?: number;
  offset?: number;
  status?: string;
  [k: string]: unknown;
}
export interface ThreadCreateRunValue {
  thread_id: string;
  assistant_id?: string;
  run_id?: string;
  metadata?: Metadata;
  input?: unknown;
  [k: string]: unknown;
}

export interface AssistantCreateValue {
  assistant_id?: string;
  graph_id?: string;
  metadata?: Metadata;
  config?: unknown;
  name?: string;
  [k: string]: unknown;
}
export interface AssistantReadValue {
  assistant_id: string;
  [k: string]: unknown;
}
export interface AssistantUpdateValue {
  assistant_id: string;
  metadata?: Metadata;
  [k: string]: unknown;
}
export interface AssistantDeleteValue {
  assistant_id: string;
  [k: string]: unknown;
}
export interface AssistantSearchValue {
  graph_id?: string;
  metadata?: Metadata;
  limit?: number;
  offset?: number;
  [k: string]: unknown;
}

export interface CronCreateValue {
  assistant_id?: string;
  thread_id?: string;
  schedule?: string;
  payload?: unknown;
  metadata?: Metadata;
  [k: string]: unknown;
}
export interface CronReadValue {
  cron_id: string;
  [k: string]: unknown;
}
export interface CronUpdateValue {
  cron_id: string;
  metadata?: Metadata;
  [k: string]: unknown;
}
export interface CronDeleteValue {
  cron_id: string;
  [k: string]: unknown;
}
export interface CronSearchValue {
  assistant_id?: string;
  thread_id?: string;
  limit?: number;
  offset?: number;
  metadata?: Metadata;
  [k: string]: unknown;
}

export interface StorePutValue {
  namespace: string[];
  key: string;
  value: Record<string, unknown> | null;
  [k: string]: unknown;
}
export interface StoreGetValue {
  namespace: string[];
  key: string;
  [k: string]: unknown;
}
export interface StoreSearchValue {
  namespace_prefix?: string[];
  namespace?: string[];
  filter?: Record<string, unknown>;
  limit?: number;
  offset?: number;
  query?: string;
  [k: string]: unknown;
}
export interface StoreDeleteValue {
  namespace: string[];
  key: string;
  [k: string]: unknown;
}
export interface StoreListNamespacesValue {
  prefix?: string[];
  namespace?: string[];
  suffix?: string[];
  max_depth?: number;
  limit?: number;
  offset?: number;
  [k: string]: unknown;
}

/** LangGraph's resources, their actions, and the value each action's handler receives. */
export type BuiltinResources = {
  threads: {
    create: ThreadCreateValue;
    read: ThreadReadValue;
    update: ThreadUpdateValue;
    delete: ThreadDeleteValue;
    search: ThreadSearchValue;
    create_run: ThreadCreateRunValue;
  };
  assistants: {
    create: AssistantCreateValue;
    read: AssistantReadValue;
    update: AssistantUpdateValue;
    delete: AssistantDeleteValue;
    search: AssistantSearchValue;
  };
  crons: {
    create: CronCreateValue;
    read: CronReadValue;
    update: CronUpdateValue;
    delete: CronDeleteValue;
    search: CronSearchValue;
  };
  store: {
    put: StorePutValue;
    get: StoreGetValue;
    search: StoreSearchValue;
    delete: StoreDeleteValue;
    list_namespaces: StoreListNamespacesValue;
  };
};

/** The built-in resources and their actions, at runtime. */
export const BUILTIN_RESOURCES: { readonly [R in keyof BuiltinResources]: readonly (keyof BuiltinResources[R])[] } = {
  threads: ["create", "read", "update", "delete", "search", "create_run"],
  assistants: ["create", "read", "update", "delete", "search"],
  crons: ["create", "read", "update", "delete", "search"],
  store: ["put", "get", "search", "delete", "list_namespaces"],
};

/** A map of resource name → action name → the value that action's handler receives. */
export type ResourceMap = { [resource: string]: { [action: string]: unknown } };

/** Runtime declaration of an application's own resources: resource → its action names. */
export type ResourceDeclaration<Extra extends ResourceMap> = {
  readonly [R in keyof Extra]: readonly (keyof Extra[R] & string)[];
};

type Str<T> = T & string;
type ResourceOf<M extends ResourceMap> = Str<keyof M>;
type ActionOf<M extends ResourceMap> = { [R in keyof M]: Str<keyof M[R]> }[keyof M];

/** A concrete event: `"threads:create"`, `"store:put"`, … */
export type ConcreteEvent<M extends ResourceMap> = { [R in ResourceOf<M>]: `${R}:${Str<keyof M[R]>}` }[ResourceOf<M>];

/** Any key a handler may be registered for: `resource:action`, `resource`, `*:action` or `*`. */
export type EventKey<M extends ResourceMap> = ConcreteEvent<M> | ResourceOf<M> | `*:${ActionOf<M>}` | "*";

type ValuesOf<T> = T[keyof T];
type AnyValue<M extends ResourceMap> = { [R in keyof M]: ValuesOf<M[R]> }[keyof M];
type ActionValue<M extends ResourceMap, A extends string> = {
  [R in keyof M]: A extends keyof M[R] ? M[R][A] : never;
}[keyof M];

/** The value a handler registered for key `K` receives. */
export type EventValue<M extends ResourceMap, K extends string> = K extends "*"
  ? AnyValue<M>
  : K extends `*:${infer A}`
    ? ActionValue<M, A>
    : K extends `${infer R}:${infer A}`
      ? R extends keyof M
        ? A extends keyof M[R]
          ? M[R][A]
          : never
        : never
      : K extends keyof M
        ? ValuesOf<M[K]>
        : never;

/** The events a handler registered for key `K` can be called for. */
export type EventsOf<M extends ResourceMap, K extends string> = K extends "*"
  ? ConcreteEvent<M>
  : K extends `*:${infer A}`
    ? Extract<ConcreteEvent<M>, `${string}:${A}`>
    : K extends `${string}:${string}`
      ? K
      : Extract<ConcreteEvent<M>, `${K}:${string}`>;

/** Built-in resources plus an application's own. */
export type WithBuiltins<Extra extends ResourceMap> = BuiltinResources & Extra;

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Resource → set of actions, validated; throws a TypeError that says what to fix. */
export function buildResourceIndex(extra: Record<string, readonly string[]> = {}): Map<string, Set<string>> {
  const index = new Map<string, Set<string>>();
  for (const [resource, actions] of Object.entries(BUILTIN_RESOURCES))
    index.set(resource, new Set(actions as readonly string[]));
  for (const [resource, actions] of Object.entries(extra)) {
    if (!NAME.test(resource)) {
      throw new TypeError(
        `Resource name ${JSON.stringify(resource)} is invalid: use letters, digits, "_" or "-", starting with a letter or "_"`,
      );
    }
    if (index.has(resource))
      throw new TypeError(
        `Resource "${resource}" is already declared (built-in resources: ${Object.keys(BUILTIN_RESOURCES).join(", ")})`,
      );
    if (!Array.isArray(actions) || actions.length === 0) {
      throw new TypeError(
        `Resource "${resource}" needs a non-empty array of action names, e.g. { ${resource}: ["read", "write"] }`,
      );
    }
    const set = new Set<string>();
    for (const action of actions) {
      if (typeof action !== "string" || !NAME.test(action)) {
        throw new TypeError(
          `Action ${JSON.stringify(action)} of resource "${resource}" is invalid: use letters, digits, "_" or "-"`,
        );
      }
      set.add(action);
    }
    index.set(resource, set);
  }
  return index;
}
