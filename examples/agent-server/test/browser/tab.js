// One browser tab of client-browser-stream.e2e.test.ts: the token lives in localStorage (shared by
// the tabs of one origin), and `refresh` asks this page's own backend (POST /token) for a new one.
// Inputs in the page URL: api, margin (refreshMargin), lock ("off" for refreshLock: false).
import { bearer, createClient } from "/gatehouse-client.js";

const params = new URLSearchParams(location.search);
window.refreshCalls = 0;
const client = createClient({
  baseURL: params.get("api"),
  credentials: bearer(() => localStorage.getItem("token")),
  refreshMargin: Number(params.get("margin")),
  ...(params.get("lock") === "off" ? { refreshLock: false } : {}),
  refresh: async () => {
    window.refreshCalls++;
    const res = await fetch("/token", { method: "POST" });
    if (!res.ok) throw new Error(`POST /token answered ${res.status}`);
    localStorage.setItem("token", (await res.json()).access_token);
  },
});

window.go = async () => {
  const threads = await client.threads.search({ limit: 1 });
  return { ok: Array.isArray(threads), refreshCalls: window.refreshCalls, hasLocks: Boolean(navigator.locks) };
};
