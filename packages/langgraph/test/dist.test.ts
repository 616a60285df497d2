/**
 * Tests of the packed package: `npm pack`, unpacked into a blank app beside its
 * peer @gatehouse/express, itself installed from its own packed tarball (other
 * dependencies linked from this install, no network). The same gateway runs
 * from `require` and from `import` in front of a tiny upstream; TypeScript
 * resolves the types in node16 mode; the tarball passes publint and
 * are-the-types-wrong. Builds both packages first when a dist/ is missing or
 * older than its sources (`npm test` builds anyway).
 */
import fs from "node:fs";
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
const fixture = (name: string) => path.join(__dirname, "fixtures", name);
const buildInputs = ["src", "package.json", "tsconfig.build.json", "tsdown.config.ts"];

type PackageJson = { dependencies: Record<string, string> };

/** Every runtime dependency either package declares (so a new one cannot be forgotten here), express and types. */
function dependencies(): string[] {
  const declared = (file: string) =>
    Object.keys((JSON.parse(fs.readFileSync(path.join(__dirname, file), "utf8")) as PackageJson).dependencies);
  const types = ["@types/node", "@types/express", "@types/express-serve-static-core", "@types/passport-strategy"];
  return [
    ...new Set([...declared("../package.json"), ...declared("../../server-plugin/package.json"), "express", ...types]),
  ];
}

let app: PackedApp;

beforeAll(() => {
  buildIfStale("packages/server-plugin", buildInputs, "dist/index.cjs");
  buildIfStale("packages/langgraph", buildInputs, "dist/index.cjs");
  app = packIntoBlankApp("packages/langgraph", "@gatehouse/langgraph", dependencies(), {
    "@gatehouse/express": "packages/server-plugin",
  });
});
afterAll(() => app?.remove());

function run(entry: "from-require.cjs" | "from-import.mjs") {
  app.copy(fixture("scenario.cjs"));
  return JSON.parse(app.node([app.copy(fixture(entry))]));
}

describe("the tarball", () => {
  it("holds both builds with their types, the sources for the source maps, LICENSE and README, and no tests", () => {
    expect(app.files).toEqual(expect.arrayContaining(publishedFiles(["index"])));
    expect(developmentFiles(app.files)).toEqual([]);
  });

  it("passes publint (suggestions included)", () => {
    expect(publint(app.tarball)).toEqual([]);
  });

  it("passes are-the-types-wrong in every resolution mode", () => {
    expect(areTheTypesWrong(app.tarball)).toEqual([]);
  });
});

describe.each(["from-require.cjs", "from-import.mjs"] as const)("the packed package in a blank app, %s", (entry) => {
  it("serves /health, answers 401 without a user, and forwards alice's search scoped, with the key and not her token", () => {
    const report = run(entry);
    expect(report.exports).toEqual([
      "DEFAULT_FORWARD_HEADERS",
      "GATEWAY_ROUTES",
      "PUBLIC_PATHS",
      "REFUSED_ROUTES",
      "langgraphGateway",
      "mergeSearchMetadata",
      "withAuthUser",
    ]);
    expect(report.routes).toBeGreaterThan(40);
    expect([report.health.status, report.health.body]).toEqual([200, { status: "ok" }]);
    expect(report.anonymous.status).toBe(401);
    expect(report.anonymous.challenge).toMatch(/^Bearer/);
    expect([report.alice.status, report.alice.body]).toEqual([200, []]);
    expect(report.upstream).toEqual([
      {
        method: "POST",
        url: "/threads/search",
        apiKey: "deployment-key",
        authorization: null,
        body: { limit: 5, metadata: { owner: "alice" } },
      },
    ]);
  });
});

it("both builds export the same names", () => {
  expect(run("from-import.mjs").exports).toEqual(run("from-require.cjs").exports);
});

it("has types that resolve for ESM and CJS consumers (node16)", () => {
  const files = ["consumer.mts", "consumer.cts"].map((f) => app.copy(fixture(f)));
  expect(typecheckNode16(app.dir, files)).toBe("");
});
