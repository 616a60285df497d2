/**
 * The client for real frontends, in Debian's Chromium (playwright-core), with
 * the bundled client (packages/client/dist/browser/gatehouse-client.js):
 * - a chat page streams a run from the agent server on another origin and
 *   renders its parts in order, also through a proxy that cuts the stream
 *   after its first event (the page resumes through the join route);
 * - two tabs of one origin whose shared token is stale refresh once between
 *   them, through Web Locks (and twice without the lock: the lock is what does it);
 * - cookie mode: withCredentials and the CSRF header from a cookie against a
 *   cookie-session server started here.
 * Without Chromium this suite is skipped with a message, except with CI=true.
 */
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createApp } from "../src/app";
import { openDb, type Db } from "../src/db";
import jwt from "jsonwebtoken";
import { ALL_SCOPES, mintToken } from "../src/tokens";
import {
  startCookieSessionServer,
  type CookieSessionServer,
} from "../../../packages/client/test/helpers/cookie-session";
import { BUNDLE, CHROMIUM, LAUNCH_ARGS, close, haveChromium, listen, onCI } from "./support/browser";
import { forward } from "./support/cutting-proxy";
import { SECRET, token } from "./support/server";

declare const window: { chat: Promise<any>; go(): Promise<any>; cookies: Promise<any> };
declare const document: { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> };
declare const localStorage: { setItem(key: string, value: string): void; getItem(key: string): string | null };

jest.setTimeout(90_000);

if (!haveChromium && !onCI) {
  test.skip(`skipped: Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium); with CI=true this suite fails instead`, () =>
    undefined);
}

const PAGES: Record<string, string> = {
  "/chat.html":
    '<!doctype html><meta charset="utf-8"><title>chat</title><ol id="parts"></ol><div id="messages"></div><script type="module" src="/chat.js"></script>',
  "/tab.html": '<!doctype html><meta charset="utf-8"><title>tab</title><script type="module" src="/tab.js"></script>',
  "/cookies.html":
    '<!doctype html><meta charset="utf-8"><title>cookies</title><script type="module" src="/cookies.js"></script>',
};

