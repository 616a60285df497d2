/**
 * For the bench smoke tests: runs a bench script once before the suite's tests,
 * keeping what it printed (`table`) and the JSON it wrote with `--out` (`results`),
 * and removes its files after the suite.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface BenchRun {
  table: string;
  results: any;
}

export function runOnce(script: string, args: string[], env?: NodeJS.ProcessEnv): BenchRun {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-"));
  const out = path.join(dir, "results.json");
  const bench: BenchRun = { table: "", results: undefined };
  beforeAll(async () => {
    const { stdout } = await run(process.execPath, [path.join(__dirname, script), ...args, `--out=${out}`], {
      cwd: path.join(__dirname, ".."),
      env,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 240_000,
    });
    bench.table = stdout;
    bench.results = JSON.parse(readFileSync(out, "utf8"));
  }, 250_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return bench;
}

export const isNumber = (value: unknown) => typeof value === "number" && Number.isFinite(value);
