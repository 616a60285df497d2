/**
 * `WORKERS=N`: N processes (node:cluster) serving one port on one PostgreSQL.
 * The primary checks the settings, creates the schema once, picks the JWT
 * secret once (so a token from any process works on every process), forks the
 * workers, replaces one that crashes, and on SIGTERM stops them all gracefully.
 */
import cluster, { type Worker } from "node:cluster";
import { openDb, type DbOptions } from "./db";

/** Why PGlite cannot be shared: said at start, before anything runs. */
export const PGLITE_WORKERS_MESSAGE =
  "WORKERS>1 needs DATABASE_URL: PGlite is an embedded database owned by one process, so several processes cannot share it. " +
  "Set DATABASE_URL=postgres://… to run several workers on one PostgreSQL, or WORKERS=1.";

/** Set by the primary in a worker's environment when `JWT_SECRET` there is the primary's random one. */
const RANDOM_SECRET_MARKER = "GATEHOUSE_JWT_SECRET_RANDOM";

/**
 * Throws when `workers` processes cannot share the configured database.
 *
 * @example
 * checkWorkers(2, { memory: true }); // throws: PGlite is owned by one process
 */
export function checkWorkers(workers: number, db: DbOptions): void {
  if (workers > 1 && !db.databaseUrl) throw new Error(PGLITE_WORKERS_MESSAGE);
}

export interface PrimaryOptions {
  workers: number;
  db: DbOptions;
  /** Passed to every worker: one secret for all of them. */
  jwtSecret: string;
  /** The secret was drawn for this start (no `JWT_SECRET`): workers say so in the banner. */
  jwtSecretIsRandom?: boolean;
  log: { info(msg: string): void; error(msg: string): void };
}

/**
 * Runs the cluster primary until SIGTERM/SIGINT, then stops the workers (each
 * shuts down gracefully) and exits 0 when they all did.
 *
 * @example
 * if (settings.workers > 1 && cluster.isPrimary) return runPrimary({ workers: 2, db, jwtSecret, log });
 */
export async function runPrimary(options: PrimaryOptions): Promise<void> {
  const { workers, db, jwtSecret, jwtSecretIsRandom = false, log } = options;
  checkWorkers(workers, db);
  // Open the database once before forking: a wrong DATABASE_URL or a database
  // that is down fails here, once, not in every worker (which would each fail
  // alike). The workers then find the schema made (openDb creates it under an advisory lock).
  await (await openDb(db)).close();

  let stopping = false;
  let failed = false;
  const listening = new Set<number>();
  const fork = (index: number): Worker => {
    const worker = cluster.fork({
      GATEHOUSE_WORKER: String(index),
      JWT_SECRET: jwtSecret,
      ...(jwtSecretIsRandom ? { [RANDOM_SECRET_MARKER]: "1" } : {}),
    });
    worker.once("listening", () => listening.add(worker.id));
    worker.once("exit", (code, signal) => {
      const wasListening = listening.delete(worker.id);
      if (stopping) {
        // A worker still starting has no SIGTERM handler yet and dies of the signal we sent:
        // it served nothing, so that is a clean stop too.
        if (code !== 0 && signal !== "SIGTERM") failed = true;
        return;
      }
      log.error(`worker ${index} exited (${signal ?? `code ${code}`})${wasListening ? "; starting a new one" : ""}`);
      if (wasListening) fork(index);
      else {
        failed = true; // it never started: starting it again would fail the same way
        void stop("worker failure");
      }
    });
    return worker;
  };
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${reason}: stopping ${Object.keys(cluster.workers ?? {}).length} workers`);
    const exits = Object.values(cluster.workers ?? {}).map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (!worker || worker.isDead()) return resolve();
          worker.once("exit", () => resolve());
          worker.process.kill("SIGTERM");
        }),
    );
    await Promise.all(exits);
    process.exit(failed ? 1 : 0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
  for (let i = 1; i <= workers; i++) fork(i);
  log.info(`primary ${process.pid}: started ${workers} workers on ${redactUrl(db.databaseUrl)}`);
}

function redactUrl(url: string | undefined): string {
  try {
    const parsed = new URL(url ?? "");
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(DATABASE_URL)";
  }
}

/**
 * The environment as the person who started the server set it: in a worker,
 * without the `JWT_SECRET` the primary drew at random (so the banner does not
 * claim it came from `JWT_SECRET`, a secret nobody can mint tokens with).
 *
 * @example
 * startupBanner({ url, database, jwtSecret, env: startedWith(process.env) });
 */
export function startedWith(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!cluster.isWorker || env[RANDOM_SECRET_MARKER] !== "1") return env;
  const { JWT_SECRET: _drawn, [RANDOM_SECRET_MARKER]: _marker, ...rest } = env;
  return rest;
}

/** This process's worker number (1…N) under `WORKERS=N`, else undefined. */
export function workerIndex(): number | undefined {
  return cluster.isWorker ? Number(process.env.GATEHOUSE_WORKER) : undefined;
}
