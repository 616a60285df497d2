/**
 * The route table against the routes of the installed LangGraph server
 * (@langchain/langgraph-api): a route added upstream fails here until it is
 * mapped in GATEWAY_ROUTES or refused on purpose in REFUSED_ROUTES.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { GATEWAY_ROUTES, REFUSED_ROUTES } from "@gatehouse/langgraph";

const key = (method: string, p: string) => `${method} ${p.replace(/:[A-Za-z_]+/g, ":")}`;

const upstream: { version: string; routes: string[] } = JSON.parse(
  execFileSync(process.execPath, [path.join(__dirname, "langgraph-routes.mjs")], { encoding: "utf8", timeout: 60_000 }),
);
const upstreamKeys = new Set(upstream.routes.map((r) => key(r.split(" ")[0], r.split(" ")[1])));
const mapped = new Set(GATEWAY_ROUTES.map((r) => key(r.method, r.path)));
const refused = new Set(REFUSED_ROUTES.map((r) => key(r.method, r.path)));

test(`every route of the installed LangGraph server (${upstream.version}) is mapped or refused on purpose`, () => {
  expect(upstream.routes.length).toBeGreaterThan(40);
  const unmapped = upstream.routes.filter(
    (r) => !mapped.has(key(r.split(" ")[0], r.split(" ")[1])) && !refused.has(key(r.split(" ")[0], r.split(" ")[1])),
  );
  expect(unmapped).toEqual([]);
});

test("every mapped and every refused route exists upstream (no stale entries)", () => {
  expect([...mapped].filter((k) => !upstreamKeys.has(k))).toEqual([]);
  expect([...refused].filter((k) => !upstreamKeys.has(k))).toEqual([]);
});

test("no route is both mapped and refused, and each is listed once", () => {
  expect([...mapped].filter((k) => refused.has(k))).toEqual([]);
  expect(mapped.size).toBe(GATEWAY_ROUTES.length);
});

test("only /info and /ok are public; every other route names a LangGraph event", () => {
  const events = new Set([
    "threads:create",
    "threads:read",
    "threads:update",
    "threads:delete",
    "threads:search",
    "threads:create_run",
    "assistants:create",
    "assistants:read",
    "assistants:update",
    "assistants:delete",
    "assistants:search",
    "crons:create",
    "crons:read",
    "crons:update",
    "crons:delete",
    "crons:search",
    "store:put",
    "store:get",
    "store:search",
    "store:delete",
    "store:list_namespaces",
  ]);
  expect(GATEWAY_ROUTES.filter((r) => r.event === null).map((r) => r.path)).toEqual(["/info", "/ok"]);
  expect(GATEWAY_ROUTES.filter((r) => r.event !== null && !events.has(r.event))).toEqual([]);
});
