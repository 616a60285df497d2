/** The response headers that errors expose parsed: `WWW-Authenticate` and `Retry-After`. */

/**
 * A parsed `WWW-Authenticate` challenge (RFC 7235), e.g. `Bearer error="invalid_token"`.
 *
 * @example
 * ```ts
 * // WWW-Authenticate: Bearer realm="api", error="invalid_token"
 * err.challenge; // { scheme: "Bearer", params: { realm: "api", error: "invalid_token" } }
 * ```
 */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse the first challenge of a `WWW-Authenticate` header. */
export function parseChallenge(header: string | undefined): AuthChallenge | undefined {
  const m = header ? /^\s*([!#$%&'*+.^_`|~\w-]+)\s*(.*)$/.exec(header) : null;
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const param = /([!#$%&'*+.^_`|~\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,\s*|$)/y;
  let rest = m[2];
  let p: RegExpExecArray | null;
  while (((param.lastIndex = 0), (p = param.exec(rest)))) {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
    rest = rest.slice(param.lastIndex);
  }
  return { scheme: m[1], params };
}

/** `Retry-After` as seconds: delta-seconds, or an HTTP date relative to now (never negative). */
export function parseRetryAfter(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
