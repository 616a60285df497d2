/**
 * One jest config for the monorepo: a project per package, all through ts-jest.
 * Workspace packages are mapped to their sources so tests never need a build,
 * except the tests that exercise built output on purpose (they say so).
 */
const fs = require("node:fs");
const path = require("node:path");

const moduleNameMapper = {
  "^@gatehouse/express$": path.join(__dirname, "packages/server-plugin/src/index.ts"),
  "^@gatehouse/client$": path.join(__dirname, "packages/client/src/index.ts"),
  "^@gatehouse/langgraph$": path.join(__dirname, "packages/langgraph/src/index.ts"),
};

function project(displayName, dir, extra = {}) {
  return {
    displayName,
    rootDir: path.join(__dirname, dir),
    testEnvironment: "node",
    // Generous: CI machines are shared 2-core boxes, and a test is judged by what it
    // asserts, never by how fast it ran (speed lives in bench/).
    testTimeout: 60_000,
    testMatch: ["<rootDir>/**/*.test.ts"],
    testPathIgnorePatterns: ["/node_modules/", "/dist/"],
    moduleNameMapper,
    // fast-check: a fresh seed per file, or FC_SEED to replay one (see the file).
    setupFiles: [path.join(__dirname, "jest.fast-check.js")],
    transform: {
      "^.+\\.tsx?$": ["ts-jest", { tsconfig: path.join(__dirname, dir, "tsconfig.test.json") }],
    },
    ...extra,
  };
}

module.exports = {
  projects: [
    project("server-plugin", "packages/server-plugin"),
    project("client", "packages/client"),
    project("langgraph", "packages/langgraph"),
    project("agent-server", "examples/agent-server"),
    project("quickstart", "examples/quickstart"),
    project("bench", "bench"),
    // Listed once the example exists, so a missing rootDir never fails the other projects.
    ...(fs.existsSync(path.join(__dirname, "examples/langgraph-gateway/tsconfig.test.json"))
      ? [project("langgraph-gateway", "examples/langgraph-gateway")]
      : []),
  ],
};
