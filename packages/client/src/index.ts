/**
 * @gatehouse/client: a typed axios client for Gatehouse-protected,
 * LangGraph-style APIs. Credentials, single-flight refresh (ahead of expiry,
 * across tabs), retries, cookie sessions, streaming runs, typed errors.
 */
export { createClient } from "./client";
export type { Client, ClientOptions } from "./client";
export { bearer, apiKey } from "./credentials";
export type { Credentials, CredentialHeaders, CredentialRequest, SecretSource } from "./credentials";
export type { RequestOptions, RequestConfig, Refresh, RefreshContext } from "./http";
export type { CsrfOptions } from "./csrf";
export type { RetryOptions } from "./retry";
export type { StreamPart, StreamOptions } from "./stream";
export {
  GatehouseError,
  HttpError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  NetworkError,
  TimeoutError,
  AbortError,
  InvalidArgumentError,
  errorFromResponse,
} from "./errors";
export type { ErrorCode, ServerErrorCode, ErrorDetails, AuthChallenge } from "./errors";
export type { ThreadsResource } from "./resources/threads";
export type { RunsResource } from "./resources/runs";
export type { AssistantsResource } from "./resources/assistants";
export type { CronsResource } from "./resources/crons";
export type { StoreResource } from "./resources/store";
export type {
  Metadata,
  Config,
  ThreadStatus,
  RunStatus,
  MultitaskStrategy,
  SortOrder,
  IfExists,
  Thread,
  ThreadCreate,
  ThreadUpdate,
  ThreadSearch,
  Assistant,
  AssistantCreate,
  AssistantUpdate,
  AssistantSearch,
  Run,
  RunCreate,
  RunList,
  RunCancel,
  ThreadState,
  ThreadStateQuery,
  ThreadHistoryQuery,
  Cron,
  CronCreate,
  CronSearch,
  Item,
  SearchItem,
  SearchItemsResponse,
  SearchItemsQuery,
  ListNamespacesQuery,
  ListNamespaceResponse,
} from "./types";
