/**
 * The client must bundle for browsers: esbuild with --platform=browser must
 * succeed and pull in no Node built-in, and no source file may import one.
 */
import { builtinModules } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import ts from "typescript";

const root = path.join(__dirname, "..");
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
    );
}

it("no file in src imports anything but axios, eventsource-parser or another src file", () => {
  const imports = sourceFiles(path.join(root, "src")).flatMap((file) =>
    ts
      .preProcessFile(fs.readFileSync(file, "utf8"), true, true)
      .importedFiles.map((f) => ({ file: path.relative(root, file), spec: f.fileName })),
  );
  expect(imports.length).toBeGreaterThan(10);
  expect(
    imports.filter(({ spec }) => !spec.startsWith(".") && spec !== "axios" && spec !== "eventsource-parser"),
  ).toEqual([]);
});

it("bundles src/index.ts for the browser without Node built-ins", async () => {
  const result = await build({
    entryPoints: [path.join(root, "src/index.ts")],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  expect(result.errors).toEqual([]);
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.some((i) => i.includes("node_modules/axios/"))).toBe(true);
  expect(inputs.filter((i) => builtins.has(i) || /axios\/lib\/(adapters\/http|platform\/node)/.test(i))).toEqual([]);
  const imported = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
  expect(imported).toEqual([]);
  const code = result.outputFiles[0].text;
  expect(code).not.toMatch(/\brequire\(["'](node:)?(http|https|net|tls|zlib|stream|url|util|fs|crypto)["']\)/);
  expect(code).toContain("createClient");
}, 60_000); // esbuild over axios: seconds on a busy 2-core machine, past jest's 5 s default
