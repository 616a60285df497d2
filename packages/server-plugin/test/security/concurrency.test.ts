/**
 * No shared per-request state inside Gatehouse: one passport-jwt strategy
 * instance (shared by every request, as Passport strategies are) with an async
 * verify that finishes in a random order, async handlers that also yield a
 * random number of times, and 2 users × 500 requests in flight at once. Each
 * response must carry its own caller's identity, permissions, filter and nonce.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { ExtractJwt, Strategy as JwtStrategy } from "passport-jwt";
import { Auth } from "../../src/index";
import { memoryLogger, SECRET, token } from "../support/jwt-app";

const PER_USER = 500;
jest.setTimeout(120_000); // 1,000 requests on a busy 2-core machine can take more than the default 5 s

/** Yields to the event loop 0–5 times, so verifications and handlers finish out of order. */
async function jitter(): Promise<void> {
  for (let n = Math.floor(Math.random() * 6); n > 0; n--)
    await new Promise((resolve) => (n % 2 ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

const strategy = new JwtStrategy(
  {
    jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
    secretOrKey: SECRET,
    algorithms: ["HS256"],
    passReqToCallback: true,
  },
  (async (
    req: http.IncomingMessage,
    payload: { sub: string; scopes: string[] },
    done: (err: unknown, user?: unknown) => void,
  ) => {
    await jitter();
    done(null, { identity: payload.sub, permissions: payload.scopes, nonce_at_verify: req.headers["x-nonce"] });
  }) as never,
);

const auth = new Auth({ logger: memoryLogger() }).authenticate(strategy).on("threads:read", async ({ user, value }) => {
  await jitter();
  return { owner: user.identity, nonce: (value as unknown as { nonce: string }).nonce };
});

const app = express();
app.use(auth.middleware());
app.get(
  "/threads/:nonce",
  auth.guard("threads:read", { value: (req) => ({ thread_id: req.params.nonce as string, nonce: req.params.nonce }) }),
  async (req, res) => {
    await jitter();
    const user = req.auth!.user as { identity: string; nonce_at_verify?: string };
    res.json({
      identity: user.identity,
      reqUser: (req.user as { identity: string }).identity,
      permissions: req.auth!.permissions,
      filters: req.auth!.filters,
      verifiedNonce: user.nonce_at_verify,
    });
  },
);

let server: http.Server;
let port: number;
beforeAll(async () => {
  server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function get(agent: http.Agent, path: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    http
      .get({ agent, host: "127.0.0.1", port, path, headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      })
      .on("error", reject);
  });
}

test(`2 users × ${PER_USER} requests in flight at once through one shared strategy: each response is its caller's`, async () => {
  const users = {
    alice: token("alice", ["threads:read", "alice:only"]),
    bob: token("bob", ["threads:read", "bob:only"]),
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
  const pending: Promise<string | null>[] = [];
  for (let i = 0; i < PER_USER; i++) {
    for (const [user, jwt] of Object.entries(users)) {
      const nonce = `${user}-${i}`;
      pending.push(
        get(agent, `/threads/${nonce}`, { authorization: `Bearer ${jwt}`, "x-nonce": nonce }).then(
          ({ status, body }) => {
            const expected = {
              identity: user,
              reqUser: user,
              permissions: ["threads:read", `${user}:only`],
              filters: { owner: user, nonce },
              verifiedNonce: nonce,
            };
            return status === 200 && JSON.stringify(body) === JSON.stringify(expected)
              ? null
              : `${nonce}: ${status} ${JSON.stringify(body)}`;
          },
        ),
      );
    }
  }
  const failures = (await Promise.all(pending)).filter((f) => f !== null);
  agent.destroy();
  expect(failures).toEqual([]);
});
