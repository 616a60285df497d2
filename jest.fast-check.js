/**
 * One fast-check seed per test file, for every property test in the repo.
 *
 * - `FC_SEED=<integer>` replays a run: every property of the file starts from
 *   that seed (fast-check prints it, with the path, beside any counterexample).
 * - Without it each file draws a fresh seed, so every run explores new cases.
 *
 * Checks made after a property (e.g. "enough cases were accepted") cannot rely
 * on fast-check's report: they name the seed themselves, read with
 * `fc.readConfigureGlobal().seed`.
 */
const fc = require("fast-check");

const raw = process.env.FC_SEED;
if (raw !== undefined && raw !== "" && !/^-?\d+$/.test(raw)) {
  throw new Error(`FC_SEED must be an integer (the seed fast-check printed), got ${JSON.stringify(raw)}`);
}
const seed = raw ? Number(raw) : (Date.now() ^ (Math.random() * 0x100000000)) | 0;
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
