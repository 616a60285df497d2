/**
 * End to end in a real browser: Debian's Chromium (/usr/bin/chromium), driven
 * by playwright-core, loads pages from a static server on one 127.0.0.1 port
 * that use the bundled client (packages/client/dist/browser/gatehouse-client.js)
 * against the agent server on another port, so every call is cross-origin
 * with CORS preflights. The page logs in as alice with an expired token that
 * `refresh` replaces through the static server's POST /token, creates and
 * lists threads, and sees bob's thread as a NotFoundError. The README's
 * browser snippet runs the same way.
 *
 * Without Chromium this suite is skipped with a message, except on CI
 * (CI=true), where it fails: `.ci/run` installs Chromium. Root `npm test`
 * builds the bundle first; a missing bundle fails with a message.
 */
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { createApp } from "../src/app";
import { openDb, type Db } from "../src/db";
import { mintToken } from "../src/tokens";
import { README_API_URL, README_OTHER_THREAD, readmeSnippet } from "./support/readme";
import { SECRET, client, token } from "./support/server";
import { BUNDLE, CHROMIUM, LAUNCH_ARGS, close, haveChromium, listen, onCI } from "./support/browser";

const PAGE_MODULE = path.join(__dirname, "browser", "e2e.js");

// Browser globals used in page callbacks: they run in Chromium (this project compiles without the DOM lib).
declare const window: { e2e: Promise<any> };
declare const document: { getElementById(id: string): { textContent: string | null } | null };
declare const localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };

jest.setTimeout(60_000);

if (!haveChromium && !onCI) {
  test.skip(`skipped: Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium); with CI=true this suite fails instead`, () =>
    undefined);
}

const expired = (identity: string) => mintToken(SECRET, identity, { expiresIn: -60 });
const subjectOf = (jwt: string): unknown =>
  JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString("utf8")).sub;

