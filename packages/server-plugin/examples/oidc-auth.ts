/**
 * README recipe "Tokens from an identity provider (OIDC/JWKS)". Tests run this
 * file against a real OpenID provider (test/oidc.test.ts) and check that the
 * README shows the marked part (test/recipes/readme.test.ts).
 */
// recipe:start
import { Auth, jwtStrategy } from "@gatehouse/express";

/** Access tokens from Auth0, Okta, Keycloak, Cognito, Entra ID…: keys from the provider's JWKS, by kid, rotated. */
export function createOidcAuth(issuer: string, audience: string) {
  return new Auth()
    .authenticate(
      jwtStrategy({
        issuer, // e.g. "https://your-tenant.eu.auth0.com/" (exactly as in the tokens' iss)
        audience, // the API identifier you registered at the provider
        discovery: true, // or jwksUri: "https://…/.well-known/jwks.json"
        algorithms: ["RS256"], // what the provider signs with; HS* is refused with a JWKS
        cache: true,
      }),
    )
    .on("threads:create", ({ user, value }) => {
      value.metadata = { ...value.metadata, owner: user.identity };
    })
    .on("*", ({ user }) => ({ owner: user.identity }));
}
// recipe:end
