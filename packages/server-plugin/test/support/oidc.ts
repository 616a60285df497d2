/**
 * Starts the real OpenID provider of test/support/oidc-provider.mjs as a child
 * process and drives it: signing keys, JWKS outages, fetch counts, and access
 * tokens by the client credentials grant (the real token endpoint).
 */
import { fork, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import path from "node:path";

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  /** The private JWK (with kid, alg, use) the provider signs with. */
  jwk: Record<string, unknown>;
}

/** A fresh RSA signing key with a random kid. */
export function rsaKey(): SigningKey {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...privateKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } };
}

export interface OidcProvider {
  readonly issuer: string;
  readonly jwksUri: string;
  publish(keys: readonly SigningKey[]): Promise<void>;
  jwks(mode: "up" | "down" | "slow"): Promise<void>;
  jwksFetches(): Promise<number>;
  /** An access token from the token endpoint (client credentials), for `resource` (audience agent-api by default). */
  token(scope?: string, resource?: string): Promise<string>;
  stop(): Promise<void>;
}

function ask<T>(child: ChildProcess, message: object, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Record<string, unknown>) => {
      if (key in reply) {
        child.off("message", onMessage);
        resolve(reply[key] as T);
      }
    };
    child.on("message", onMessage);
    child.send(message, (err) => err && reject(err));
  });
}

/** Starts the provider with `keys` published. */
export async function startOidcProvider(keys: readonly SigningKey[]): Promise<OidcProvider> {
  const child = fork(path.join(__dirname, "oidc-provider.mjs"), [], { stdio: ["ignore", "ignore", "ignore", "ipc"] });
  const issuer = await new Promise<string>((resolve, reject) => {
    child.once("message", (m: { ready?: string }) =>
      m.ready ? resolve(m.ready) : reject(new Error("unexpected message")),
    );
    child.once("exit", (code) => reject(new Error(`the OpenID provider exited with ${code}`)));
  });
  const provider: OidcProvider = {
    issuer,
    jwksUri: `${issuer}/jwks`,
    publish: async (k) => void (await ask(child, { cmd: "keys", keys: k.map((key) => key.jwk) }, "ok")),
    jwks: async (mode) => void (await ask(child, { cmd: "jwks", mode }, "ok")),
    jwksFetches: () => ask<number>(child, { cmd: "stats" }, "jwksFetches"),
    async token(scope = "threads:read", resource) {
      const body = new URLSearchParams({ grant_type: "client_credentials", scope });
      if (resource) body.set("resource", resource);
      const res = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from("ci-client:ci-client-secret-0123456789").toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body,
      });
      const json = (await res.json()) as { access_token?: string };
      if (!json.access_token) throw new Error(`no access token: ${JSON.stringify(json)}`);
      return json.access_token;
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.disconnect();
      }),
  };
  await provider.publish(keys);
  return provider;
}
