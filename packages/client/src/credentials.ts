/**
 * Credential providers: functions from a request to the headers that
 * authenticate it. They run before every attempt (so a retry after a refresh
 * sees the new token) and only for requests to the client's own origin.
 */

/**
 * What a credential provider is told about the request it authenticates.
 *
 * @example
 * ```ts
 * const credentials = ({ method, url }: CredentialRequest) => ({ "x-signed": sign(`${method} ${url}`) });
 * ```
 */
export interface CredentialRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** The absolute URL the request goes to (always the client's origin). */
  url: string;
}

/**
 * Headers to add; `undefined`/`null` (or `{}`) adds none, e.g. when logged out.
 *
 * @example
 * ```ts
 * const headers: CredentialHeaders = session.token ? { authorization: `Bearer ${session.token}` } : undefined;
 * ```
 */
export type CredentialHeaders = Record<string, string> | undefined | null;

/**
 * Any function from a request to headers, sync or async. `bearer()` and
 * `apiKey()` build one; write your own for anything else.
 *
 * @example
 * ```ts
 * const hmac: Credentials = async ({ method, url }) => ({ "x-signature": await sign(method, url) });
 * const client = createClient({ baseURL, credentials: hmac });
 * ```
 */
export type Credentials = (request: CredentialRequest) => CredentialHeaders | Promise<CredentialHeaders>;

/**
 * A secret given as a string, or read each time from a sync or async function.
 *
 * @example
 * ```ts
 * const fromStorage: SecretSource = () => localStorage.getItem("token");
 * ```
 */
export type SecretSource = string | (() => string | null | undefined | Promise<string | null | undefined>);

/**
 * `Authorization: Bearer <token>`. Pass a function to read the current token
 * on every request (it is read again for the retry after a refresh). An empty
 * or missing token sends no header.
 *
 * @example
 * ```ts
 * createClient({ baseURL, credentials: bearer(() => session.accessToken) });
 * createClient({ baseURL, credentials: bearer(process.env.API_TOKEN!) });
 * ```
 */
export function bearer(token: SecretSource): Credentials {
  const read = reader(token, "bearer(token)");
  return async function bearerCredentials() {
    const value = await read();
    return value ? { Authorization: `Bearer ${value}` } : undefined;
  };
}

/**
 * An API key in a header of your choice, e.g. `x-api-key`. An empty or
 * missing key sends no header.
 *
 * @example
 * ```ts
 * createClient({ baseURL, credentials: apiKey("x-api-key", () => settings.apiKey) });
 * ```
 */
export function apiKey(headerName: string, key: SecretSource): Credentials {
  if (typeof headerName !== "string" || !/^[!#$%&'*+.^_`|~\w-]+$/.test(headerName)) {
    throw new TypeError(`apiKey(headerName, key): "${String(headerName)}" is not a valid header name`);
  }
  const read = reader(key, "apiKey(headerName, key)");
  return async function apiKeyCredentials() {
    const value = await read();
    return value ? { [headerName]: value } : undefined;
  };
}

function reader(source: SecretSource, where: string): () => Promise<string | null | undefined> {
  if (typeof source === "string") return () => Promise.resolve(source);
  if (typeof source === "function") return async () => source();
  throw new TypeError(`${where}: expected a string or a function, got ${typeof source}`);
}
