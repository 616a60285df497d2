/**
 * The wire details the transport shares between its axios and fetch paths:
 * redirect hops, typed errors from axios failures (scrubbed of request
 * headers), header and body conversions, abortable waits and option checks.
 */
import axios, { AxiosHeaders } from "axios";
import type { CredentialHeaders } from "./credentials";
import { AbortError, NetworkError, TimeoutError, errorFromResponse, type ErrorDetails } from "./errors";
import { redirectMethod, redirectTarget } from "./origin";

const MAX_REDIRECTS = 10;

export const ok = (status: number): boolean => status >= 200 && status < 300;
export const okOrRedirect = (status: number): boolean => status >= 200 && status < 400;

export function nextHop(status: number, location: string | undefined, method: string, url: string, hop: number) {
  let target: string | undefined;
  try {
    target = redirectTarget(status, location, url);
  } catch (err) {
    throw new NetworkError({ method, url, message: `${method} ${url} failed: ${messageOf(err)}` });
  }
  if (!target) return undefined;
  if (hop >= MAX_REDIRECTS)
    throw new NetworkError({ method, url, message: `${method} ${url} failed: more than ${MAX_REDIRECTS} redirects` });
  return { url: target, ...redirectMethod(status, method) };
}

/** A stable text of credential headers, to tell whether a refresh (here or in another tab) replaced them. */
export function fingerprint(headers: CredentialHeaders): string {
  return JSON.stringify(
    Object.entries(headers ?? {})
      .map(([k, v]) => [k.toLowerCase(), v])
      .sort(),
  );
}

export function fromAxios(err: unknown, details: ErrorDetails): unknown {
  if (!axios.isAxiosError(err)) return err;
  if (err.response) {
    // In a browser the XHR followed any redirects itself: the error came from its final URL.
    const answered = (err.request as { responseURL?: unknown } | undefined)?.responseURL;
    return errorFromResponse({
      ...details,
      url: typeof answered === "string" && answered ? answered : details.url,
      status: err.response.status,
      body: err.response.data,
      headers: plainHeaders(err.response.headers),
    });
  }
  if (axios.isCancel(err)) return new AbortError({ ...details, cause: scrub(err) });
  if (err.code === "ETIMEDOUT" || (err.code === "ECONNABORTED" && /timeout/i.test(err.message))) {
    return new TimeoutError({ ...details, cause: scrub(err) });
  }
  const reason = err.code ?? err.message;
  return new NetworkError({
    ...details,
    message: `${details.method} ${details.url} failed: ${reason}`,
    cause: scrub(err),
  });
}

/**
 * An axios error as a plain Error (name, message, code, and the underlying
 * socket error as its cause), without axios's `config` and `request`: they hold
 * the request headers, credential included, and loggers serialise causes.
 */
export function scrub(err: unknown): unknown {
  if (!axios.isAxiosError(err) && !axios.isCancel(err)) return err;
  const { name, message, code, cause } = err as { name: string; message: string; code?: string; cause?: unknown };
  const clean = new Error(message, cause === undefined ? undefined : { cause });
  clean.name = name;
  if (code !== undefined) Object.assign(clean, { code });
  return clean;
}

export function plainHeaders(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(AxiosHeaders.from(headers as AxiosHeaders).toJSON(true))) {
    out[name.toLowerCase()] = value;
  }
  return out;
}

export function fetchHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name.toLowerCase()] = value;
  });
  return out;
}

export function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, details: ErrorDetails): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortError({ ...details, cause: signal.reason }));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

export function checkTimeout(value: unknown, where: string): void {
  if (value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value >= 0)) {
    throw new TypeError(`${where} must be a non-negative number of milliseconds, got ${shown(value)}`);
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A value as an option error shows it: a primitive as itself, an object by its kind (never "[object Object]"). */
function shown(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" && value !== null ? "an object" : String(value);
}
