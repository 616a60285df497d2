/**
 * Smoke run of `npm run bench` (bench/run.js --smoke) on the built packages:
 * every benchmark runs end to end with tiny durations and row counts (the gateway
 * one starts LangGraph's server from the built examples/langgraph-gateway), so the
 * suite cannot rot. No timing assertions: this machine is shared and noisy.
 */
import { isNumber, runOnce } from "./smoke-run";
import scenarioTable from "./http/scenarios";

const scenarios: Record<string, { label: string; auth: boolean }> = scenarioTable;

describe("npm run bench (smoke)", () => {
  const bench = runOnce("run.js", ["--smoke"]);

  it("writes machine info and the date", () => {
    expect(bench.results.mode).toBe("smoke");
    expect(Number.isNaN(Date.parse(bench.results.date))).toBe(false);
    expect(bench.results.machine).toMatchObject({ node: process.version });
    expect(isNumber(bench.results.machine.cpus)).toBe(true);
  });

  it("has every HTTP scenario with numeric figures, in the table too", () => {
    const ids = bench.results.http.scenarios.map((s: { id: string }) => s.id);
    expect(ids).toEqual(Object.keys(scenarios));
    for (const s of bench.results.http.scenarios) {
      for (const key of ["rps", "p50", "p99", "ratio", "cpuUsPerRequest", "cpuRatio"])
        expect([s.id, key, isNumber(s[key])]).toEqual([s.id, key, true]);
      expect([s.id, s.non2xx, s.errors]).toEqual([s.id, 0, 0]);
      expect(bench.table).toContain(s.label);
    }
  });

  it("has the auth pipeline cost of every authenticating scenario", () => {
    const ids = bench.results.pipeline.scenarios.map((s: { id: string }) => s.id);
    expect(ids).toEqual(Object.keys(scenarios).filter((id) => scenarios[id].auth));
    for (const s of bench.results.pipeline.scenarios) expect([s.id, isNumber(s.authUs)]).toEqual([s.id, true]);
    expect(bench.table).toContain("Auth middleware alone");
  });

  it("has decisions/s for 1, 10, 100 and 1000 handlers", () => {
    expect(bench.results.decisions.cases.map((c: { handlers: number }) => c.handlers)).toEqual([1, 10, 100, 1000]);
    for (const c of bench.results.decisions.cases) {
      for (const key of ["authorizePerSec", "decidePerSec", "resolvePerSec"])
        expect([c.handlers, key, isNumber(c[key])]).toEqual([c.handlers, key, true]);
      expect(bench.table).toContain(`${c.handlers} handler`);
    }
  });

  it("has p50/p99 of every query in every index phase", () => {
    for (const phase of ["withoutIndex", "withIndex", "withDateIndex"]) {
      const queries = bench.results.data.phases[phase].queries;
      expect(queries.map((q: { query: string }) => q.query)).toEqual([
        "search, unfiltered",
        "search, owner filter",
        "read by id, unfiltered",
        "read by id, owner filter",
      ]);
      for (const q of queries)
        expect([phase, q.query, isNumber(q.p50), isNumber(q.p99)]).toEqual([phase, q.query, true, true]);
      expect(isNumber(bench.results.data.phases[phase].searchFilteredOverUnfiltered)).toBe(true);
    }
    expect(bench.table).toContain("GIN jsonb_path_ops");
  });

  it("has the gateway figures: GET /threads/:id and a stream's first event, direct and through the gateway", () => {
    const g = bench.results.gateway;
    for (const side of ["direct", "gateway"]) {
      for (const key of ["rps", "p50", "p99"])
        expect([side, key, isNumber(g.throughput[side][key])]).toEqual([side, key, true]);
      expect([side, g.throughput[side].non2xx, g.throughput[side].errors]).toEqual([side, 0, 0]);
      expect([side, isNumber(g.firstEvent[side].p50)]).toEqual([side, true]);
    }
    expect(isNumber(g.throughput.ratio)).toBe(true);
    expect(isNumber(g.firstEvent.addedP50Ms)).toBe(true);
    expect(bench.table).toContain("through the Gatehouse gateway");
  });

  it("states every target with a measured figure", () => {
    const ids = bench.results.targets.map((t: { id: string }) => t.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "http-vs-express",
        "http-vs-passport-jwt",
        "decisions-rate",
        "decisions-flat",
        "data-withIndex",
        "gateway-throughput",
        "gateway-first-event",
      ]),
    );
    for (const t of bench.results.targets)
      expect([t.id, isNumber(t.measured), typeof t.met]).toEqual([t.id, true, "boolean"]);
    expect(bench.table).toContain("Targets (ratios from this run)");
  });
});
