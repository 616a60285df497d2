/**
 * `Register` types `req.auth.user` from the app's `Auth`. The fixture augments a
 * global, so it compiles in its own program (test-types/register), here with tsc,
 * against the built .d.ts as an application would (npm test builds first).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

test("declare module { interface Register { auth: typeof auth } } types req.auth.user in routes", () => {
  if (!existsSync(path.join(__dirname, "../dist/index.d.cts")))
    throw new Error("packages/server-plugin/dist is missing: run `npm run build` (npm test does) first");
  const tsc = require.resolve("typescript/bin/tsc");
  const project = path.join(__dirname, "../test-types/register/tsconfig.json");
  let output = "";
  try {
    execFileSync(process.execPath, [tsc, "-p", project], { encoding: "utf8", stdio: "pipe" });
  } catch (err) {
    output = String((err as { stdout?: string }).stdout) + String((err as { stderr?: string }).stderr);
  }
  expect(output).toBe("");
}, 180_000);