(haveChromium || onCI ? describe : describe.skip)("@gatehouse/client in Chromium: streaming, tabs, cookies", () => {
  let db: Db;
  let browser: Browser | undefined;
  let site: Awaited<ReturnType<typeof listen>>;
  let api: Awaited<ReturnType<typeof listen>>;
  let proxy: Awaited<ReturnType<typeof listen>>;
  let cookieApp: CookieSessionServer;
  let tokensIssued: string[] = [];
  /** POST /token waits for this before answering (the tab test holds it until both tabs got their 401). */
  let tokenGate: () => Promise<void> = () => Promise.resolve();
  let proxyCuts = 0;
  /** Drops the cut stream's connection; the chat page asks for it (POST /drop) once it rendered the first part. */
  let dropCut: (() => void) | undefined;
  const contexts: BrowserContext[] = [];

  function staticSite(req: IncomingMessage, res: ServerResponse): void {
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    const { pathname } = new URL(req.url!, "http://x");
    if (req.method === "GET" && PAGES[pathname]) return send(200, "text/html; charset=utf-8", PAGES[pathname]);
    if (req.method === "GET" && /^\/(chat|tab|cookies)\.js$/.test(pathname)) {
      return send(
        200,
        "text/javascript; charset=utf-8",
        readFileSync(path.join(__dirname, "browser", pathname.slice(1))),
      );
    }
    if (req.method === "GET" && pathname === "/gatehouse-client.js")
      return send(200, "text/javascript; charset=utf-8", readFileSync(BUNDLE));
    if (req.method === "POST" && pathname === "/drop") {
      dropCut?.();
      dropCut = undefined;
      return send(204, "text/plain", "");
    }
    if (req.method === "POST" && pathname === "/token") {
      void tokenGate().then(() => {
        const fresh = token("alice");
        tokensIssued.push(fresh);
        send(200, "application/json", JSON.stringify({ access_token: fresh }));
      });
      return;
    }
    send(404, "text/plain", "not found");
  }

  /** Forwards to the API; the first `proxyCuts` run streams are cut after their first event (see POST /drop). */
  function cuttingProxy(req: IncomingMessage, res: ServerResponse): void {
    const cut = req.method === "POST" && /\/runs\/stream$/.test(req.url!) && proxyCuts > 0;
    if (cut) proxyCuts--;
    forward(req, res, api.origin, cut ? { onFirstEvent: (drop) => (dropCut = drop) } : undefined);
  }

  beforeAll(async () => {
    if (!haveChromium)
      throw new Error(`Chromium is missing at ${CHROMIUM} and CI is set: install it (apt-get install -y chromium)`);
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run "npm run build" at the root`);
    db = await openDb({ memory: true });
    site = await listen(staticSite);
    api = await listen(createApp({ db, jwtSecret: SECRET, corsOrigins: [site.origin] }));
    proxy = await listen(cuttingProxy);
    cookieApp = await startCookieSessionServer({ corsOrigins: [site.origin] });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await Promise.all([close(site?.server), close(api?.server), close(proxy?.server), cookieApp?.close()]);
    await db?.close();
  }, 60_000);

  beforeEach(() => {
    tokensIssued = [];
    tokenGate = () => Promise.resolve();
    for (const s of [site, api, proxy]) s?.seen.splice(0);
  });

  async function newContext(): Promise<{ context: BrowserContext; log: string[]; page: () => Promise<Page> }> {
    const context = await browser!.newContext();
    contexts.push(context);
    const log: string[] = [];
    return {
      context,
      log,
      page: async () => {
        const page = await context.newPage();
        page.on("pageerror", (error) => log.push(`pageerror: ${error.message}`));
        page.on("console", (message) => log.push(`console.${message.type()}: ${message.text()}`));
        return page;
      },
    };
  }

  async function chat(apiOrigin: string, dropAfterFirstPart = false) {
    const { context, log, page: open } = await newContext();
    const page = await open();
    const jwt = token("alice");
    const query = new URLSearchParams({ api: apiOrigin, token: jwt, say: "What is my refund?" });
    if (dropAfterFirstPart) query.set("drop", `${site.origin}/drop`);
    await page.goto(`${site.origin}/chat.html?${query.toString()}`);
    const result = await page
      .evaluate(() => window.chat)
      .catch((error: Error) => {
        throw new Error(`the chat page failed: ${error.message}\n${log.join("\n")}`);
      });
    const parts = await page.evaluate(() => Array.from(document.querySelectorAll("#parts li"), (li) => li.textContent));
    const messages = await page.evaluate(() =>
      Array.from(document.querySelectorAll("#messages p"), (p) => p.textContent),
    );
    await context.close();
    expect(log.filter((line) => line.startsWith("pageerror"))).toEqual([]);
    return { result, parts, messages, jwt };
  }

  test("a chat page streams a run and renders its parts in order", async () => {
    const { result, parts, messages, jwt } = await chat(api.origin);
    expect(parts).toEqual(["0 metadata", "1 updates", "2 values"]);
    expect(messages).toEqual(["human: What is my refund?", "ai: What is my refund?"]);
    expect(result.stateless).toEqual(["metadata", "values"]);
    const preflights = api.seen.filter((r) => r.method === "OPTIONS");
    expect(preflights).toContainEqual(
      expect.objectContaining({ url: `/threads/${result.threadId}/runs/stream`, requestMethod: "POST" }),
    );
    expect(
      api.seen
        .filter((r) => r.method === "POST" && r.url.endsWith("/runs/stream"))
        .every((r) => r.authorization === `Bearer ${jwt}`),
    ).toBe(true);
  });

  test("a stream cut after its first event resumes through the join route with Last-Event-ID", async () => {
    proxyCuts = 1;
    const { result, parts, messages, jwt } = await chat(proxy.origin, true);
    expect(parts).toEqual(["0 metadata", "1 updates", "2 values"]);
    expect(messages).toEqual(["human: What is my refund?", "ai: What is my refund?"]);
    const joins = proxy.seen.filter(
      (r) => r.method === "GET" && r.url.startsWith(`/threads/${result.threadId}/runs/`) && r.url.endsWith("/stream"),
    );
    expect(joins).toEqual([expect.objectContaining({ lastEventId: "0", authorization: `Bearer ${jwt}` })]);
  });

  async function twoTabs(params: Record<string, string>, stale: string) {
    const { log, page: open } = await newContext(); // one context: the tabs share localStorage and Web Locks
    const query = new URLSearchParams({ api: api.origin, ...params });
    const tabs = [await open(), await open()];
    for (const tab of tabs) await tab.goto(`${site.origin}/tab.html?${query.toString()}`);
    await tabs[0].evaluate((jwt) => localStorage.setItem("token", jwt), stale);
    const results = await Promise.all(tabs.map((tab) => tab.evaluate(() => window.go()))).catch((error: Error) => {
      throw new Error(`a tab failed: ${error.message}\n${log.join("\n")}`);
    });
    const stored = await tabs[1].evaluate(() => localStorage.getItem("token"));
    expect(log.filter((line) => line.startsWith("pageerror"))).toEqual([]);
    return { results, stored };
  }

  /** Holds POST /token until both tabs' calls with the stale token have reached the API (or 10 s passed). */
  function holdTokenUntilBothTabsFailed(stale: string): void {
    tokenGate = async () => {
      for (
        let i = 0;
        i < 1000 && api.seen.filter((r) => r.method !== "OPTIONS" && r.authorization === `Bearer ${stale}`).length < 2;
        i++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
  }

  test("two tabs that both get a 401 share one refresh through Web Locks", async () => {
    const stale = mintToken(SECRET, "alice", { expiresIn: -60 });
    holdTokenUntilBothTabsFailed(stale);
    const { results, stored } = await twoTabs({ margin: "0" }, stale);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(results.every((r) => r.hasLocks)).toBe(true);
    expect(tokensIssued).toHaveLength(1); // the second tab waited on the lock, saw the new token, and did not refresh
    expect(results.map((r) => r.refreshCalls).sort()).toEqual([0, 1]);
    expect(stored).toBe(tokensIssued[0]);
  });

  test("without the lock (refreshLock: false) the same two tabs refresh twice", async () => {
    const stale = mintToken(SECRET, "alice", { expiresIn: -60 });
    holdTokenUntilBothTabsFailed(stale);
    const { results } = await twoTabs({ margin: "0", lock: "off" }, stale);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(tokensIssued).toHaveLength(2);
  });

  test("two tabs with a token about to expire refresh once, ahead of expiry, before any 401", async () => {
    // An hour-long token with 30 s left: inside the default 60 s margin.
    const stale = jwt.sign({ scopes: [...ALL_SCOPES], iat: Math.floor(Date.now() / 1000) - 3_570 }, SECRET, {
      algorithm: "HS256",
      subject: "alice",
      expiresIn: 3_600,
    });
    tokenGate = () => new Promise((resolve) => setTimeout(resolve, 300));
    const { results, stored } = await twoTabs({ margin: "60000" }, stale);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect({ issued: tokensIssued.length, calls: results.map((r) => r.refreshCalls) }).toEqual({
      issued: 1,
      calls: expect.arrayContaining([1]),
    });
    expect(stored).toBe(tokensIssued[0]);
    expect(api.seen.filter((r) => r.authorization === `Bearer ${stale}`)).toEqual([]);
  });

  test("cookie mode: withCredentials, and the CSRF header from the cookie on unsafe methods only", async () => {
    cookieApp.received.length = 0;
    const { context, log, page: open } = await newContext();
    const page = await open();
    await page.goto(`${site.origin}/cookies.html?${new URLSearchParams({ app: cookieApp.url }).toString()}`);
    const result = await page
      .evaluate(() => window.cookies)
      .catch((error: Error) => {
        throw new Error(`the cookies page failed: ${error.message}\n${log.join("\n")}`);
      });
    await context.close();

    expect(result.login).toEqual({ ok: true, value: { user: "alice" } });
    expect(result.csrfCookieReadable).toBe(true);
    expect(result.me).toEqual({ ok: true, value: { user: "alice", method: "GET", url: "/me" } });
    expect(result.note).toEqual({ ok: true, value: { user: "alice", method: "POST", url: "/notes" } });
    expect(result.removed).toEqual({ ok: true, value: { user: "alice", method: "DELETE", url: "/notes/1" } });
    expect(result.withoutCookies).toEqual({
      ok: false,
      error: expect.objectContaining({ name: "UnauthorizedError", code: "credentials_required", status: 401 }),
    });
    expect(result.withoutCsrf).toEqual({
      ok: false,
      error: expect.objectContaining({
        name: "ForbiddenError",
        code: "forbidden",
        message: "CSRF token missing or wrong",
      }),
    });

    const calls = cookieApp.received.map((r) => ({
      call: `${r.method} ${r.url}`,
      cookie: Boolean(r.cookie?.includes("sid=")),
      csrf: Boolean(r.csrf),
    }));
    expect(calls).toEqual([
      { call: "POST /login", cookie: false, csrf: false },
      { call: "GET /me", cookie: true, csrf: false },
      { call: "POST /notes", cookie: true, csrf: true },
      { call: "DELETE /notes/1", cookie: true, csrf: true },
      { call: "GET /me", cookie: false, csrf: false },
      { call: "POST /notes", cookie: true, csrf: false },
    ]);
    expect(log.filter((line) => line.startsWith("pageerror"))).toEqual([]);
  });
});
