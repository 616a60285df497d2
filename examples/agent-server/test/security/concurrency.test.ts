/**
 * Two users, 500 requests each, all sent before any answer is awaited, their
 * kinds interleaved (create, read, search, store, and a read of the other
 * user's thread): every response belongs to its caller. A mix-up anywhere per
 * request (authentication, the guard's filter, the stamped metadata, the
 * database connection) shows up as a wrong owner, a wrong nonce or a leak.
 */
import http from "node:http";
import { openDb, type Db } from "../../src/db";
import { client, startServer, token, type TestServer } from "../support/server";

jest.setTimeout(180_000);

const PER_USER = 500;
const USERS = ["alice", "bob"] as const;
type User = (typeof USERS)[number];

interface Answer {
  status: number;
  body: any;
}

function send(agent: http.Agent, base: URL, method: string, path: string, user: User, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: {
          authorization: `Bearer ${tokens[user]}`,
          ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const tokens = { alice: token("alice"), bob: token("bob") } as Record<User, string>;
let db: Db;
let server: TestServer;
const own: Record<User, string> = { alice: "", bob: "" };

beforeAll(async () => {
  db = await openDb({ memory: true });
  server = await startServer({ db });
  for (const user of USERS) {
    const c = client(server.url, tokens[user]);
    own[user] = (await c.post("/threads", { metadata: { who: user, seed: true } })).body.thread_id;
    expect((await c.put("/store/items", { namespace: [user, "notes"], key: "k", value: { who: user } })).status).toBe(
      204,
    );
  }
}, 120_000);

afterAll(async () => {
  await server?.close();
  await db?.close();
}, 60_000);

test(`${USERS.length} users × ${PER_USER} interleaved requests in flight at once: every response belongs to its caller`, async () => {
  const base = new URL(server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const checks: Promise<string | null>[] = [];
  for (let i = 0; i < PER_USER; i++) {
    for (const user of USERS) {
      const other: User = user === "alice" ? "bob" : "alice";
      const nonce = `${user}-${i}`;
      const kind = i % 5;
      const check = async (): Promise<string | null> => {
        if (kind === 0) {
          const res = await send(agent, base, "POST", "/threads", user, {
            metadata: { nonce, who: user, owner: other },
          });
          const ok =
            res.status === 200 &&
            res.body.metadata.owner === user &&
            res.body.metadata.nonce === nonce &&
            res.body.metadata.who === user;
          return ok ? null : `${nonce} create: ${res.status} ${JSON.stringify(res.body)}`;
        }
        if (kind === 1) {
          const res = await send(agent, base, "GET", `/threads/${own[user]}`, user);
          return res.status === 200 && res.body.metadata.owner === user && res.body.metadata.who === user
            ? null
            : `${nonce} read: ${res.status} ${JSON.stringify(res.body)}`;
        }
        if (kind === 2) {
          const res = await send(agent, base, "POST", "/threads/search", user, { limit: 20 });
          const ok =
            res.status === 200 &&
            Array.isArray(res.body) &&
            res.body.length > 0 &&
            res.body.every((t: any) => t.metadata.owner === user && t.metadata.who === user);
          return ok ? null : `${nonce} search: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
        }
        if (kind === 3) {
          const res = await send(agent, base, "GET", `/store/items?namespace=${user}.notes&key=k`, user);
          return res.status === 200 && res.body.value.who === user
            ? null
            : `${nonce} store: ${res.status} ${JSON.stringify(res.body)}`;
        }
        const res = await send(agent, base, "GET", `/threads/${own[other]}`, user);
        return res.status === 404 && !JSON.stringify(res.body).includes(`"who":"${other}"`)
          ? null
          : `${nonce} foreign read: ${res.status} ${JSON.stringify(res.body)}`;
      };
      checks.push(check());
    }
  }
  const failures = (await Promise.all(checks)).filter((f): f is string => f !== null);
  agent.destroy();
  expect(failures).toEqual([]);
  expect(checks).toHaveLength(USERS.length * PER_USER);

  // Afterwards each user owns exactly the threads they created (seed + 100 each), none of the other's.
  for (const user of USERS) {
    const mine = (await client(server.url, tokens[user]).post("/threads/search", { limit: 1000 })).body as {
      metadata: { owner: string; who: string };
    }[];
    expect(mine).toHaveLength(1 + PER_USER / 5);
    expect(mine.every((t) => t.metadata.owner === user && t.metadata.who === user)).toBe(true);
  }
});
