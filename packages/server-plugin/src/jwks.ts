/**
 * The signing keys of a JSON Web Key Set (JWKS) URL, for `jwtStrategy({ jwksUri })`:
 * fetched and cached by jose's `createRemoteJWKSet` (key chosen by `kid`, a token
 * without `kid` refused when the set has several keys, an unknown `kid` refetches
 * the set at most once per cooldown), with Gatehouse's rules around it:
 * - a key is only handed out for an algorithm the strategy allows and the key fits;
 * - "the JWKS cannot be fetched" (down, slow, not 200, not JSON) is an outage, a 503,
 *   never a 401 that would make clients throw away good tokens; while it lasts, at
 *   most one fetch a second is attempted, and each failed fetch is one log line;
 * - nothing of the URL or the network error reaches the caller.
 */
import type { KeyObject } from "node:crypto";
import { HTTPException } from "./errors";

/** Tuning of the JWKS fetches. Defaults suit most providers. */
export interface JwksOptions {
  /** Longest time one fetch of the key set (or of the discovery document) may take, in ms. Default 5000. */
  timeoutMs?: number;
  /** An unknown `kid` refetches the set only if the last fetch is older than this, in ms. Default 30000. */
  cooldownMs?: number;
  /** The set is refetched when older than this, in ms. Default 600000 (10 minutes). */
  maxAgeMs?: number;
}

/** What finding the key for one token came to. */
export type KeyLookup =
  | { readonly kind: "key"; readonly key: KeyObject }
  | { readonly kind: "rejected"; readonly reason: string }
  | { readonly kind: "unavailable"; readonly error: HTTPException };

/** Where a JWKS comes from: its URL, or an OpenID Connect issuer whose discovery document names it. */
export type JwksSourceSpec = { readonly jwksUri: URL } | { readonly discoverFrom: string };

export interface JwksLogger {
  error(message: string, cause?: unknown): void;
}

const RETRY_AFTER_FAILURE_MS = 1000;
const KEY_FAMILY: Record<string, (key: KeyObject, alg: string) => boolean> = {
  R: (key, alg) => key.asymmetricKeyType === "rsa" || (key.asymmetricKeyType === "rsa-pss" && alg.startsWith("PS")),
  P: (key, alg) => key.asymmetricKeyType === "rsa" || (key.asymmetricKeyType === "rsa-pss" && alg.startsWith("PS")),
  E: (key, alg) =>
    key.asymmetricKeyType === "ec" &&
    key.asymmetricKeyDetails?.namedCurve ===
      ({ ES256: "prime256v1", ES384: "secp384r1", ES512: "secp521r1" } as Record<string, string>)[alg],
};

/** True for `localhost`, `127.0.0.0/8` and `[::1]`: the hosts a development JWKS may be served from over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Checks a JWKS or issuer URL: https, or http on a loopback host; no credentials in it. Returns the parsed URL or a reason. */
export function checkKeySetUrl(value: string | URL): URL | string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return "is not a URL";
  }
  if (url.username || url.password) return "must not carry credentials";
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return url;
  return "must be an https:// URL (plain http is accepted only for localhost and 127.0.0.1, for development)";
}

type RemoteSet = ((header: { alg: string; kid?: string }) => Promise<unknown>) & { reload(): Promise<void> };
type JoseModule = {
  createRemoteJWKSet(
    url: URL,
    options: { timeoutDuration: number; cooldownDuration: number; cacheMaxAge: number },
  ): RemoteSet;
  decodeProtectedHeader(token: string): Record<string, unknown>;
};

let jose: JoseModule | undefined;
function loadJose(): JoseModule {
  // Loaded on first use so that apps without `jwksUri` never load it.
  return (jose ??= require("jose") as JoseModule);
}

/** jose errors that mean "this token has no usable key in the set", not "the set is unavailable". */
const TOKEN_FAULTS: Record<string, string> = {
  ERR_JWKS_NO_MATCHING_KEY: "no key in the JWKS matches the token's kid and alg",
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: "the token has no kid and the JWKS has several keys that fit",
  ERR_JOSE_NOT_SUPPORTED: "the token's alg is not supported",
  ERR_JWS_INVALID: "the token's header is not valid",
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: "ERR_JWKS_TIMEOUT" })),
      ms,
    );
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The keys of one JWKS. `keyFor(token)` never rejects: it resolves to a key, a
 * rejection (the token is at fault: 401), or an outage (503).
 *
 * @example
 * const keys = new JwksKeySource({ jwksUri: new URL("https://auth.example.com/.well-known/jwks.json") }, ["RS256"], {}, console);
 * const found = await keys.keyFor(token); // { kind: "key", key } | { kind: "rejected", reason } | { kind: "unavailable", error }
 */
