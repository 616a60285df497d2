/**
 * Test support for the packing tests (packages/<name>/test/dist.test.ts): build
 * a workspace if its dist is stale, `npm pack` it, and unpack the tarball into
 * a blank app's node_modules, its dependencies linked from this install (no
 * network). Also runs publint and are-the-types-wrong on the tarball itself.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const repo = path.join(__dirname, "..");

function newest(p: string): number {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((e) => newest(path.join(p, e))));
}

/** Runs `npm run build -w <workspace>` unless `marker` is newer than every input (`npm test` builds anyway). */
export function buildIfStale(workspace: string, inputs: string[], marker: string): void {
  const dir = path.join(repo, workspace);
  const built = path.join(dir, marker);
  const existing = inputs.map((p) => path.join(dir, p)).filter((p) => fs.existsSync(p));
  if (!fs.existsSync(built) || Math.max(...existing.map(newest)) > newest(built)) {
    execFileSync("npm", ["run", "build", "-w", workspace], { cwd: repo, stdio: "pipe" });
  }
}

export interface PackedApp {
  /** The blank app's directory: node_modules/<package> is the unpacked tarball. */
  readonly dir: string;
  readonly tarball: string;
  /** The tarball's file list, without the leading "package/". */
  readonly files: string[];
  /** Copies a file into the app (fixtures resolve packages from where they are). */
  copy(file: string, as?: string): string;
  /** Runs `node <file> ...args` in the app and returns its stdout. */
  node(args: string[]): string;
  /** Removes the app, the tarball and the temporary directory. */
  remove(): void;
}

function link(app: string, dep: string): void {
  const target = path.join(app, "node_modules", dep);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.symlinkSync(path.join(repo, "node_modules", dep), target, "dir");
}

/** `npm pack`s `workspace` into `work` and unpacks it as `<dir>/node_modules/<packageName>`. */
function packInto(work: string, dir: string, workspace: string, packageName: string) {
  const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", work, "-w", workspace], {
    cwd: repo,
    encoding: "utf8",
  });
  const tarball = path.join(work, out.trim().split("\n").pop()!);
  const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
    .split("\n")
    .filter((f) => f.length > 0)
    .map((f) => f.replace(/^package\//, ""));
  const installed = path.join(dir, "node_modules", packageName);
  fs.mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"]);
  return { tarball, files };
}

/**
 * Packs `workspace` and installs the tarball in a new blank app, linking `deps`
 * (names under the repository's node_modules) beside it. `packed` (package name
 * to workspace) are other workspaces installed from their own tarballs too, such
 * as a peer dependency on another package of this repository.
 */
export function packIntoBlankApp(
  workspace: string,
  packageName: string,
  deps: string[],
  packed: Record<string, string> = {},
): PackedApp {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-pack-"));
  const dir = path.join(work, "app");
  const { tarball, files } = packInto(work, dir, workspace, packageName);
  for (const [name, peer] of Object.entries(packed)) packInto(work, dir, peer, name);
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "blank-app", private: true }) + "\n");
  for (const dep of deps) link(dir, dep);
  return {
    dir,
    tarball,
    files,
    copy(file, as = path.basename(file)) {
      const target = path.join(dir, as);
      fs.copyFileSync(file, target);
      return target;
    },
    node(args) {
      return execFileSync(process.execPath, args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    },
    remove() {
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * What a packed workspace ships for its `entries` (e.g. `["index"]`): both builds
 * with their types, the sources the source maps point to, LICENSE, README and CHANGELOG.
 */
export function publishedFiles(entries: string[]): string[] {
  const builds = entries.flatMap((e) => [`dist/${e}.mjs`, `dist/${e}.cjs`, `dist/${e}.d.mts`, `dist/${e}.d.cts`]);
  return [...builds, "src/index.ts", "LICENSE", "README.md", "CHANGELOG.md", "package.json"];
}

/** The files among `files` that are for development only (tests, build and TypeScript configs): none should ship. */
export function developmentFiles(files: string[]): string[] {
  return files.filter((f) => /\.test\.|(^|\/)test\/|tsdown\.config|tsconfig/.test(f));
}

/** publint on the tarball, warnings as errors; returns its messages (suggestions included). */
export function publint(tarball: string): string[] {
  const cli = path.join(repo, "node_modules/publint/src/cli.js");
  const out = execFileSync(process.execPath, [cli, "run", tarball, "--strict", "--level", "suggestion"], {
    encoding: "utf8",
  });
  return out.split("\n").filter((line) => /^\d+\. /.test(line));
}

export interface TypesProblem {
  kind: string;
  entrypoint?: string;
  resolutionKind?: string;
}

/** are-the-types-wrong on the tarball (all resolution modes); returns every problem it finds. */
export function areTheTypesWrong(tarball: string): TypesProblem[] {
  const cli = path.join(repo, "node_modules/@arethetypeswrong/cli/dist/index.js");
  // To a file, not a pipe: the CLI exits before a large piped output is flushed.
  const report = path.join(path.dirname(tarball), "attw.json");
  const fd = fs.openSync(report, "w");
  try {
    execFileSync(process.execPath, [cli, tarball, "--format", "json", "--no-emoji"], { stdio: ["ignore", fd, "pipe"] });
  } catch (err) {
    // Exit code 1 means "problems found": they are in the report.
    if ((err as { status?: number }).status !== 1) throw err;
  } finally {
    fs.closeSync(fd);
  }
  const { problems } = JSON.parse(fs.readFileSync(report, "utf8")) as { problems: Record<string, TypesProblem[]> };
  return Object.values(problems ?? {}).flat();
}

/** Type-checks `files` with `tsc --strict --module node16` in `dir`, as a consumer's project would; returns tsc's output ("" when clean). */
export function typecheckNode16(dir: string, files: string[]): string {
  const tsc = path.join(repo, "node_modules/typescript/bin/tsc");
  const args = [
    "--noEmit",
    "--strict",
    "--module",
    "node16",
    "--moduleResolution",
    "node16",
    "--target",
    "es2022",
    "--lib",
    "es2022,dom",
    "--types",
    "node",
  ];
  const result = spawnSync(process.execPath, [tsc, ...args, ...files], { cwd: dir, encoding: "utf8" });
  return (
    `${result.stdout}${result.stderr}`.trim() + (result.status === 0 ? "" : `\n(tsc exited with ${result.status})`)
  );
}
