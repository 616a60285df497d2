/**
 * Cookie sessions: the CSRF token for unsafe requests to the client's own
 * origin, read from a cookie (double-submit, e.g. `XSRF-TOKEN`) or given by a
 * function (a `<meta>` tag, your login response, a Node cookie jar).
 */

/**
 * `createClient({ csrf })`: where the token comes from and which header carries it.
 *
 * @example
 * ```ts
 * createClient({ baseURL: "/api", csrf: { cookie: "XSRF-TOKEN", header: "X-XSRF-TOKEN" } });
 * createClient({ baseURL, csrf: { token: () => document.querySelector("meta[name=csrf]")?.getAttribute("content") } });
 * ```
 */
export interface CsrfOptions {
  /** The cookie to read the token from (in a browser page); default `"csrf_token"` unless `token` is given. */
  cookie?: string;
  /** Or a function that returns the token (sync or async). */
  token?: () => string | null | undefined | Promise<string | null | undefined>;
  /** The request header; default `"x-csrf-token"`. */
  header?: string;
}

export type CsrfSource = (method: string) => Promise<Record<string, string> | undefined>;

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const TOKEN = /^[!#$%&'*+.^_`|~\w-]+$/;

/** A function giving the CSRF header for a method (none for safe methods), checked here. */
export function csrfSource(options: unknown): CsrfSource | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== "object")
    throw new TypeError("createClient: `csrf` must be { cookie?, token?, header? }");
  const known = ["cookie", "token", "header"];
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0)
    throw new TypeError(
      `createClient: \`csrf\`: unknown option(s) ${unknown.join(", ")}; accepted: ${known.join(", ")}`,
    );
  const { cookie, token, header = "x-csrf-token" } = options as CsrfOptions;
  if (typeof header !== "string" || !TOKEN.test(header))
    throw new TypeError(`createClient: \`csrf.header\` "${String(header)}" is not a header name`);
  if (cookie !== undefined && (typeof cookie !== "string" || !TOKEN.test(cookie)))
    throw new TypeError("createClient: `csrf.cookie` must be a cookie name");
  if (token !== undefined && typeof token !== "function")
    throw new TypeError("createClient: `csrf.token` must be a function");
  if (cookie !== undefined && token !== undefined)
    throw new TypeError("createClient: `csrf` takes `cookie` or `token`, not both");
  const read = token ?? (() => readCookie(cookie ?? "csrf_token"));
  return async (method) => {
    if (!UNSAFE.has(method)) return undefined;
    const value = await read();
    return value ? { [header]: value } : undefined;
  };
}

/** A cookie of the current page (`document.cookie`); undefined outside a page. */
export function readCookie(name: string): string | undefined {
  const jar = (globalThis as { document?: { cookie?: string } }).document?.cookie;
  if (typeof jar !== "string") return undefined;
  for (const pair of jar.split(";")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq).trim() === name) {
      const raw = pair.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return undefined;
}
