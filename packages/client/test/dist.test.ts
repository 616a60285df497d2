/**
 * Tests of the built package (dist/): ESM, CJS and the browser bundle load
 * through the exports map, their errors are recognised by each other's
 * classes, and TypeScript resolves their types in node16 mode. Builds first
 * when dist/ is missing or older than the sources (`npm test` builds anyway).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

jest.setTimeout(180_000);
const root = path.join(__dirname, "..");
const repo = path.join(root, "../..");
const marker = path.join(root, "dist/browser/gatehouse-client.js");

function newest(p: string): number {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((e) => newest(path.join(p, e))));
}

beforeAll(() => {
  const inputs = ["src", "scripts", "package.json", "tsconfig.build.json", "tsconfig.esm.json"].map((p) => path.join(root, p));
  if (!fs.existsSync(marker) || Math.max(...inputs.map(newest)) > newest(marker)) {
    execFileSync("npm", ["run", "build", "-w", "packages/client"], { cwd: repo, stdio: "pipe" });
  }
});

type Seen = Record<"esm" | "cjs" | "browser", string[]>;
type Entry = { name: string; code: string; status?: number; retryAfter?: number; seen: Seen };

describe("the built package", () => {
  let report: Record<string, Entry> & { distinct: boolean };
  beforeAll(() => {
    const out = execFileSync(process.execPath, [path.join(__dirname, "fixtures/dual-package.mjs")], { encoding: "utf8" });
    report = JSON.parse(out);
  });

  it("loads three separate copies of the classes", () => {
    expect(report.distinct).toBe(true);
  });

  it.each(["esm", "cjs", "browser"])("%s: errors are instances of every build's classes", (build) => {
    const all = (classes: string[]): Seen => ({ esm: classes, cjs: classes, browser: classes });
    expect(report[`${build}:404`]).toEqual({
      name: "NotFoundError", code: "not_found", status: 404, retryAfter: 7, seen: all(["GatehouseError", "HttpError", "NotFoundError"]),
    });
    expect(report[`${build}:429`]).toEqual({
      name: "RateLimitError", code: "too_many_requests", status: 429, retryAfter: 7,
      seen: all(["GatehouseError", "HttpError", "RateLimitError"]),
    });
    expect(report[`${build}:refused`]).toEqual({
      name: "NetworkError", code: "network_error", seen: all(["GatehouseError", "NetworkError"]),
    });
    expect(report[`${build}:timeout`]).toEqual({
      name: "TimeoutError", code: "timeout", seen: all(["GatehouseError", "TimeoutError"]),
    });
  });

  it("has types that resolve for ESM and CJS consumers (node16)", () => {
    const tsc = path.join(repo, "node_modules/typescript/bin/tsc");
    const args = ["--noEmit", "--strict", "--module", "node16", "--moduleResolution", "node16",
      "--target", "es2022", "--lib", "es2022,dom", "--types", "node"];
    const files = ["consumer.mts", "consumer.cts"].map((f) => path.join(__dirname, "fixtures", f));
    expect(() => execFileSync(process.execPath, [tsc, ...args, ...files], { cwd: root, stdio: "pipe" })).not.toThrow();
  });
});
