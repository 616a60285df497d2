import { checkWorkers } from "../../src/cluster";
import { opsFromEnv } from "../../src/ops-env";

test("defaults: 600 requests a minute per identity, 30 s requests, 5 s statements, 10 s shutdown, info, one process, 16 MiB of PGlite reads kept", () => {
  expect(opsFromEnv({})).toEqual({
    rateLimitPerMinute: 600,
    requestTimeoutMs: 30_000,
    statementTimeoutMs: 5_000,
    shutdownTimeoutMs: 10_000,
    logLevel: "info",
    workers: 1,
    readCacheBytes: 16 * 1024 * 1024,
  });
});

test("0 disables the limit, the timeouts and the PGlite read cache", () => {
  expect(
    opsFromEnv({
      RATE_LIMIT_PER_MINUTE: "0",
      REQUEST_TIMEOUT_MS: "0",
      STATEMENT_TIMEOUT_MS: "0",
      PGLITE_READ_CACHE_BYTES: "0",
    }),
  ).toMatchObject({
    rateLimitPerMinute: 0,
    requestTimeoutMs: 0,
    statementTimeoutMs: 0,
    readCacheBytes: 0,
  });
});

test.each([
  ["RATE_LIMIT_PER_MINUTE", "-1"],
  ["RATE_LIMIT_PER_MINUTE", "ten"],
  ["REQUEST_TIMEOUT_MS", "1.5"],
  ["WORKERS", "0"],
  ["PGLITE_READ_CACHE_BYTES", "16MB"],
  ["LOG_LEVEL", "verbose"],
])("%s=%s stops the start with a message naming the variable", (name, value) => {
  expect(() => opsFromEnv({ [name]: value })).toThrow(new RegExp(`^${name} must be`));
});

test("WORKERS>1 needs PostgreSQL", () => {
  expect(() => checkWorkers(2, { memory: true })).toThrow(/WORKERS>1 needs DATABASE_URL/);
  expect(() => checkWorkers(2, { pgliteDir: "/tmp/x" })).toThrow(/PGlite is an embedded database owned by one process/);
  expect(() => checkWorkers(2, { databaseUrl: "postgres://u@127.0.0.1/db" })).not.toThrow();
  expect(() => checkWorkers(1, { memory: true })).not.toThrow();
});
