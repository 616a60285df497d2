/**
 * URL resolution with axios's rules (a URL starting with `scheme://` or `//`
 * is absolute, anything else is appended to the base URL), so the URL whose
 * origin decides about credentials is exactly the URL that gets requested.
 */
const ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/** Resolve the client's `baseURL`, which may be relative to the page in a browser. */
export function resolveBaseURL(baseURL: string): URL {
  if (typeof baseURL !== "string" || baseURL === "") {
    throw new TypeError('createClient: `baseURL` is required (e.g. "https://api.example.com")');
  }
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  let url: URL;
  try {
    url = new URL(baseURL, page);
  } catch {
    throw new TypeError(
      `createClient: \`baseURL\` "${baseURL}" is not an absolute URL` +
        (page ? "" : " (relative base URLs only work in a browser page)"),
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`createClient: \`baseURL\` must be http(s), got "${url.protocol}"`);
  }
  return url;
}

/** The absolute URL a request for `url` goes to. */
export function resolveURL(base: URL, url: string): string {
  if (ABSOLUTE.test(url)) return new URL(url, base).href;
  const root = base.href.replace(/\/+$/, "");
  return url ? `${root}/${url.replace(/^\/+/, "")}` : base.href;
}

/** Whether `url` (absolute) is on the same origin as `base`. */
export function isSameOrigin(base: URL, url: string): boolean {
  try {
    return new URL(url).origin === base.origin;
  } catch {
    return false;
  }
}

/** The origin of an absolute URL, or "" when it has none. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "";
  }
}

/**
 * In a browser (page or worker) the browser follows redirects itself and
 * applies its own rules; elsewhere the client follows them one hop at a time.
 */
export function inBrowser(): boolean {
  const g = globalThis as { document?: unknown; importScripts?: unknown };
  return g.document !== undefined || typeof g.importScripts === "function";
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Where a redirect response leads (absolute), or undefined when `status` is
 * not a redirect with a usable `Location`. A Location that is not http(s) is
 * an error: the client never follows one.
 */
export function redirectTarget(status: number, location: unknown, from: string): string | undefined {
  if (!REDIRECTS.has(status) || typeof location !== "string" || location === "") return undefined;
  const next = new URL(location, from);
  if (next.protocol !== "http:" && next.protocol !== "https:")
    throw new TypeError(`redirect to a ${next.protocol} URL`);
  return next.href;
}

/** The method (and whether the body is kept) after a redirect, as browsers and fetch do it. */
export function redirectMethod(status: number, method: string): { method: string; keepBody: boolean } {
  if (status === 303 && method !== "GET" && method !== "HEAD") return { method: "GET", keepBody: false };
  if ((status === 301 || status === 302) && method === "POST") return { method: "GET", keepBody: false };
  return { method, keepBody: true };
}
