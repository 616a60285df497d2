/**
 * The built package (dist/) as an app installs it: required by name through
 * the exports map, with @gatehouse/express's dist, serving a request. Builds
 * first when dist/ is missing or older than the sources (`npm test` builds anyway).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

jest.setTimeout(300_000);
const root = path.join(__dirname, "..");
const repo = path.join(root, "../..");

function newest(p: string): number {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((e) => newest(path.join(p, e))));
}

function buildIfStale(dir: string, workspace: string): void {
  const marker = path.join(dir, "dist/index.js");
  const inputs = ["src", "package.json", "tsconfig.build.json"].map((p) => path.join(dir, p));
  if (!fs.existsSync(marker) || Math.max(...inputs.map(newest)) > newest(marker)) {
    execFileSync("npm", ["run", "build", "-w", workspace], { cwd: repo, stdio: "pipe" });
  }
}

beforeAll(() => {
  buildIfStale(path.join(repo, "packages/server-plugin"), "packages/server-plugin");
  buildIfStale(root, "packages/langgraph");
});

test("require('@gatehouse/langgraph') loads dist and serves /health and a 401", () => {
  const script = `
    const http = require("node:http");
    const express = require("express");
    const { Auth } = require("@gatehouse/express");
    const lg = require("@gatehouse/langgraph");
    if (!require.resolve("@gatehouse/langgraph").includes("dist")) throw new Error("not dist");
    const auth = new Auth().authenticate(() => { throw Object.assign(new Error("no"), { name: "HTTPException", status: 401, code: "unauthorized", headers: {} }); });
    const gateway = lg.langgraphGateway({ auth, upstream: "http://127.0.0.1:9" });
    const server = express().use(gateway).listen(0, "127.0.0.1", async () => {
      const base = "http://127.0.0.1:" + server.address().port;
      const health = await fetch(base + "/health");
      const threads = await fetch(base + "/threads/search", { method: "POST" });
      console.log(JSON.stringify({ exports: Object.keys(lg).sort(), routes: lg.GATEWAY_ROUTES.length, health: health.status, threads: threads.status }));
      server.close(); await gateway.close();
    });`;
  const out = JSON.parse(
    execFileSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8", timeout: 60_000 }),
  );
  expect(out).toEqual({
    exports: [
      "DEFAULT_FORWARD_HEADERS",
      "GATEWAY_ROUTES",
      "PUBLIC_PATHS",
      "REFUSED_ROUTES",
      "langgraphGateway",
      "mergeSearchMetadata",
      "withAuthUser",
    ],
    routes: expect.any(Number),
    health: 200,
    threads: 401,
  });
  expect(out.routes).toBeGreaterThan(40);
});
