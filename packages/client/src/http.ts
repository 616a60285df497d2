/**
 * The transport: one request pipeline (no interceptors, so the app's own
 * axios instance is never modified) shared by axios calls and by the
 * fetch-based streams. Per attempt it resolves credentials afresh, attaches
 * them (and the CSRF header) only to the client's own origin at every
 * redirect hop, enforces the timeout and maps failures to typed errors. Around
 * attempts: refresh ahead of expiry, one single-flight refresh on a 401 from
 * the client's own origin, and bounded retries.
 */
import type { ClientOptions } from "./client";
import axios, { AxiosHeaders } from "axios";
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from "axios";
import type { CredentialHeaders } from "./credentials";
import {
  AbortError,
  NetworkError,
  TimeoutError,
  UnauthorizedError,
  errorFromResponse,
  type ErrorDetails,
} from "./errors";
import { bearerJwtTimes, expiresSoon, toEpochMs } from "./expiry";
import { checkOptions } from "./options";
import { inBrowser, isSameOrigin, originOf, resolveURL } from "./origin";
import { acrossTabs, createRefreshGate } from "./refresh";
import { retriesFor, retryDelay, sleep } from "./retry";
import {
  abortable,
  checkTimeout,
  fetchHeaders,
  fingerprint,
  fromAxios,
  messageOf,
  nextHop,
  ok,
  okOrRedirect,
  parseBody,
  plainHeaders,
  scrub,
} from "./wire";

/**
 * Per-call options, accepted as the last argument of every resource method.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * await client.threads.get(id, { signal: ac.signal, timeout: 2_000, headers: { "x-trace": "1" } });
 * await client.runs.create(id, { assistant_id: "agent" }, { retry: true }); // this POST may be retried
 * ```
 */
export interface RequestOptions {
  /** Aborts the call, including while it waits for a refresh or a retry; rejects with `AbortError`. */
  signal?: AbortSignal;
  /** Extra headers for this call; they win over credentials and the client's headers. */
  headers?: Record<string, string>;
  /** Milliseconds for this call (each attempt); overrides the client's `timeout`. */
  timeout?: number;
  /** `true` lets a POST or PATCH be retried, `false` never retries, a number sets this call's limit. */
  retry?: boolean | number;
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
  retry?: boolean | number;
}

/**
 * What `refresh` receives: why it runs (`"unauthorized"` after a 401, with
 * that `error`; `"expiring"` ahead of the credential's expiry), and `request`,
 * which sends through this client without ever triggering a refresh itself.
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
  reason: "unauthorized" | "expiring";
  /** The 401 that started the refresh; undefined when refreshing ahead of expiry. */
  error?: UnauthorizedError;
  request: <T = unknown>(config: RequestConfig) => Promise<T>;
}

/**
 * Renews credentials. Called once per burst of 401s (or once ahead of
 * expiry); resolve when the credential provider will return the new
 * credential, throw to give up.
 *
 * @example
 * ```ts
 * const refresh: Refresh = async () => { session.accessToken = await auth.renew(); };
 * ```
 */
export type Refresh = (context: RefreshContext) => unknown;

/** A fetch-based request (streams): JSON body in, the open `Response` out. */
export interface OpenConfig {
  method: string;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeout?: number;
  retry?: boolean | number;
}

/** An open response: read `response.body`, then `close()` (closes the HTTP request). */
export interface Opened {
  response: Response;
  /** The URL that answered (after redirects). */
  url: string;
  close(): void;
}

export interface Transport {
  readonly baseURL: string;
  request<T>(config: RequestConfig): Promise<T>;
  open(config: OpenConfig): Promise<Opened>;
}

/** One call through the pipeline: what every attempt and hop needs. */
interface Call {
  method: string;
  url: string;
  signal?: AbortSignal;
  timeout?: number;
  headers?: Record<string, string>;
  skipRefresh?: boolean;
  retry?: boolean | number;
  /** The credential headers (as JSON) the last same-origin hop sent: what a refresh replaces. */
  sent?: string;
}

