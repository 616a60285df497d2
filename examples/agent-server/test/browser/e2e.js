// The page module of client-browser.e2e.test.ts, run by Chromium. It uses the
// bundled client (dist/browser/gatehouse-client.js) against the agent server on
// another origin, and leaves what happened in `window.e2e` (a promise) for the
// test to read with page.evaluate. Inputs come in the page URL:
//   api        the agent server (allows this page's origin with CORS)
//   noCorsApi  the same server without CORS for this page
//   token      alice's token, already expired
//   bobThread  a thread of bob's
import {
  AbortError,
  GatehouseError,
  HttpError,
  NetworkError,
  NotFoundError,
  UnauthorizedError,
  bearer,
  createClient,
} from "/gatehouse-client.js";

const params = new URLSearchParams(location.search);
const api = params.get("api");
const expired = params.get("token");
const session = { token: expired };
let refreshes = 0;

const client = createClient({
  baseURL: api,
  credentials: bearer(() => session.token),
  refreshMargin: 0, // send the expired token as it is: this page tests the 401 → refresh → retry path
  refresh: async () => {
    refreshes++;
    const res = await fetch("/token", { method: "POST" }); // the page's own origin: no CORS
    if (!res.ok) throw new Error(`POST /token answered ${res.status}`);
    session.token = (await res.json()).access_token;
  },
});

/** What the page can tell about an error, as plain data. */
function describe(err) {
  return {
    name: err?.name,
    code: err?.code,
    status: err?.status,
    challenge: err?.challenge,
    message: String(err?.message),
    instanceOf: {
      GatehouseError: err instanceof GatehouseError,
      HttpError: err instanceof HttpError,
      NotFoundError: err instanceof NotFoundError,
      UnauthorizedError: err instanceof UnauthorizedError,
      NetworkError: err instanceof NetworkError,
      AbortError: err instanceof AbortError,
      Error: err instanceof Error,
    },
  };
}

async function outcome(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    return { ok: false, error: describe(err) };
  }
}

async function run() {
  const result = {};

  // Logged in with an expired token: the 401 triggers refresh, then the retry succeeds.
  result.created = await outcome(client.threads.create({ metadata: { topic: "browser" } }));
  result.refreshesAfterCreate = refreshes;
  result.tokenReplaced = session.token !== expired;
  result.listed = await outcome(client.threads.search({ metadata: { topic: "browser" }, limit: 10 }));
  result.bobsThread = await outcome(client.threads.get(params.get("bobThread")));

  const forged = createClient({ baseURL: api, credentials: bearer("not-a-jwt") });
  result.badToken = await outcome(forged.threads.search());

  const blocked = createClient({ baseURL: params.get("noCorsApi"), credentials: bearer(session.token), retry: false });
  result.noCors = await outcome(blocked.threads.search());

  const controller = new AbortController();
  const pending = client.threads.search({ limit: 1 }, { signal: controller.signal });
  controller.abort(new Error("user navigated away"));
  result.aborted = await outcome(pending);

  // The token expires again; a burst of 20 calls costs one refresh.
  session.token = expired;
  const before = refreshes;
  const burst = await Promise.all(
    Array.from({ length: 20 }, () => outcome(client.threads.search({ metadata: { topic: "browser" } }))),
  );
  result.burst = {
    ok: burst.filter((r) => r.ok).length,
    failures: burst.filter((r) => !r.ok).map((r) => r.error),
    refreshes: refreshes - before,
  };
  return result;
}

window.e2e = run();