(haveChromium || onCI ? describe : describe.skip)("@gatehouse/client in Chromium, cross-origin", () => {
  let db: Db;
  let browser: Browser | undefined;
  let site: Awaited<ReturnType<typeof listen>>;
  let api: Awaited<ReturnType<typeof listen>>;
  let noCors: Awaited<ReturnType<typeof listen>>;
  let tokensIssued: string[] = [];
  const contexts: BrowserContext[] = [];

  /** The page's site: the pages, the bundle, and POST /token (alice's "backend"). */
  function staticSite(req: IncomingMessage, res: ServerResponse): void {
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    const { pathname } = new URL(req.url!, "http://x");
    if (req.method === "GET" && pathname === "/e2e.html") {
      send(
        200,
        "text/html; charset=utf-8",
        '<!doctype html><meta charset="utf-8"><title>e2e</title><script type="module" src="/e2e.js"></script>',
      );
    } else if (req.method === "GET" && pathname === "/e2e.js") {
      send(200, "text/javascript; charset=utf-8", readFileSync(PAGE_MODULE));
    } else if (req.method === "GET" && pathname === "/readme.html") {
      const page = readmeSnippet("browser page");
      if (!page.includes(README_API_URL))
        throw new Error(`the README's browser snippet no longer mentions ${README_API_URL}`);
      send(200, "text/html; charset=utf-8", page.replace(README_API_URL, api.origin));
    } else if (
      req.method === "GET" &&
      (pathname === "/gatehouse-client.js" || pathname === "/gatehouse-client.js.map")
    ) {
      const file = pathname.endsWith(".map") ? `${BUNDLE}.map` : BUNDLE;
      send(200, pathname.endsWith(".map") ? "application/json" : "text/javascript; charset=utf-8", readFileSync(file));
    } else if (req.method === "POST" && pathname === "/token") {
      const fresh = token("alice");
      tokensIssued.push(fresh);
      send(200, "application/json", JSON.stringify({ access_token: fresh }));
    } else {
      send(404, "text/plain", "not found");
    }
  }

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(
        `Chromium is missing at ${CHROMIUM} and CI is set: install it (apt-get install -y chromium; .ci/run does)`,
      );
    }
    if (!existsSync(BUNDLE)) {
      throw new Error(
        `${path.relative(process.cwd(), BUNDLE)} is missing: run "npm run build" at the root (root "npm test" builds first)`,
      );
    }
    db = await openDb({ memory: true });
    site = await listen(staticSite);
    api = await listen(createApp({ db, jwtSecret: SECRET, corsOrigins: [site.origin] }));
    noCors = await listen(createApp({ db, jwtSecret: SECRET })); // same data, no CORS for the page
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await Promise.all([close(site?.server), close(api?.server), close(noCors?.server)]);
    await db?.close();
  }, 60_000);

  beforeEach(() => {
    tokensIssued = [];
    for (const s of [site, api, noCors]) s?.seen.splice(0);
  });

  /** A fresh context (its own storage) and page; page errors and console output are kept for failure messages. */
  async function newPage(): Promise<{ page: Page; log: string[] }> {
    const context = await browser!.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const log: string[] = [];
    page.on("pageerror", (error) => log.push(`pageerror: ${error.message}`));
    page.on("console", (message) => log.push(`console.${message.type()}: ${message.text()}`));
    return { page, log };
  }

  test("the bundled client: expired token refreshed, threads created and listed, bob's thread a NotFoundError", async () => {
    const bobs = await client(api.origin, token("bob")).post("/threads", { metadata: { topic: "browser" } });
    expect(bobs.status).toBe(200);
    api.seen.splice(0);

    const { page, log } = await newPage();
    const query = new URLSearchParams({
      api: api.origin,
      noCorsApi: noCors.origin,
      token: expired("alice"),
      bobThread: bobs.body.thread_id,
    });
    await page.goto(`${site.origin}/e2e.html?${query.toString()}`);
    const result = await page
      .evaluate(() => window.e2e)
      .catch((error: Error) => {
        throw new Error(`the page failed: ${error.message}\n${log.join("\n")}`);
      });
    await page.context().close();

    // Logged in with an expired token: one refresh through POST /token, then it worked.
    expect(result.created).toMatchObject({ ok: true, value: { metadata: { topic: "browser", owner: "alice" } } });
    expect(result.refreshesAfterCreate).toBe(1);
    expect(result.tokenReplaced).toBe(true);
    const threadId: string = result.created.value.thread_id;
    expect(result.listed).toEqual({ ok: true, value: [expect.objectContaining({ thread_id: threadId })] });

    // Bob's thread: a 404 over XHR becomes a NotFoundError, instanceof works on the bundle's classes.
    expect(result.bobsThread).toEqual({
      ok: false,
      error: expect.objectContaining({
        name: "NotFoundError",
        code: "not_found",
        status: 404,
        instanceOf: {
          GatehouseError: true,
          HttpError: true,
          NotFoundError: true,
          UnauthorizedError: false,
          NetworkError: false,
          AbortError: false,
          Error: true,
        },
      }),
    });

    // A bad token: 401 with the challenge, readable cross-origin because the server exposes WWW-Authenticate.
    expect(result.badToken.error).toMatchObject({
      name: "UnauthorizedError",
      status: 401,
      challenge: { scheme: "Bearer", params: expect.objectContaining({ error: "invalid_token" }) },
      instanceOf: { UnauthorizedError: true, HttpError: true },
    });

    // A server that does not allow the page's origin: the browser hides the answer, so NetworkError without a status.
    expect(result.noCors.error).toMatchObject({
      name: "NetworkError",
      code: "network_error",
      instanceOf: { NetworkError: true, HttpError: false },
    });
    expect(result.noCors.error.status).toBeUndefined();
    expect(noCors.seen.map((r) => r.method)).toEqual(["OPTIONS"]); // the preflight failed, the call was never sent

    expect(result.aborted.error).toMatchObject({
      name: "AbortError",
      code: "aborted",
      instanceOf: { AbortError: true },
    });

    // Expired again, a burst of 20: one refresh, all 20 retried and answered.
    expect(result.burst).toEqual({ ok: 20, failures: [], refreshes: 1 });
    expect(tokensIssued).toHaveLength(2);

    // What reached the API: cross-origin requests, each kind preflighted without credentials.
    const fromPage = api.seen.filter((r) => r.origin === site.origin);
    expect(fromPage).toHaveLength(api.seen.length);
    const preflights = api.seen.filter((r) => r.method === "OPTIONS");
    for (const preflight of preflights) expect(preflight.authorization).toBeUndefined();
    expect(preflights).toContainEqual(
      expect.objectContaining({
        url: "/threads",
        requestMethod: "POST",
        requestHeaders: expect.stringMatching(/authorization/),
      }),
    );
    expect(preflights).toContainEqual(expect.objectContaining({ url: "/threads/search", requestMethod: "POST" }));
    expect(preflights).toContainEqual(
      expect.objectContaining({ url: `/threads/${bobs.body.thread_id}`, requestMethod: "GET" }),
    );
    const expiredCalls = api.seen.filter(
      (r) => r.method !== "OPTIONS" && r.authorization === `Bearer ${query.get("token")}`,
    );
    expect(expiredCalls).toHaveLength(21); // the first create and the burst of 20, each retried once with a fresh token
    for (const fresh of tokensIssued) expect(api.seen.some((r) => r.authorization === `Bearer ${fresh}`)).toBe(true);
    expect(log.filter((line) => line.startsWith("pageerror"))).toEqual([]);
  });

  test("the README's browser snippet works as written (only the API URL swapped)", async () => {
    const bob = client(api.origin, token("bob"));
    expect((await bob.post("/threads", { thread_id: README_OTHER_THREAD, metadata: { topic: "tax" } })).status).toBe(
      200,
    );

    const { page, log } = await newPage();
    const stale = expired("alice");
    await page.context().addInitScript((jwt) => localStorage.setItem("access_token", jwt), stale);
    await page.goto(`${site.origin}/readme.html`);
    const done = page.waitForFunction(() => /not found/.test(document.getElementById("out")?.textContent ?? ""), null, {
      timeout: 30_000,
    });
    await done.catch((error: Error) => {
      throw new Error(`the README page did not finish: ${error.message}\n${log.join("\n")}`);
    });
    const lines = (await page.textContent("#out"))!.trim().split("\n");
    const stored = await page.evaluate(() => localStorage.getItem("access_token"));
    await page.context().close();

    expect(lines).toEqual([
      expect.stringMatching(/^created thread [0-9a-f-]{36}$/),
      "1 thread(s) about tax", // alice's; bob's thread about tax is not listed
      "not found: 404",
    ]);
    expect(tokensIssued).toHaveLength(1);
    expect(stored).toBe(tokensIssued[0]);
    expect(subjectOf(stored!)).toBe("alice");
    expect(log.filter((line) => line.startsWith("pageerror"))).toEqual([]);
  });
});
