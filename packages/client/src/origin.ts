/**
 * URL resolution with axios's rules (a URL starting with `scheme://` or `//`
 * is absolute, anything else is appended to the base URL), so the URL whose
 * origin decides about credentials is exactly the URL that gets requested.
 */
const ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/** Resolve the client's `baseURL`, which may be relative to the page in a browser. */
export function resolveBaseURL(baseURL: string): URL {
  if (typeof baseURL !== "string" || baseURL === "") {
    throw new TypeError("createClient: `baseURL` is required (e.g. \"https://api.example.com\")");
  }
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  let url: URL;
  try {
    url = new URL(baseURL, page);
  } catch {
    throw new TypeError(`createClient: \`baseURL\` "${baseURL}" is not an absolute URL` +
      (page ? "" : " (relative base URLs only work in a browser page)"));
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
