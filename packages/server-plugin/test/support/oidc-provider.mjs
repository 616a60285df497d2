// A real OpenID provider (panva's oidc-provider) for the tests, run as a child
// process (oidc-provider is ESM-only). It listens on 127.0.0.1, an ephemeral port,
// issues RS256 JWT access tokens (with kid) by the client credentials grant, and
// obeys the parent over IPC:
//   { cmd: "keys", keys: [privateJwk…] }  publish these signing keys (rotation: new first, old gone)
//   { cmd: "jwks", mode: "up" | "down" | "slow" }  down: connections reset; slow: never answers
//   { cmd: "stats" }                       how many times the JWKS was fetched
// It prints nothing; it sends { ready: issuer } once listening.
import http from "node:http";
import Provider from "oidc-provider";

const AUDIENCE = process.env.OIDC_TEST_AUDIENCE ?? "agent-api";
const CLIENT = { client_id: "ci-client", client_secret: "ci-client-secret-0123456789" };

let provider;
let handler;
let jwksMode = "up";
let jwksFetches = 0;
const hanging = new Set();

const server = http.createServer((req, res) => {
  if (req.url === "/jwks" || req.url?.startsWith("/jwks?")) {
    jwksFetches += 1;
    if (jwksMode === "down") {
      req.socket.destroy();
      return;
    }
    if (jwksMode === "slow") {
      hanging.add(res);
      return;
    }
  }
  handler(req, res);
});

function build(issuer, keys) {
  provider = new Provider(issuer, {
    clients: [
      {
        ...CLIENT,
        grant_types: ["client_credentials"],
        redirect_uris: [],
        response_types: [],
        scope: "threads:read threads:write",
      },
    ],
    jwks: { keys },
    scopes: ["threads:read", "threads:write"],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => "urn:gatehouse:agent-api",
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => ({
          scope: "threads:read threads:write",
          // A second resource whose tokens carry another audience.
          audience: resource === "urn:gatehouse:other-api" ? "other-api" : AUDIENCE,
          accessTokenTTL: 300,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
  });
  provider.on("server_error", () => {});
  handler = provider.callback();
}

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  process.on("message", (message) => {
    if (message.cmd === "keys") {
      build(issuer, message.keys);
      process.send({ ok: "keys" });
    } else if (message.cmd === "jwks") {
      jwksMode = message.mode;
      if (jwksMode !== "slow") for (const res of hanging) res.destroy();
      if (jwksMode !== "slow") hanging.clear();
      process.send({ ok: "jwks" });
    } else if (message.cmd === "stats") {
      process.send({ jwksFetches });
    }
  });
  process.send({ ready: issuer });
});

process.on("disconnect", () => {
  for (const res of hanging) res.destroy();
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
});
