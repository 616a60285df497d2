/** What every resource method shares: one request shape and safe path building. */
import { InvalidArgumentError } from "../errors";
import type { RequestOptions, Transport } from "../http";

export function call<T>(
  t: Transport,
  method: string,
  url: string,
  body?: unknown,
  options?: RequestOptions,
  params?: object,
): Promise<T> {
  return t.request<T>({
    method,
    url,
    data: body,
    params,
    signal: options?.signal,
    headers: options?.headers,
    timeout: options?.timeout,
    retry: options?.retry,
  });
}

/**
 * A path with every interpolated id percent-encoded. `encodeURIComponent`
 * leaves `.` and `..` alone and URL resolution would then climb out of the
 * segment (`/threads/..` is `/`), so those ids, like empty ones, are refused
 * with `InvalidArgumentError` before anything is sent.
 */
export function path(strings: TemplateStringsArray, ...ids: string[]): string {
  return strings.reduce((out, s, i) => {
    if (i === 0) return s;
    return out + segment(ids[i - 1]) + s;
  }, "");
}

/** One id as one path segment, or `InvalidArgumentError`. */
export function segment(id: unknown): string {
  if (typeof id !== "string" || id === "" || id === "." || id === "..") {
    throw new InvalidArgumentError(
      `expected an id (a non-empty string other than "." and ".."), got ${JSON.stringify(id) ?? String(id)}`,
    );
  }
  return encodeURIComponent(id);
}

export const toVoid = (): void => undefined;
