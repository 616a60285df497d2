/**
 * The axios wiring: one request wrapper (no interceptors, so the app's own
 * axios instance is never modified) that resolves the URL, attaches
 * credentials for the client's origin only, enforces the timeout, maps
 * failures to typed errors, and on a 401 waits for the single-flight refresh
 * and retries exactly once.
 */
import type { ClientOptions } from "./client";
import axios, { AxiosHeaders } from "axios";
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from "axios";
import type { Credentials } from "./credentials";
import {
  AbortError, NetworkError, TimeoutError, UnauthorizedError, errorFromResponse, type ErrorDetails,
} from "./errors";
import { isSameOrigin, resolveBaseURL, resolveURL } from "./origin";
import { createRefreshGate } from "./refresh";

/**
 * Per-call options, accepted as the last argument of every resource method.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * await client.threads.get(id, { signal: ac.signal, timeout: 2_000, headers: { "x-trace": "1" } });
 * ```
 */
export interface RequestOptions {
  /** Aborts the call, including while it waits for a refresh; rejects with `AbortError`. */
  signal?: AbortSignal;
  /** Extra headers for this call; they win over credentials and the client's headers. */
  headers?: Record<string, string>;
  /** Milliseconds for this call (each attempt); overrides the client's `timeout`. */
  timeout?: number;
}

/**
 * An axios request config for `client.request()`. `url` is relative to
 * `baseURL` or absolute; `skipRefresh: true` marks a request whose 401 must
 * not trigger a refresh (a login or refresh call of your own).
 *
 * @example
 * ```ts
 * const me = await client.request<{ identity: string }>({ method: "GET", url: "/me" });
 * ```
 */
export interface RequestConfig extends Omit<AxiosRequestConfig, "signal" | "baseURL"> {
  signal?: AbortSignal;
  skipRefresh?: boolean;
}

/**
 * What `refresh` receives: the 401 that started it, and `request`, which
 * sends through this client without ever triggering a refresh itself.
 *
 * @example
 * ```ts
 * refresh: async ({ request }) => {
 *   const { access_token } = await request<{ access_token: string }>({ method: "POST", url: "/auth/refresh" });
 *   session.accessToken = access_token;
 * }
 * ```
 */
export interface RefreshContext {
  error: UnauthorizedError;
  request<T = unknown>(config: RequestConfig): Promise<T>;
}

/**
 * Renews credentials after a 401. Called once per burst of 401s; resolve when
 * the credential provider will return the new credential, throw to give up.
 *
 * @example
 * ```ts
 * const refresh: Refresh = async () => { session.accessToken = await auth.renew(); };
 * ```
 */
export type Refresh = (context: RefreshContext) => unknown;

/** The transport takes the client's options as they are. */
export type TransportOptions = ClientOptions;

export interface Transport {
  readonly baseURL: string;
  request<T>(config: RequestConfig): Promise<T>;
}

const ok = (status: number): boolean => status >= 200 && status < 300;

