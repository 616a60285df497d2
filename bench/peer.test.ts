/**
 * Smoke run of `npm run bench:peer` (bench/peer.js) on the built example server and the
 * repository's own LangGraph server (`--langgraph=repo`, no registry): every server starts,
 * passes the policy checks and is loaded for a second, and the tables and goals come out.
 * PGlite only (DATABASE_URL is not passed on), to stay short. No timing assertions: this
 * machine is shared and noisy.
 */
import { isNumber, runOnce } from "./smoke-run";

describe("npm run bench:peer (smoke)", () => {
  // PGlite only: DATABASE_URL is not passed on.
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const bench = runOnce(
    "peer.js",
    ["--duration=1", "--rounds=1", "--scenarios=get,search,mix", "--port=0", "--langgraph=repo"],
    env,
  );

  it("runs LangGraph, the example, the example with auth off and without its read cache, each passing the policy checks", () => {
    expect(bench.results.servers.map((s: { id: string }) => s.id)).toEqual([
      "langgraph",
      "example-pglite",
      "example-pglite-noauth",
      "example-pglite-nocache",
    ]);
    expect(bench.results.policyChecks.langgraph).toEqual({
      ownRead: 200,
      foreignRead: 404,
      invalidToken: 401,
      foreignInSearch: 0,
    });
    expect(bench.results.policyChecks["example-pglite"]).toEqual(bench.results.policyChecks.langgraph);
    expect(bench.results.policyChecks["example-pglite-nocache"]).toEqual(bench.results.policyChecks.langgraph);
    expect(bench.results.policyChecks["example-pglite-noauth"]).toEqual({
      ownRead: 200,
      foreignRead: 404,
      foreignInSearch: 0,
    });
  });

  it("has req/s and CPU per request for every server, and the comparisons, in the tables too", () => {
    expect(bench.results.scenarios.map((s: { id: string }) => s.id)).toEqual(["get", "search", "mix"]);
    for (const scenario of bench.results.scenarios) {
      for (const id of ["langgraph", "example-pglite", "example-pglite-nocache"]) {
        const f = scenario.figures[id];
        expect([scenario.id, id, isNumber(f.rps), f.errors]).toEqual([scenario.id, id, true, 0]);
        expect([scenario.id, id, f.non2xxShare > 0]).toEqual([scenario.id, id, scenario.id === "mix"]);
      }
      expect(isNumber(scenario.compared["example-pglite-vs-langgraph"])).toBe(true);
      expect(isNumber(scenario.compared["read-cache"])).toBe(true);
      expect(bench.table).toContain(scenario.label);
    }
    const [get, , mix] = bench.results.scenarios;
    expect(get.figures["example-pglite-noauth"].non2xxShare).toBe(0);
    expect(isNumber(get.compared["auth-cost-example-pglite"])).toBe(true);
    expect(mix.figures["example-pglite-noauth"]).toBeNull(); // invalid tokens mean nothing without auth
    expect(bench.table).toContain("Auth cost (PGlite)");
    expect(bench.table).toContain("PGlite read cache on ÷ off");
    expect(bench.results.goals.join("\n")).toContain("goal ≥ 1.0");
  });
});
