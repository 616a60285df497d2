/**
 * Type tests: compile-time assertions that ts-jest reports as failures. An
 * `Expect<Equal<...>>` that stops holding, or a `@ts-expect-error` line that
 * starts compiling, fails this file. The functions below are type-checked,
 * never run.
 */
import {
  apiKey,
  bearer,
  createClient,
  ForbiddenError,
  GatehouseError,
  HttpError,
  NetworkError,
  NotFoundError,
  RateLimitError,
  UnauthorizedError,
  type Assistant,
  type Client,
  type Cron,
  type ErrorCode,
  type Item,
  type ListNamespaceResponse,
  type Run,
  type SearchItemsResponse,
  type StreamPart,
  type Thread,
  type ThreadState,
} from "@gatehouse/client";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type Resolved<P> = P extends Promise<infer T> ? T : never;

export function methodReturnTypes(client: Client) {
  type _threads = [
    Expect<Equal<ReturnType<Client["threads"]["create"]>, Promise<Thread>>>,
    Expect<Equal<ReturnType<Client["threads"]["get"]>, Promise<Thread>>>,
    Expect<Equal<ReturnType<Client["threads"]["update"]>, Promise<Thread>>>,
    Expect<Equal<ReturnType<Client["threads"]["delete"]>, Promise<void>>>,
    Expect<Equal<ReturnType<Client["threads"]["search"]>, Promise<Thread[]>>>,
    Expect<Equal<ReturnType<Client["threads"]["copy"]>, Promise<Thread>>>,
  ];
  type _runs = [
    Expect<Equal<ReturnType<Client["runs"]["create"]>, Promise<Run>>>,
    Expect<Equal<ReturnType<Client["runs"]["list"]>, Promise<Run[]>>>,
    Expect<Equal<ReturnType<Client["runs"]["get"]>, Promise<Run>>>,
  ];
  type _others = [
    Expect<Equal<ReturnType<Client["assistants"]["search"]>, Promise<Assistant[]>>>,
    Expect<Equal<ReturnType<Client["assistants"]["delete"]>, Promise<void>>>,
    Expect<Equal<ReturnType<Client["crons"]["create"]>, Promise<Cron>>>,
    Expect<Equal<ReturnType<Client["store"]["putItem"]>, Promise<void>>>,
    Expect<Equal<ReturnType<Client["store"]["listNamespaces"]>, Promise<ListNamespaceResponse>>>,
  ];

  const _waited = client.runs.wait<{ answer: string }>("t", { assistant_id: "agent" });
  type _wait = Expect<Equal<typeof _waited, Promise<{ answer: string }>>>;
  const _item = client.store.getItem<{ text: string }>(["alice"], "k");
  type _item = Expect<Equal<Resolved<typeof _item>, Item<{ text: string }> | null>>;
  const _found = client.store.searchItems(["alice"]);
  type _search = Expect<Equal<typeof _found, Promise<SearchItemsResponse>>>;
  const _custom = client.request<{ version: string }>({ url: "/info" });
  type _request = Expect<Equal<typeof _custom, Promise<{ version: string }>>>;
  const _untyped = client.request({ url: "/info" });
  type _unknown = Expect<Equal<typeof _untyped, Promise<unknown>>>;
}

export function argumentsAreChecked(client: Client) {
  // @ts-expect-error a misspelt field is an excess property
  void client.threads.create({ metadat: { topic: "tax" } });
  // @ts-expect-error a run needs an assistant_id
  void client.runs.create("t", { input: {} });
  // @ts-expect-error a namespace is an array of labels
  void client.store.putItem("alice.notes", "k", {});
  // @ts-expect-error crons need a schedule
  void client.crons.create({ assistant_id: "agent" });
  // @ts-expect-error the signal goes in the options, which must be an AbortSignal
  void client.threads.get("t", { signal: "stop" });
  // @ts-expect-error baseURL is required
  createClient({});
  // @ts-expect-error a token is a string or a function
  bearer(42);
  // @ts-expect-error apiKey needs the header name first
  apiKey("secret");
  createClient({
    baseURL: "http://localhost:8123",
    credentials: (request) => ({ "x-sig": `${request.method} ${request.url}` }),
    refresh: async ({ error: _error, reason: _reason, request }) => {
      type _errorIs = Expect<Equal<typeof _error, UnauthorizedError | undefined>>;
      type _reasonIs = Expect<Equal<typeof _reason, "unauthorized" | "expiring">>;
      const _token = await request<{ access_token: string }>({ method: "POST", url: "/auth/refresh" });
      type _token = Expect<Equal<typeof _token, { access_token: string }>>;
    },
  });
}

