/**
 * One process at a time in a PGlite data directory. PGlite is PostgreSQL
 * compiled into this process, with its own buffers and no server in between:
 * a second process opening the same files (a second `npm start`, or
 * `npm run apikey` while the server runs) writes over the first one's pages
 * and can corrupt them, and neither sees the other's writes. PGlite itself
 * does not stop that, so the process that opens a directory keeps its pid in
 * `gatehouse.pid` there until it closes the database; a pid whose process is
 * gone (a crash, SIGKILL) is stale and taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";

export const LOCK_FILE = "gatehouse.pid";

/** Directories this process has open: its own pid in a lock file is only stale when the directory is not one of them. */
const openHere = new Set<string>();

/** Thrown when another process (or this one) has the directory open. */
export class PgliteInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `PGlite in ${dir} is in use by ${pid === process.pid ? "this process" : `process ${pid}`} (a running server, or npm run apikey?): ` +
        "an embedded database can be open in one process at a time. Stop that process first, " +
        "or set DATABASE_URL to share one PostgreSQL server between processes.",
    );
    this.name = "PgliteInUseError";
  }
}

/**
 * Takes `dir` for this process; returns the function that gives it back.
 *
 * @example
 * const release = lockPgliteDir(dataDir); // throws PgliteInUseError when another process has it
 * try { … } finally { release(); }
 */
export function lockPgliteDir(dir: string): () => void {
  const resolved = path.resolve(dir);
  const file = path.join(resolved, LOCK_FILE);
  if (openHere.has(resolved)) throw new PgliteInUseError(resolved, process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, "wx");
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 2) throw error;
      const owner = ownerOf(file);
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) throw new PgliteInUseError(resolved, owner);
      removeIfPresent(file); // stale: its process is gone (or was an earlier life of this pid)
    }
  }
  openHere.add(resolved);
  const onExit = () => removeIfPresent(file);
  process.once("exit", onExit); // an exit without close() (process.exit, an uncaught error) still gives it back
  let released = false;
  return () => {
    if (released) return;
    released = true;
    openHere.delete(resolved);
    process.off("exit", onExit);
    if (ownerOf(file) === process.pid) removeIfPresent(file);
  };
}

function ownerOf(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // alive, owned by another user
  }
}

function removeIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
