/**
 * Tests of the packed package: `npm pack`, unpacked into a blank app (its
 * dependencies linked from this install, no network). ESM, CJS and the browser
 * bundle load through the exports map, their errors are recognised by each
 * other's classes, TypeScript resolves their types in node16 mode, and the
 * tarball passes publint and are-the-types-wrong. Builds first when dist/ is
 * missing or older than the sources (`npm test` builds anyway).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  areTheTypesWrong,
  buildIfStale,
  developmentFiles,
  packIntoBlankApp,
  publishedFiles,
  publint,
  typecheckNode16,
  type PackedApp,
} from "../../../tools/packed-app";

jest.setTimeout(180_000);
let app: PackedApp;

beforeAll(() => {
  buildIfStale(
    "packages/client",
    ["src", "scripts", "package.json", "tsconfig.build.json", "tsdown.config.ts"],
    "dist/browser/gatehouse-client.js",
  );
  // Every runtime dependency the package declares (so a new one cannot be forgotten here), plus Node's types.
  const { dependencies } = JSON.parse(readFileSync(path.join(__dirname, "../package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  app = packIntoBlankApp("packages/client", "@gatehouse/client", [...Object.keys(dependencies), "@types/node"]);
});
afterAll(() => app?.remove());

describe("the tarball", () => {
  it("holds the builds, the sources for the source maps, LICENSE and README, and no tests", () => {
    expect(app.files).toEqual(
      expect.arrayContaining([...publishedFiles(["index"]), "dist/browser/gatehouse-client.js"]),
    );
    expect(developmentFiles(app.files)).toEqual([]);
  });

  it("passes publint (suggestions included)", () => {
    expect(publint(app.tarball)).toEqual([]);
  });

  it("passes are-the-types-wrong; ./browser is an ES module bundle only, so node10 and require() cannot load it", () => {
    const unexpected = areTheTypesWrong(app.tarball).filter(
      (p) =>
        !(
          p.entrypoint === "./browser" &&
          ((p.kind === "NoResolution" && p.resolutionKind === "node10") ||
            (p.kind === "CJSResolvesToESM" && p.resolutionKind === "node16-cjs"))
        ),
    );
    expect(unexpected).toEqual([]);
  });
});

type Seen = Record<"esm" | "cjs" | "browser", string[]>;
type Entry = { name: string; code: string; status?: number; retryAfter?: number; seen: Seen };

describe("the packed package in a blank app", () => {
  let report: Record<string, Entry> & { distinct: boolean };
  beforeAll(() => {
    report = JSON.parse(app.node([app.copy(path.join(__dirname, "fixtures/dual-package.mjs"))]));
  });

  it("loads three separate copies of the classes", () => {
    expect(report.distinct).toBe(true);
  });

  it.each(["esm", "cjs", "browser"])("%s: errors are instances of every build's classes", (build) => {
    const all = (classes: string[]): Seen => ({ esm: classes, cjs: classes, browser: classes });
    expect(report[`${build}:404`]).toEqual({
      name: "NotFoundError",
      code: "not_found",
      status: 404,
      retryAfter: 7,
      seen: all(["GatehouseError", "HttpError", "NotFoundError"]),
    });
    expect(report[`${build}:429`]).toEqual({
      name: "RateLimitError",
      code: "too_many_requests",
      status: 429,
      retryAfter: 7,
      seen: all(["GatehouseError", "HttpError", "RateLimitError"]),
    });
    expect(report[`${build}:refused`]).toEqual({
      name: "NetworkError",
      code: "network_error",
      seen: all(["GatehouseError", "NetworkError"]),
    });
    expect(report[`${build}:timeout`]).toEqual({
      name: "TimeoutError",
      code: "timeout",
      seen: all(["GatehouseError", "TimeoutError"]),
    });
  });

  it("has types that resolve for ESM and CJS consumers (node16)", () => {
    const files = ["consumer.mts", "consumer.cts"].map((f) => app.copy(path.join(__dirname, "fixtures", f)));
    expect(typecheckNode16(app.dir, files)).toBe("");
  });
});