export async function streamTypes(client: Client) {
  type _stream = Expect<Equal<ReturnType<Client["runs"]["stream"]>, AsyncIterable<StreamPart>>>;
  type _join = Expect<Equal<ReturnType<Client["runs"]["joinStream"]>, AsyncIterable<StreamPart>>>;
  const _state = await client.threads.state<{ n: number }>("t");
  type _state = Expect<Equal<typeof _state, ThreadState<{ n: number }>>>;
  for await (const _part of client.runs.stream(
    null,
    { assistant_id: "agent" },
    { lastEventId: "3", reconnect: { limit: 2 } },
  )) {
    type _part = Expect<Equal<typeof _part.id, string | undefined>>;
  }
  // @ts-expect-error the thread is a string or null, not undefined
  client.runs.stream(undefined, { assistant_id: "agent" });
  // @ts-expect-error an unknown client option is a compile error (and a runtime one)
  createClient({ baseURL: "http://x", retries: 2 });
}

export function errorNarrowing(err: unknown) {
  // @ts-expect-error nothing is known before narrowing
  void err.status;
  if (err instanceof RateLimitError) {
    type _status = Expect<Equal<typeof err.status, 429>>;
    type _retry = Expect<Equal<typeof err.retryAfter, number | undefined>>;
  }
  if (err instanceof UnauthorizedError) {
    type _status = Expect<Equal<typeof err.status, 401>>;
    const error: string | undefined = err.challenge?.params.error;
    void error;
  }
  if (err instanceof NotFoundError) {
    // @ts-expect-error a NotFoundError's status is 404
    const forbidden: 403 = err.status;
    void forbidden;
  }
  if (err instanceof HttpError) {
    type _status = Expect<Equal<typeof err.status, number>>;
    type _retry = Expect<Equal<typeof err.retryAfter, number | undefined>>; // 429 and 503 both send Retry-After
  }
  if (err instanceof UnauthorizedError) {
    type _code = Expect<Equal<typeof err.code, "credentials_required" | "invalid_token" | "unauthorized">>;
  }
  if (err instanceof ForbiddenError) {
    type _code = Expect<Equal<typeof err.code, "forbidden" | "insufficient_scope">>;
  }
  if (err instanceof RateLimitError) {
    type _code = Expect<Equal<typeof err.code, "too_many_requests">>;
  }
  if (err instanceof NetworkError) {
    type _status = Expect<Equal<typeof err.status, number | undefined>>;
  }
  if (err instanceof GatehouseError) {
    type _code = Expect<Equal<typeof err.code, ErrorCode>>;
    switch (err.code) {
      case "bad_request":
      case "credentials_required":
      case "invalid_token":
      case "unauthorized":
      case "insufficient_scope":
      case "forbidden":
      case "not_found":
      case "method_not_allowed":
      case "request_timeout":
      case "conflict":
      case "payload_too_large":
      case "unsupported_media_type":
      case "unprocessable_entity":
      case "too_many_requests":
      case "internal_error":
      case "bad_gateway":
      case "service_unavailable":
      case "gateway_timeout":
      case "http_error":
      case "network_error":
      case "timeout":
      case "aborted":
      case "invalid_argument":
        return;
      default: {
        const exhaustive: never = err.code;
        return exhaustive;
      }
    }
  }
}

it("type assertions compile (checked by ts-jest when this file loads)", () => {
  expect(typeof methodReturnTypes).toBe("function");
});
