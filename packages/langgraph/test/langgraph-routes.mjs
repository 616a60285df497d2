// Prints the HTTP routes of the installed @langchain/langgraph-api server as JSON:
// the route modules' own Hono route lists, plus the routes server.mjs declares inline.
// Run in a child process by routes.test.ts (the package is ESM only).
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import fs from "node:fs";
import path from "node:path";

const require = createRequire(import.meta.url);
const root = path.dirname(require.resolve("@langchain/langgraph-api/package.json"));
const dist = path.join(root, "dist");
const load = async (file) => (await import(pathToFileURL(path.join(dist, file)).href)).default;

const apps = [];
for (const file of ["api/meta.mjs", "api/assistants.mjs", "api/runs.mjs", "api/threads.mjs", "api/store.mjs"])
  apps.push(await load(file));
const protocol = await load("api/protocol.mjs");
apps.push(protocol(() => () => undefined, { runs: {}, threads: {} }));

const routes = new Set();
const add = (method, p) => {
  // Hono's optional parameter "/:name?" is two routes.
  const optional = /\/:([A-Za-z_]+)\?$/.exec(p);
  if (optional) {
    add(method, p.slice(0, optional.index));
    add(method, p.slice(0, optional.index) + `/:${optional[1]}`);
    return;
  }
  routes.add(`${method} ${p}`);
};
for (const app of apps) for (const r of app.routes) if (r.method !== "ALL") add(r.method, r.path);
const server = fs.readFileSync(path.join(dist, "server.mjs"), "utf8");
for (const m of server.matchAll(/\bapp\.(get|post|put|patch|delete)\(\s*"([^"]+)"/g)) add(m[1].toUpperCase(), m[2]);

const version = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version;
process.stdout.write(JSON.stringify({ version, routes: [...routes].sort() }));
process.exit(0);
