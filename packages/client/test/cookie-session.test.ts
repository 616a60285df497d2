/**
 * Cookie sessions: the CSRF header goes with unsafe methods to the client's
 * own origin only (from a function, or from a cookie of the page), never with
 * safe methods and never to another origin; and the README's Node recipe runs
 * as written against a cookie-session server.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createClient, ForbiddenError } from "@gatehouse/client";
import { startCookieSessionServer, type CookieSessionServer } from "./helpers/cookie-session";
import { readmeSnippet } from "./helpers/readme";
import { json, startServer, type TestServer } from "./helpers/server";

jest.setTimeout(60_000);

let site: CookieSessionServer;
let other: TestServer;
beforeAll(async () => {
  site = await startCookieSessionServer();
  other = await startServer((_req, res) => json(res, 200, {}));
});
afterAll(async () => {
  await site.close();
  await other.close();
});
beforeEach(() => {
  site.received.length = 0;
  other.received.length = 0;
});

async function login(): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${site.url}/login`, { method: "POST" });
  const pairs = res.headers.getSetCookie().map((c) => c.split(";")[0]);
  return { cookie: pairs.join("; "), csrf: pairs.find((p) => p.startsWith("csrf_token="))!.split("=")[1] };
}

test("unsafe methods carry the CSRF header, safe ones do not, another origin never does", async () => {
  const { cookie, csrf } = await login();
  site.received.length = 0;
  const client = createClient({ baseURL: site.url, credentials: () => ({ cookie }), csrf: { token: () => csrf } });
  for (const method of ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])
    await client.request({ method, url: "/notes" });
  expect(site.received.map((r) => [r.method, r.csrf ?? null])).toEqual([
    ["GET", null],
    ["HEAD", null],
    ["OPTIONS", null],
    ["POST", csrf],
    ["PUT", csrf],
    ["PATCH", csrf],
    ["DELETE", csrf],
  ]);
  await client.request({ method: "POST", url: `${other.url}/elsewhere` });
  expect(other.received[0].headers["x-csrf-token"]).toBeUndefined();
  expect(other.received[0].headers.cookie).toBeUndefined();
});

test("without the header the server refuses: a ForbiddenError with the server's code and message", async () => {
  const { cookie } = await login();
  const client = createClient({ baseURL: site.url, credentials: () => ({ cookie }) });
  const err = await client.request({ method: "POST", url: "/notes" }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ForbiddenError);
  expect(err).toMatchObject({ code: "forbidden", message: "CSRF token missing or wrong" });
});

test("in a page, the token is read from a cookie (csrf_token by default, or the one named)", async () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, "document");
  Object.defineProperty(globalThis, "document", {
    value: { cookie: "theme=dark; csrf_token=from%20cookie; XSRF-TOKEN=xsrf" },
    configurable: true,
  });
  try {
    const a = createClient({ baseURL: other.url, csrf: {} });
    const b = createClient({ baseURL: other.url, csrf: { cookie: "XSRF-TOKEN", header: "X-XSRF-TOKEN" } });
    await a.request({ method: "POST", url: "/a" });
    await b.request({ method: "DELETE", url: "/b" });
    expect(other.received[0].headers["x-csrf-token"]).toBe("from cookie");
    expect(other.received[1].headers["x-xsrf-token"]).toBe("xsrf");
  } finally {
    if (saved) Object.defineProperty(globalThis, "document", saved);
    else delete (globalThis as { document?: unknown }).document;
  }
});

test("bad cookie options are refused at createClient, with the accepted names", () => {
  expect(() => createClient({ baseURL: site.url, csrf: { cookies: "x" } as never })).toThrow(
    /unknown option\(s\) cookies; accepted: cookie, token, header/,
  );
  expect(() => createClient({ baseURL: site.url, withCredentials: "yes" as never })).toThrow(/withCredentials/);
  expect(() => createClient({ baseURL: site.url, withCredential: true } as never)).toThrow(
    /unknown option\(s\) withCredential; accepted: baseURL, credentials/,
  );
});

describe("the README's Node recipe", () => {
  const root = path.resolve(__dirname, "..");
  let script = "";
  afterAll(() => {
    if (script) rmSync(script, { force: true });
  });

  test("runs as written (only the URL from the environment)", async () => {
    if (!existsSync(path.join(root, "dist"))) throw new Error("packages/client/dist is missing: run npm run build");
    const dir = path.join(root, ".data"); // git-ignored; "@gatehouse/client" resolves through the workspace
    mkdirSync(dir, { recursive: true });
    script = path.join(dir, `cookie-recipe-${randomBytes(4).toString("hex")}.mjs`);
    writeFileSync(script, readmeSnippet("node cookie session"));
    const env = { ...process.env, APP_URL: site.url };
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>(
      (resolve) => {
        execFile(process.execPath, [script], { cwd: dir, env, timeout: 30_000 }, (error, stdout, stderr) =>
          resolve({ stdout, stderr, code: error ? ((error as { code?: number }).code ?? -1) : 0 }),
        );
      },
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout.trim().split("\n")).toEqual(["logged in as alice", "saved: POST /notes"]);
  });
});
