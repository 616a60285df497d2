// The cookie-session page of client-browser-stream.e2e.test.ts: the bundled client against a
// cookie-session server on another origin of the same site, with withCredentials and the CSRF
// token read from its cookie. Input in the page URL: app (the cookie-session server).
import { createClient } from "/gatehouse-client.js";

const app = new URLSearchParams(location.search).get("app");

async function outcome(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    return {
      ok: false,
      error: { name: err?.name, code: err?.code, status: err?.status, message: String(err?.message) },
    };
  }
}

window.cookies = (async () => {
  const client = createClient({ baseURL: app, withCredentials: true, csrf: {} });
  const withoutCookies = createClient({ baseURL: app });
  const withoutCsrf = createClient({ baseURL: app, withCredentials: true });
  const out = {};
  out.login = await outcome(client.request({ method: "POST", url: "/login" }));
  out.csrfCookieReadable = document.cookie.split("; ").some((c) => c.startsWith("csrf_token="));
  out.me = await outcome(client.request({ method: "GET", url: "/me" }));
  out.note = await outcome(client.request({ method: "POST", url: "/notes", data: { text: "hi" } }));
  out.removed = await outcome(client.request({ method: "DELETE", url: "/notes/1" }));
  out.withoutCookies = await outcome(withoutCookies.request({ method: "GET", url: "/me" }));
  out.withoutCsrf = await outcome(withoutCsrf.request({ method: "POST", url: "/notes", data: { text: "forged" } }));
  return out;
})();
