import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp, type AppOptions } from "../../src/app";
import { openDb, type Db } from "../../src/db";
import { mintToken } from "../../src/tokens";

export const SECRET = "test-secret-0123456789abcdef";

/** The example app on 127.0.0.1, an ephemeral port. */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(
  options: Omit<AppOptions, "jwtSecret"> & { jwtSecret?: string },
): Promise<TestServer> {
  const app = createApp({ jwtSecret: SECRET, ...options });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
  // The tests' fetch shares this process's event loop with the server. When the loop is blocked for
  // seconds (a busy machine, a deep equality over a 1 MB body), both keep-alive timers expire together:
  // undici reuses the idle socket and the server's expired timer closes it under the request
  // ("fetch failed: other side closed", issue 16). Idle sockets stay open here; close() ends them.
  server.keepAliveTimeout = 0;
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** One HTTP call; the body is parsed when it is JSON. */
export async function call<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  } else if (body !== undefined) {
    headers["content-type"] ??= "application/json";
  }
  const response = await fetch(baseUrl + path, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = undefined;
  if ((response.headers.get("content-type") ?? "").includes("application/json") && text.length > 0)
    parsed = JSON.parse(text);
  return { status: response.status, body: parsed as T, headers: response.headers, text };
}

/** A caller bound to one token: `alice.post("/threads", {...})`. */
export function client(baseUrl: string, token?: string) {
  const as =
    (method: string) =>
    (path: string, body?: unknown, extra: Omit<CallOptions, "token" | "body"> = {}) =>
      call(baseUrl, method, path, { token, body, ...extra });
  return { get: as("GET"), post: as("POST"), put: as("PUT"), patch: as("PATCH"), delete: as("DELETE"), token };
}

export type Client = ReturnType<typeof client>;

export function token(identity: string, scopes?: readonly string[]): string {
  return mintToken(SECRET, identity, scopes ? { scopes } : {});
}

/** The app on a fresh in-memory database, shared by one test file. */
export interface MemoryServer {
  readonly db: Db;
  readonly server: TestServer;
}

/**
 * Registers `beforeAll`/`afterAll` that open an in-memory database, start the
 * app on it, and close both; read `db` and `server` inside tests.
 *
 * @example
 * const env = useMemoryServer();
 * test("…", async () => { await call(env.server.url, "GET", "/health"); });
 */
export function useMemoryServer(): MemoryServer {
  let db: Db | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    db = await openDb({ memory: true });
    server = await startServer({ db });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await db?.close();
  }, 60_000);
  return {
    get db() {
      if (!db) throw new Error("useMemoryServer(): the database is open only inside tests");
      return db;
    },
    get server() {
      if (!server) throw new Error("useMemoryServer(): the server runs only inside tests");
      return server;
    },
  };
}
