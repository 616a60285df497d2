"use strict";
/**
 * Decision micro-benchmark: `auth.authorize(context, "threads:read", value)`
 * (most-specific resolution + a trivial handler returning an owner filter +
 * filter validation), awaited one after another as a data layer would, with
 * 1, 10, 100 and 1000 registered handlers. Also measured, to locate the cost:
 * the synchronous core (`decide`, what `authorize` wraps in a promise) and
 * resolution alone (`registry.resolve`). And the decision audit's cost: one
 * handler, `new Auth()` against `new Auth({ onDecision })` with a hook that
 * only counts, measured back to back in each round.
 */
const { gatehouse, internal } = require("./lib/gatehouse");
const { median, round } = require("./lib/stats");

const { Auth } = gatehouse();
const { decide } = internal();

const RESOURCES = 100;
const ACTIONS = 10;

/** The same 100 custom resources × 10 actions every time; only the number of registered handlers changes. */
function buildAuth(handlers, extra = {}) {
  const resources = {};
  for (let r = 0; r < RESOURCES; r++) resources[`res${r}`] = Array.from({ length: ACTIONS }, (_, a) => `act${a}`);
  const auth = new Auth({ resources, unhandled: "deny", logger: { error() {} }, ...extra });
  auth.on("threads:read", ({ user }) => ({ owner: user.identity }));
  let registered = 1;
  for (let r = 0; r < RESOURCES && registered < handlers; r++) {
    for (let a = 0; a < ACTIONS && registered < handlers; a++, registered++) {
      auth.on(`res${r}:act${a}`, ({ user }) => ({ owner: user.identity }));
    }
  }
  if (auth.registry.size !== handlers)
    throw new Error(`expected ${handlers} handlers, registered ${auth.registry.size}`);
  return auth;
}

const context = Object.freeze({
  user: Object.freeze({ identity: "alice", permissions: [], is_authenticated: true, display_name: "alice" }),
  permissions: [],
});
const value = { thread_id: "6f1d2c3e-0b8a-4b7e-9a51-2f4f3c1d9e10" };

async function perSecondAsync(fn, ms) {
  const batch = 2000;
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < batch; i++) await fn();
    n += batch;
    t = performance.now();
  }
  return n / ((t - t0) / 1000);
}

function perSecondSync(fn, ms) {
  const batch = 20000;
  let n = 0;
  let sink = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < batch; i++) sink ^= fn() === undefined ? 1 : 0;
    n += batch;
    t = performance.now();
  }
  if (sink === 42) console.log(sink);
  return n / ((t - t0) / 1000);
}

/**
 * @param {{ handlerCounts?: number[], durationMs: number, rounds: number, log?: (line: string) => void }} options
 */
async function runDecisions(options) {
  const log = options.log ?? (() => {});
  const counts = options.handlerCounts ?? [1, 10, 100, 1000];
  const cases = counts.map((handlers) => {
    const auth = buildAuth(handlers);
    const check = auth.authorize(context, "threads:read", value);
    return { handlers, auth, check, samples: { authorize: [], decide: [], resolve: [] } };
  });
  for (const c of cases) {
    const decision = await c.check;
    if (decision.filters?.owner !== "alice")
      throw new Error(`decision benchmark: unexpected decision ${JSON.stringify(decision)}`);
  }
  for (const c of cases) {
    // Warm-up: let the JIT settle on every path before the first measured round.
    const { auth } = c;
    const { registry, unhandled, report } = auth;
    await perSecondAsync(() => auth.authorize(context, "threads:read", value), options.durationMs);
    perSecondSync(() => decide(registry, unhandled, report, context, "threads:read", value), options.durationMs);
    perSecondSync(() => registry.resolve("threads:read"), options.durationMs);
  }
  for (let r = 0; r < options.rounds; r++) {
    for (const c of cases) {
      const { auth } = c;
      const { registry, unhandled, report } = auth;
      c.samples.authorize.push(
        await perSecondAsync(() => auth.authorize(context, "threads:read", value), options.durationMs),
      );
      c.samples.decide.push(
        perSecondSync(() => decide(registry, unhandled, report, context, "threads:read", value), options.durationMs),
      );
      c.samples.resolve.push(perSecondSync(() => registry.resolve("threads:read"), options.durationMs));
      log(
        `decisions: round ${r + 1}/${options.rounds} ${String(c.handlers).padStart(4)} handlers  authorize ${fmt(c.samples.authorize.at(-1))}/s` +
          `  decide ${fmt(c.samples.decide.at(-1))}/s  resolve ${fmt(c.samples.resolve.at(-1))}/s`,
      );
    }
  }
  // The audit hook: the same policy with and without onDecision, alternating within each round.
  let recorded = 0;
  const plain = buildAuth(1);
  const audited = buildAuth(1, { onDecision: () => void recorded++ });
  const audit = { without: [], with: [] };
  await perSecondAsync(() => audited.authorize(context, "threads:read", value), options.durationMs);
  for (let r = 0; r < options.rounds; r++) {
    audit.without.push(await perSecondAsync(() => plain.authorize(context, "threads:read", value), options.durationMs));
    audit.with.push(await perSecondAsync(() => audited.authorize(context, "threads:read", value), options.durationMs));
    log(
      `decisions: round ${r + 1}/${options.rounds} onDecision unset ${fmt(audit.without.at(-1))}/s  set ${fmt(audit.with.at(-1))}/s`,
    );
  }
  if (recorded === 0) throw new Error("decision benchmark: the onDecision hook never ran");
  // Flatness per round (fastest ÷ slowest handler count measured back to back), then the median over
  // rounds: a change of machine load between two rounds must not read as a dependence on the handler count.
  const flatness = median(
    Array.from({ length: options.rounds }, (_, r) => {
      const rates = cases.map((c) => c.samples.authorize[r]);
      return Math.max(...rates) / Math.min(...rates);
    }),
  );
  return {
    event: "threads:read",
    flatness: round(flatness, 2),
    handler: "({ user }) => ({ owner: user.identity })",
    rounds: options.rounds,
    durationMs: options.durationMs,
    audit: {
      withoutHookPerSec: round(median(audit.without), 0),
      withHookPerSec: round(median(audit.with), 0),
      withOverWithout: round(median(audit.with.map((w, i) => w / audit.without[i])), 2),
    },
    cases: cases.map((c) => ({
      handlers: c.handlers,
      authorizePerSec: round(median(c.samples.authorize), 0),
      bestAuthorizePerSec: round(Math.max(...c.samples.authorize), 0),
      decidePerSec: round(median(c.samples.decide), 0),
      resolvePerSec: round(median(c.samples.resolve), 0),
    })),
  };
}

function fmt(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`;
}

module.exports = { runDecisions, buildAuth };
