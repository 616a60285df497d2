/**
 * Tests of the packed package: `npm pack`, unpacked into a blank app (its
 * dependencies linked from this install, no network). The same Express app runs
 * from `require` and from `import`; jwtStrategy() finds passport-jwt (an
 * optional peer) from either build, and says how to install it when it is
 * absent; TypeScript resolves the types in node16 mode; the tarball passes
 * publint and are-the-types-wrong. Builds first when dist/ is missing or older
 * than the sources (`npm test` builds anyway).
 */
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
const runtime = ["express", "passport", "passport-strategy"];
const jwt = ["passport-jwt", "jsonwebtoken"];
const types = [
  "@types/node",
  "@types/express",
  "@types/express-serve-static-core",
  "@types/passport",
  "@types/passport-strategy",
];
const fixture = (name: string) => path.join(__dirname, "fixtures", name);

let app: PackedApp;
let bare: PackedApp;

beforeAll(() => {
  buildIfStale(
    "packages/server-plugin",
    ["src", "package.json", "tsconfig.build.json", "tsdown.config.ts"],
    "dist/index.cjs",
  );
  app = packIntoBlankApp("packages/server-plugin", "@gatehouse/express", [...runtime, ...jwt, ...types]);
  bare = packIntoBlankApp("packages/server-plugin", "@gatehouse/express", runtime);
});
afterAll(() => {
  app?.remove();
  bare?.remove();
});

function run(target: PackedApp, entry: "from-require.cjs" | "from-import.mjs") {
  target.copy(fixture("scenario.cjs"));
  return JSON.parse(target.node([target.copy(fixture(entry))]));
}

describe("the tarball", () => {
  it("holds both builds with their types, the sources for the source maps, LICENSE and README, and no tests", () => {
    expect(app.files).toEqual(expect.arrayContaining(publishedFiles(["index", "internal"])));
    expect(developmentFiles(app.files)).toEqual([]);
  });

  it("passes publint (suggestions included)", () => {
    expect(publint(app.tarball)).toEqual([]);
  });

  it("passes are-the-types-wrong; only node10 (no exports maps) cannot reach the ./internal subpath", () => {
    const unexpected = areTheTypesWrong(app.tarball).filter(
      (p) => !(p.entrypoint === "./internal" && p.kind === "NoResolution" && p.resolutionKind === "node10"),
    );
    expect(unexpected).toEqual([]);
  });
});

describe.each(["from-require.cjs", "from-import.mjs"] as const)("the packed package in a blank app, %s", (entry) => {
  it("serves an Express app behind jwtStrategy(): the filter for a good token, 401 with a challenge otherwise", () => {
    const report = run(app, entry);
    expect(report.exports).toEqual(
      expect.arrayContaining(["Auth", "HTTPException", "jwtStrategy", "filtersToSql", "matchFilters"]),
    );
    expect(report.decide).toBe("function");
    expect(report.good).toEqual({
      status: 200,
      challenge: null,
      body: {
        user: { identity: "zoe", permissions: [], is_authenticated: true, display_name: "zoe" },
        permissions: [],
        filters: { owner: "zoe" },
      },
    });
    expect([report.missing.status, report.missing.body.error]).toEqual([401, "credentials_required"]);
    expect([report.forged.status, report.forged.body.error]).toEqual([401, "invalid_token"]);
    expect(report.missing.challenge).toMatch(/^Bearer /);
    expect(report.forged.challenge).toMatch(/^Bearer .*error="invalid_token"/);
  });

  it("loads without passport-jwt, and jwtStrategy() then says how to install it", () => {
    const report = run(bare, entry);
    expect(report.exports).toEqual(run(app, entry).exports);
    expect(report.jwtStrategyError).toBe("jwtStrategy() needs passport-jwt: npm install passport-jwt");
  });
});

it("both builds export the same names", () => {
  expect(run(app, "from-import.mjs").exports).toEqual(run(app, "from-require.cjs").exports);
});

it("has types that resolve for ESM and CJS consumers (node16), Request augmentation included", () => {
  const files = ["consumer.mts", "consumer.cts"].map((f) => app.copy(fixture(f)));
  expect(typecheckNode16(app.dir, files)).toBe("");
});
