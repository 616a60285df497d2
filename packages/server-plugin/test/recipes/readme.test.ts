/**
 * The README's identity recipes are files the tests run; this checks that the
 * README shows exactly their marked code (between `// recipe:start` and `// recipe:end`).
 */
import { readFileSync } from "node:fs";
import path from "node:path";

const README = readFileSync(path.join(__dirname, "../../README.md"), "utf8");

const RECIPES: Record<string, string> = {
  "OIDC/JWKS (run by test/oidc.test.ts)": path.join(__dirname, "../../examples/oidc-auth.ts"),
  "cookie sessions (run by test/recipes/session.test.ts)": path.join(__dirname, "../../examples/session-app.ts"),
  "API keys (run by examples/agent-server/test/identity.test.ts)": path.join(
    __dirname,
    "../../../../examples/agent-server/src/api-keys.ts",
  ),
};

/** The marked part of a recipe file. */
export function recipe(file: string): string {
  const text = readFileSync(file, "utf8");
  const start = text.indexOf("// recipe:start\n");
  const end = text.indexOf("// recipe:end");
  if (start < 0 || end < start) throw new Error(`${file} has no // recipe:start … // recipe:end part`);
  return text.slice(start + "// recipe:start\n".length, end).trim();
}

test.each(Object.entries(RECIPES))("the README shows the %s recipe as tested", (_name, file) => {
  const code = recipe(file);
  expect(code.length).toBeGreaterThan(300);
  expect(README).toContain(code);
});