export function createTransport(options: TransportOptions): Transport {
  const base = resolveBaseURL(options.baseURL);
  const { credentials, refresh } = options;
  if (credentials !== undefined && typeof credentials !== "function") {
    throw new TypeError("createClient: `credentials` must be a function: bearer(...), apiKey(...) or (request) => headers");
  }
  if (refresh !== undefined && typeof refresh !== "function") {
    throw new TypeError("createClient: `refresh` must be a function");
  }
  checkTimeout(options.timeout, "createClient: `timeout`");
  if (options.axios !== undefined && typeof options.axios?.request !== "function") {
    throw new TypeError("createClient: `axios` must be an axios instance (axios.create())");
  }
  const instance = options.axios ?? axios.create();
  const defaults = { ...options.headers };
  const gate = refresh ? createRefreshGate((error: UnauthorizedError) => refresh({ error, request: unrefreshed })) : undefined;

  function unrefreshed<T>(config: RequestConfig): Promise<T> {
    return request<T>({ ...config, skipRefresh: true });
  }

  async function attempt(config: RequestConfig, url: string, method: string): Promise<AxiosResponse> {
    const { signal, timeout = options.timeout, skipRefresh: _, headers: callHeaders, ...rest } = config;
    checkTimeout(timeout, "timeout");
    const details: ErrorDetails = { method, url };
    if (signal?.aborted) throw new AbortError({ ...details, cause: signal.reason });
    const creds = credentials && isSameOrigin(base, url) ? await credentials({ method, url }) : undefined;
    if (signal?.aborted) throw new AbortError({ ...details, cause: signal.reason });

    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const timer = timeout ? setTimeout(() => { timedOut = true; controller.abort(); }, timeout) : undefined;
    try {
      return await instance.request({
        validateStatus: ok,
        ...rest,
        method,
        url,
        allowAbsoluteUrls: true,
        headers: AxiosHeaders.concat(defaults, creds ?? undefined, callHeaders as AxiosHeaders),
        signal: controller.signal,
      });
    } catch (err) {
      if (signal?.aborted) throw new AbortError({ ...details, cause: signal.reason });
      if (timedOut) throw new TimeoutError({ ...details, message: `${method} ${url} timed out after ${timeout}ms`, cause: scrub(err) });
      throw fromAxios(err, details);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async function request<T>(config: RequestConfig): Promise<T> {
    const method = (config.method ?? "GET").toUpperCase();
    const url = resolveURL(base, config.url ?? "");
    const seen = gate?.generation ?? 0;
    try {
      return (await attempt(config, url, method)).data as T;
    } catch (err) {
      if (!gate || config.skipRefresh || !(err instanceof UnauthorizedError) || !isSameOrigin(base, url)) throw err;
      try {
        await abortable(gate.after(seen, err), config.signal, { method, url });
      } catch (cause) {
        if (config.signal?.aborted && cause instanceof AbortError) throw cause;
        const message = `${method} ${url} failed with 401 and the credential refresh failed: ${messageOf(cause)}`;
        throw new UnauthorizedError({ body: err.body, headers: err.headers, method, url, message, cause });
      }
      return (await attempt(config, url, method)).data as T;
    }
  }

  return { baseURL: base.href, request };
}

function fromAxios(err: unknown, details: ErrorDetails): unknown {
  if (!axios.isAxiosError(err)) return err;
  if (err.response) {
    return errorFromResponse({
      ...details, status: err.response.status, body: err.response.data, headers: plainHeaders(err.response.headers),
    });
  }
  if (axios.isCancel(err)) return new AbortError({ ...details, cause: scrub(err) });
  if (err.code === "ETIMEDOUT" || (err.code === "ECONNABORTED" && /timeout/i.test(err.message))) {
    return new TimeoutError({ ...details, cause: scrub(err) });
  }
  const reason = err.code ?? err.message;
  return new NetworkError({ ...details, message: `${details.method} ${details.url} failed: ${reason}`, cause: scrub(err) });
}

/**
 * An axios error as a plain Error (name, message, code, and the underlying
 * socket error as its cause), without axios's `config` and `request`: they hold
 * the request headers, credential included, and loggers serialise causes.
 */
function scrub(err: unknown): unknown {
  if (!axios.isAxiosError(err) && !axios.isCancel(err)) return err;
  const { name, message, code, cause } = err as { name: string; message: string; code?: string; cause?: unknown };
  const clean = new Error(message, cause === undefined ? undefined : { cause });
  clean.name = name;
  if (code !== undefined) Object.assign(clean, { code });
  return clean;
}

function plainHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(AxiosHeaders.from(headers as AxiosHeaders).toJSON(true))) {
    out[name.toLowerCase()] = value;
  }
  return out;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, details: ErrorDetails): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortError({ ...details, cause: signal.reason }));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function checkTimeout(value: unknown, where: string): void {
  if (value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value >= 0)) {
    throw new TypeError(`${where} must be a non-negative number of milliseconds, got ${String(value)}`);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
