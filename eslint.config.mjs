// ESLint for the whole monorepo (flat config). `npm run lint` runs it, then
// Prettier's check. TypeScript files are linted with type information from
// each workspace's tsconfig.test.json (which covers src/ and test/); plain
// JavaScript (bench/, fixtures, configs) with the recommended JS rules.
// Formatting is Prettier's job: eslint-config-prettier turns off the rules
// that would fight it.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

// The LangGraph example's .mts files (run by LangGraph's own ESM server) have their own tsconfig.
const typedProjects = [
  "packages/*/tsconfig.test.json",
  "examples/*/tsconfig.test.json",
  "examples/langgraph-gateway/tsconfig.mts.json",
  "bench/tsconfig.test.json",
];

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/",
      "**/dist/",
      "**/coverage/",
      "**/.data/",
      "bench/peers/",
      "bench/profiles/",
      "bench/results.json",
    ],
  },
  js.configs.recommended,
  {
    files: ["**/*.ts", "**/*.mts", "**/*.cts"],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: typedProjects, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_`-prefixed names are deliberately unused (placeholders, rest siblings).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      // Re-rejecting a caught `unknown` (the promise-returning form of `throw err`) is fine;
      // a literal non-Error reason is not.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      // passport-jwt is an optional peer: jwtStrategy() loads it on first use, so
      // the package loads without it; jose likewise only when a JWKS is used. The ESM
      // build turns these requires into createRequire(import.meta.url) (tsdown),
      // resolving from the package as in CJS.
      "@typescript-eslint/no-require-imports": ["error", { allow: ["^passport-jwt$", "^jose$"] }],
    },
  },
  {
    // Build configs and consumer fixtures (test-types/ compiles against the build) are outside every
    // tsconfig.test.json: lint them without type information.
    files: ["**/tsdown.config.ts", "**/test/fixtures/**", "**/test-types/**"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
  },
  {
    // The same convention as in TypeScript: `_`-prefixed names are deliberately unused
    // (e.g. the fourth parameter that makes an Express error handler).
    files: ["**/*.js", "**/*.cjs", "**/*.mjs"],
    rules: {
      "no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
  {
    // A page module that Chromium runs (it imports the browser bundle).
    files: ["examples/agent-server/test/browser/**/*.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.browser } },
  },
  {
    files: ["**/test/**", "bench/**"],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    // Tests read untyped data on purpose (supertest's `res.body`, JSON from
    // child processes, deliberately malformed input): the `any` rules guard the
    // shipped code in src/, not what a test inspects.
    files: ["**/test/**/*.ts", "bench/**/*.ts", "tools/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  prettier,
);