export function createTransport(options: ClientOptions): Transport {
  const settings = checkOptions(options);
  const { base, credentials, refresh, expiresAt, withCredentials, policy, csrf, margin, lockName } = settings;
  const instance: AxiosInstance = options.axios ?? axios.create();
  const defaults = { ...options.headers };
  const browser = inBrowser();

  const readCredentials = (): Promise<CredentialHeaders> =>
    Promise.resolve(credentials ? credentials({ method: "GET", url: base.href }) : undefined);
  type Why = { reason: RefreshContext["reason"]; error?: UnauthorizedError; stale: string | undefined };
  const gate = refresh
    ? createRefreshGate((why: Why) =>
        acrossTabs(
          lockName,
          async () => why.stale !== fingerprint(await readCredentials()),
          () => refresh({ reason: why.reason, error: why.error, request: unrefreshed }),
        ),
      )
    : undefined;
  let ahead: { stale: string; done: Promise<void> } | undefined;

  function unrefreshed<T>(config: RequestConfig): Promise<T> {
    return request<T>({ ...config, skipRefresh: true });
  }

  /** The headers for one hop: credentials and CSRF only on the client's origin, the call's own only on the call's origin. */
  async function hopHeaders(call: Call, method: string, url: string): Promise<Record<string, string>> {
    const same = isSameOrigin(base, url);
    const creds = same && credentials ? await credentials({ method, url }) : undefined;
    const csrfHeader = same && csrf ? await csrf(method) : undefined;
    if (same) call.sent = fingerprint(creds);
    const own = originOf(url) === originOf(call.url) ? call.headers : undefined;
    const merged = AxiosHeaders.concat(defaults, creds ?? undefined, csrfHeader, own).toJSON(true) as Record<
      string,
      unknown
    >;
    return Object.fromEntries(Object.entries(merged).filter(([, v]) => typeof v === "string")) as Record<
      string,
      string
    >;
  }

  async function refreshAhead(call: Call): Promise<void> {
    if (!gate || call.skipRefresh || margin <= 0 || !isSameOrigin(base, call.url)) return;
    const creds = credentials ? await credentials({ method: call.method, url: call.url }) : undefined;
    const reported = expiresAt ? toEpochMs(await expiresAt()) : undefined;
    const times = reported !== undefined ? { exp: reported, iat: undefined } : bearerJwtTimes(creds);
    if (!times || !expiresSoon(times.exp, times.iat, margin)) return;
    const stale = fingerprint(creds);
    if (ahead?.stale !== stale) {
      ahead = { stale, done: gate.after(gate.generation, { reason: "expiring", stale }).catch(() => undefined) };
    }
    await abortable(ahead.done, call.signal, { method: call.method, url: call.url });
  }

  /** The pipeline around one kind of attempt: refresh ahead, refresh once on a 401, bounded retries. */
  async function run<R>(call: Call, attempt: (call: Call) => Promise<R>): Promise<R> {
    const limit = retriesFor(call.method, call.retry, policy);
    for (let n = 0; ; n++) {
      try {
        return await authenticated(call, attempt);
      } catch (err) {
        const wait = retryDelay(err, n, limit, policy);
        if (wait === undefined) throw err;
        await sleep(wait, call.signal, { method: call.method, url: call.url });
      }
    }
  }

  async function authenticated<R>(call: Call, attempt: (call: Call) => Promise<R>): Promise<R> {
    await refreshAhead(call);
    const seen = gate?.generation ?? 0;
    try {
      return await attempt(call);
    } catch (err) {
      // The origin that answered decides: a 401 from another origin (after a redirect) is not ours to refresh.
      if (!gate || call.skipRefresh || !(err instanceof UnauthorizedError) || !isSameOrigin(base, err.url ?? ""))
        throw err;
      const { method, url } = call;
      try {
        await abortable(gate.after(seen, { reason: "unauthorized", error: err, stale: call.sent }), call.signal, {
          method,
          url,
        });
      } catch (cause) {
        if (call.signal?.aborted && cause instanceof AbortError) throw cause;
        const message = `${method} ${url} failed with 401 and the credential refresh failed: ${messageOf(cause)}`;
        throw new UnauthorizedError({ body: err.body, headers: err.headers, method, url: err.url, message, cause });
      }
      return attempt(call);
    }
  }

  /** One axios attempt: every redirect hop followed here (outside browsers), the origin checked at each. */
  async function axiosAttempt(call: Call, rest: AxiosRequestConfig): Promise<AxiosResponse> {
    let { method, url } = call;
    let data: unknown = rest.data;
    let params: unknown = rest.params;
    for (let hop = 0; ; hop++) {
      const headers = await hopHeaders(call, method, url);
      const res = await guarded(
        call,
        method,
        url,
        (signal) =>
          instance.request({
            validateStatus: browser ? ok : okOrRedirect,
            ...rest,
            ...(browser
              ? {}
              : {
                  maxRedirects: 0,
                  fetchOptions: { ...(rest as { fetchOptions?: object }).fetchOptions, redirect: "manual" },
                }),
            withCredentials: rest.withCredentials ?? withCredentials,
            ...(csrf ? { xsrfCookieName: null as unknown as string } : {}),
            method,
            url,
            data,
            params,
            allowAbsoluteUrls: true,
            headers,
            signal,
          }),
        fromAxios,
      );
      const next = nextHop(res.status, plainHeaders(res.headers).location, method, url, hop);
      if (!next) {
        if (res.status >= 300)
          throw errorFromResponse({
            method,
            url,
            status: res.status,
            body: res.data,
            headers: plainHeaders(res.headers),
          });
        return res;
      }
      ({ method, url } = next);
      if (!next.keepBody) data = undefined;
      params = undefined;
    }
  }

  /** One fetch attempt (streams): the same hops and checks; resolves once the response headers are in. */
  async function fetchAttempt(call: Call, body: unknown): Promise<Opened> {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== "function") throw new TypeError("streaming needs fetch(): pass createClient({ fetch })");
    let { method, url } = call;
    let payload = body === undefined ? undefined : JSON.stringify(body);
    for (let hop = 0; ; hop++) {
      const headers = await hopHeaders(call, method, url);
      if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type"))
        headers["content-type"] = "application/json";
      if (!Object.keys(headers).some((h) => h.toLowerCase() === "accept")) headers.accept = "text/event-stream";
      const controller = new AbortController();
      const onAbort = () => controller.abort(call.signal?.reason);
      call.signal?.addEventListener("abort", onAbort, { once: true });
      const release = () => call.signal?.removeEventListener("abort", onAbort);
      let res: Response;
      try {
        res = await guarded(
          call,
          method,
          url,
          async (signal) => {
            signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
            return fetchImpl(url, {
              method,
              headers,
              body: payload,
              signal: controller.signal,
              redirect: browser ? "follow" : "manual",
              credentials: withCredentials ? "include" : "same-origin",
            });
          },
          (err, details) =>
            new NetworkError({
              ...details,
              message: `${details.method} ${details.url} failed: ${messageOf(err)}`,
              cause: err,
            }),
        );
      } catch (err) {
        release();
        throw err;
      }
      const answered = res.url || url;
      const next = nextHop(res.status, res.headers.get("location") ?? undefined, method, url, hop);
      if (next || !res.ok) {
        const text = await res.text().catch(() => "");
        release();
        controller.abort();
        if (!next)
          throw errorFromResponse({
            method,
            url: answered,
            status: res.status,
            body: parseBody(text),
            headers: fetchHeaders(res.headers),
          });
        ({ method, url } = next);
        if (!next.keepBody) payload = undefined;
        continue;
      }
      return {
        response: res,
        url: answered,
        close: () => {
          release();
          controller.abort();
        },
      };
    }
  }

  /** Runs `send` with the call's signal and timeout; maps failures to typed errors. */
  async function guarded<R>(
    call: Call,
    method: string,
    url: string,
    send: (signal: AbortSignal) => Promise<R>,
    map: (err: unknown, details: ErrorDetails) => unknown,
  ): Promise<R> {
    const timeout = call.timeout ?? options.timeout;
    checkTimeout(timeout, "timeout");
    const details: ErrorDetails = { method, url };
    const { signal } = call;
    if (signal?.aborted) throw new AbortError({ ...details, cause: signal.reason });
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let timedOut = false;
    const timer = timeout
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeout)
      : undefined;
    try {
      return await send(controller.signal);
    } catch (err) {
      if (signal?.aborted) throw new AbortError({ ...details, cause: signal.reason });
      if (timedOut)
        throw new TimeoutError({
          ...details,
          message: `${method} ${url} timed out after ${timeout}ms`,
          cause: scrub(err),
        });
      throw map(err, details);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  function callOf(config: {
    method?: string;
    url?: string;
    signal?: AbortSignal;
    timeout?: number;
    headers?: unknown;
    skipRefresh?: boolean;
    retry?: boolean | number;
  }): Call {
    const method = (config.method ?? "GET").toUpperCase();
    return {
      method,
      url: resolveURL(base, config.url ?? ""),
      signal: config.signal,
      timeout: config.timeout,
      headers: config.headers as Record<string, string> | undefined,
      skipRefresh: config.skipRefresh,
      retry: config.retry,
    };
  }

  async function request<T>(config: RequestConfig): Promise<T> {
    const { signal: _s, timeout: _t, skipRefresh: _r, headers: _h, retry: _y, method: _m, url: _u, ...rest } = config;
    const call = callOf(config);
    return (await run(call, (c) => axiosAttempt(c, rest))).data as T;
  }

  async function open(config: OpenConfig): Promise<Opened> {
    const call = callOf(config);
    return run(call, (c) => fetchAttempt(c, config.body));
  }

  return { baseURL: base.href, request, open };
}
