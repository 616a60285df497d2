/**
 * Smoke run of `npm run bench:peer` (bench/peer.js) on the built example server and the
 * repository's own LangGraph server (`--langgraph=repo`, no registry): every server starts,
 * passes the policy checks and is loaded for a second, and the tables and goals come out.
 * PGlite only (DATABASE_URL is not passed on), to stay short. No timing assertions: this
 * machine is shared and noisy.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const isNumber = (value: unknown) => typeof value === "number" && Number.isFinite(value);

describe("npm run bench:peer (smoke)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-peer-"));
  const out = path.join(dir, "peer.json");
  let table = "";
  let results: any;

  beforeAll(async () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const args = ["--duration=1", "--rounds=1", "--scenarios=get,search,mix", "--port=0", "--langgraph=repo"];
    const { stdout } = await run(process.execPath, [path.join(__dirname, "peer.js"), ...args, `--out=${out}`], {
      cwd: path.join(__dirname, ".."),
      env,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 240_000,
    });
    table = stdout;
    results = JSON.parse(readFileSync(out, "utf8"));
  }, 250_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs LangGraph, the example and the example with auth off, each passing the policy checks", () => {
    expect(results.servers.map((s: { id: string }) => s.id)).toEqual([
      "langgraph",
      "example-pglite",
      "example-pglite-noauth",
    ]);
    expect(results.policyChecks.langgraph).toEqual({
      ownRead: 200,
      foreignRead: 404,
      invalidToken: 401,
      foreignInSearch: 0,
    });
    expect(results.policyChecks["example-pglite"]).toEqual(results.policyChecks.langgraph);
    expect(results.policyChecks["example-pglite-noauth"]).toEqual({
      ownRead: 200,
      foreignRead: 404,
      foreignInSearch: 0,
    });
  });

  it("has req/s and CPU per request for every server, and the comparisons, in the tables too", () => {
    expect(results.scenarios.map((s: { id: string }) => s.id)).toEqual(["get", "search", "mix"]);
    for (const scenario of results.scenarios) {
      for (const id of ["langgraph", "example-pglite"]) {
        const f = scenario.figures[id];
        expect([scenario.id, id, isNumber(f.rps), f.errors]).toEqual([scenario.id, id, true, 0]);
        expect([scenario.id, id, f.non2xxShare > 0]).toEqual([scenario.id, id, scenario.id === "mix"]);
      }
      expect(isNumber(scenario.compared["example-pglite-vs-langgraph"])).toBe(true);
      expect(table).toContain(scenario.label);
    }
    const [get, , mix] = results.scenarios;
    expect(get.figures["example-pglite-noauth"].non2xxShare).toBe(0);
    expect(isNumber(get.compared["auth-cost-example-pglite"])).toBe(true);
    expect(mix.figures["example-pglite-noauth"]).toBeNull(); // invalid tokens mean nothing without auth
    expect(table).toContain("Auth cost (PGlite)");
    expect(results.goals.join("\n")).toContain("goal ≥ 1.0");
  });
});
