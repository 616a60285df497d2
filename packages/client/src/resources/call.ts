/** What every resource method shares: one request shape and safe path building. */
import type { RequestOptions, Transport } from "../http";

export function call<T>(
  t: Transport, method: string, url: string, body?: unknown, options?: RequestOptions, params?: object,
): Promise<T> {
  return t.request<T>({
    method, url, data: body, params,
    signal: options?.signal, headers: options?.headers, timeout: options?.timeout,
  });
}

/** A path with every interpolated id percent-encoded (`/threads/${id}` cannot escape its segment). */
export function path(strings: TemplateStringsArray, ...ids: string[]): string {
  return strings.reduce((out, s, i) => {
    if (i === 0) return s;
    const id = ids[i - 1];
    if (typeof id !== "string" || id === "") throw new TypeError(`expected a non-empty id string, got ${JSON.stringify(id)}`);
    return out + encodeURIComponent(id) + s;
  }, "");
}

export const toVoid = (): void => undefined;