export class JwksKeySource {
  private remote: RemoteSet | undefined;
  private resolving: Promise<RemoteSet> | undefined;
  private failedUntil = 0;
  private readonly timeoutMs: number;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly label: string;

  constructor(
    private readonly spec: JwksSourceSpec,
    private readonly algorithms: readonly string[],
    options: JwksOptions,
    private readonly logger: JwksLogger,
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.maxAgeMs = options.maxAgeMs ?? 600_000;
    this.label =
      "jwksUri" in spec ? `the JWKS at ${spec.jwksUri.href}` : `the OpenID Connect discovery of ${spec.discoverFrom}`;
  }

  async keyFor(token: string): Promise<KeyLookup> {
    let header: Record<string, unknown>;
    try {
      header = loadJose().decodeProtectedHeader(token);
    } catch {
      return { kind: "rejected", reason: "the token's header could not be decoded" };
    }
    const alg = header.alg;
    if (typeof alg !== "string" || !this.algorithms.includes(alg))
      return { kind: "rejected", reason: `the token's alg ${JSON.stringify(alg)} is not allowed` };
    if (header.kid !== undefined && typeof header.kid !== "string")
      return { kind: "rejected", reason: "the token's kid is not a string" };
    if (Date.now() < this.failedUntil) return this.unavailable();
    let key: unknown;
    try {
      const remote = await this.remoteSet();
      key = await withTimeout(remote({ alg, kid: header.kid }), this.timeoutMs);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === "string" && TOKEN_FAULTS[code]) return { kind: "rejected", reason: TOKEN_FAULTS[code] };
      this.failedUntil = Date.now() + Math.min(RETRY_AFTER_FAILURE_MS, this.cooldownMs);
      this.logger.error(
        `[gatehouse] jwtStrategy(): ${this.label} could not be fetched (${describe(err)}); answering 503 until it can`,
        err,
      );
      return this.unavailable();
    }
    const keyObject = key as KeyObject;
    if (
      !keyObject ||
      typeof keyObject !== "object" ||
      keyObject.type !== "public" ||
      !KEY_FAMILY[alg[0]]?.(keyObject, alg)
    ) {
      return { kind: "rejected", reason: `the JWKS key for this kid does not fit alg ${alg}` };
    }
    return { kind: "key", key: keyObject };
  }

  private unavailable(): KeyLookup {
    return {
      kind: "unavailable",
      error: new HTTPException(503, {
        message: "The signing keys of the token issuer are unavailable; try again shortly",
        headers: { "Retry-After": "1" },
      }),
    };
  }

  private remoteSet(): Promise<RemoteSet> {
    if (this.remote) return Promise.resolve(this.remote);
    this.resolving ??= this.jwksUrl()
      .then((url) => {
        this.remote = loadJose().createRemoteJWKSet(url, {
          timeoutDuration: this.timeoutMs,
          cooldownDuration: this.cooldownMs,
          cacheMaxAge: this.maxAgeMs,
        });
        return this.remote;
      })
      .finally(() => {
        this.resolving = undefined;
      });
    return this.resolving;
  }

  /** The JWKS URL: given, or read from the issuer's `/.well-known/openid-configuration`. */
  private async jwksUrl(): Promise<URL> {
    if ("jwksUri" in this.spec) return this.spec.jwksUri;
    const issuer = this.spec.discoverFrom;
    const where = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const response = await withTimeout(
      fetch(where, { redirect: "error", signal: AbortSignal.timeout(this.timeoutMs) }),
      this.timeoutMs,
    );
    if (response.status !== 200) throw new Error(`the discovery document answered ${response.status}`);
    const document = (await withTimeout(response.json(), this.timeoutMs)) as { issuer?: unknown; jwks_uri?: unknown };
    if (document.issuer !== issuer)
      throw new Error(
        `the discovery document names issuer ${JSON.stringify(document.issuer)}, not ${JSON.stringify(issuer)}`,
      );
    const url = typeof document.jwks_uri === "string" ? checkKeySetUrl(document.jwks_uri) : "is missing";
    if (typeof url === "string") throw new Error(`the discovery document's jwks_uri ${url}`);
    return url;
  }
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.code === "string" ? e.code : typeof e?.cause?.code === "string" ? e.cause.code : undefined;
  const message = typeof e?.message === "string" ? e.message : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
