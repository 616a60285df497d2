/**
 * A small cookie-session server for tests (Node and Chromium): POST /login
 * sets an HttpOnly session cookie and a readable `csrf_token` cookie (the
 * double-submit pattern); GET /me needs the session; POST, PUT, PATCH and
 * DELETE also need the `x-csrf-token` header to equal the session's token.
 * CORS with credentials for the origins given. Every request is recorded.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface CookieSessionServer {
  url: string;
  received: Array<{ method: string; url: string; cookie?: string; csrf?: string; origin?: string }>;
  close(): Promise<void>;
}

export async function startCookieSessionServer(options: { corsOrigins?: string[] } = {}): Promise<CookieSessionServer> {
  const sessions = new Map<string, { user: string; csrf: string }>();
  const received: CookieSessionServer["received"] = [];
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    const cookies = Object.fromEntries(
      (req.headers.cookie ?? "")
        .split(";")
        .map((c) => c.trim().split("="))
        .filter((p) => p.length === 2),
    );
    const send = (status: number, body: unknown, headers: Record<string, string | string[]> = {}) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
      res.end(JSON.stringify(body));
    };
    if (origin && options.corsOrigins?.includes(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-allow-credentials", "true");
      res.setHeader("vary", "Origin");
      if (req.method === "OPTIONS") {
        res.setHeader("access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE");
        res.setHeader("access-control-allow-headers", req.headers["access-control-request-headers"] ?? "content-type");
        res.writeHead(204);
        return void res.end();
      }
    }
    received.push({
      method: req.method ?? "",
      url: req.url ?? "",
      cookie: req.headers.cookie,
      csrf: req.headers["x-csrf-token"] as string | undefined,
      origin,
    });
    req.resume();
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/login") {
        const sid = randomBytes(16).toString("hex");
        const csrf = randomBytes(16).toString("hex");
        sessions.set(sid, { user: "alice", csrf });
        return send(
          200,
          { user: "alice" },
          {
            "set-cookie": [`sid=${sid}; HttpOnly; Path=/; SameSite=Lax`, `csrf_token=${csrf}; Path=/; SameSite=Lax`],
          },
        );
      }
      const session = sessions.get(cookies.sid ?? "");
      if (!session) return send(401, { error: "credentials_required", message: "Log in first" });
      if (!["GET", "HEAD", "OPTIONS"].includes(req.method ?? "") && req.headers["x-csrf-token"] !== session.csrf) {
        return send(403, { error: "forbidden", message: "CSRF token missing or wrong" });
      }
      send(200, { user: session.user, method: req.method, url: req.url });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
