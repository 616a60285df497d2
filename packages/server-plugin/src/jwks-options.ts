/**
 * The JWKS options of `jwtStrategy()` (`jwksUri`, `discovery`, `jwks`) and their
 * validation; `fail` throws jwtStrategy()'s TypeError naming the fix.
 */
import { checkKeySetUrl, type JwksOptions, type JwksSourceSpec } from "./jwks";
import type { JwtAlgorithm, JwtStrategyOptions } from "./jwt-options";

type Fail = (message: string) => never;

const JWKS_KEYS = new Set(["timeoutMs", "cooldownMs", "maxAgeMs"]);

/** `jwks: { timeoutMs, cooldownMs, maxAgeMs }`: known keys, milliseconds from 1 to a day. */
export function checkJwks(jwks: unknown, fail: Fail): JwksOptions {
  if (jwks === undefined) return {};
  if (jwks === null || typeof jwks !== "object" || Array.isArray(jwks))
    fail("`jwks` must be an object { timeoutMs, cooldownMs, maxAgeMs }");
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(jwks)) {
    if (!JWKS_KEYS.has(key)) fail(`unknown option \`jwks.${key}\`; accepted: ${[...JWKS_KEYS].join(", ")}`);
    if (typeof value !== "number" || !Number.isFinite(value) || value < 1 || value > 86_400_000)
      fail(`\`jwks.${key}\` must be a number of milliseconds from 1 to 86400000`);
    out[key] = value;
  }
  return out;
}

/** The key source when the key is not static: `jwksUri` or `discovery`; algorithms must be asymmetric. */
export function checkKeySet<U>(
  options: JwtStrategyOptions<U>,
  algorithms: readonly JwtAlgorithm[],
  fail: Fail,
): JwksSourceSpec {
  for (const alg of algorithms) {
    if (alg.startsWith("HS"))
      fail(
        `algorithm ${alg} is HMAC: a JWKS holds public keys, so allow only RS/PS/ES algorithms with \`jwksUri\` or \`discovery\``,
      );
  }
  if (options.discovery !== undefined && options.discovery !== true && options.discovery !== false)
    fail("`discovery` must be true or false");
  if (options.jwksUri !== undefined) {
    if (options.discovery === true) fail("give either `jwksUri` or `discovery: true`, not both");
    if (typeof options.jwksUri !== "string" && !(options.jwksUri instanceof URL))
      fail('`jwksUri` must be a URL string, e.g. "https://auth.example.com/.well-known/jwks.json"');
    const url = checkKeySetUrl(options.jwksUri);
    if (typeof url === "string") fail(`\`jwksUri\` ${url}`);
    return { jwksUri: url };
  }
  if (typeof options.issuer !== "string")
    fail("`discovery: true` needs `issuer` as one string: the OpenID provider whose discovery document names the JWKS");
  const issuerUrl = checkKeySetUrl(options.issuer);
  if (typeof issuerUrl === "string") fail(`\`issuer\` ${issuerUrl} for \`discovery: true\``);
  return { discoverFrom: options.issuer };
}
