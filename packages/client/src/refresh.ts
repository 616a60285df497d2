/**
 * Single-flight refresh. Every attempt remembers the `generation` it was sent
 * in; a 401 joins the refresh in flight, or starts one only if no refresh has
 * settled since that attempt was sent. So a burst of 401s costs exactly one
 * refresh, even when responses straggle in after it finished, and a failed
 * refresh is reported to the whole burst instead of being run again.
 */
export interface RefreshGate<A> {
  /** Bumped each time a refresh settles. */
  readonly generation: number;
  /** Resolves once credentials newer than `seen` exist; rejects with the refresh's error. */
  after(seen: number, arg: A): Promise<void>;
}

export function createRefreshGate<A>(refresh: (arg: A) => unknown): RefreshGate<A> {
  let generation = 0;
  let inFlight: Promise<void> | undefined;
  let last: Promise<void> = Promise.resolve();
  return {
    get generation() {
      return generation;
    },
    after(seen, arg) {
      if (inFlight) return inFlight;
      if (seen !== generation) return last;
      last = inFlight = Promise.resolve()
        .then(() => refresh(arg))
        .then(() => undefined)
        .finally(() => {
          generation++;
          inFlight = undefined;
        });
      return inFlight;
    },
  };
}

/** The Web Locks API where there is one (browsers), else undefined. */
interface LockManager {
  request<T>(name: string, options: { ifAvailable: true }, callback: (lock: unknown) => Promise<T>): Promise<T>;
  request<T>(name: string, callback: (lock: unknown) => Promise<T>): Promise<T>;
}

export function webLocks(): LockManager | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  return locks && typeof locks.request === "function" ? locks : undefined;
}

/**
 * Runs `refresh` under a Web Lock named `name`, so one tab refreshes at a time.
 * A tab that had to wait for the lock expects that the holder just refreshed:
 * it watches the credential for up to `graceMs` (`localStorage` writes reach
 * other tabs asynchronously, late on a busy machine: 1 s was seen to be too
 * short) and skips its own refresh as soon as it changed, so a rotating
 * refresh token is never used twice. Only a tab whose lock holder failed to
 * refresh waits the whole grace. Without Web Locks, runs
 * `refresh` directly.
 */
export async function acrossTabs(
  name: string | undefined,
  changed: () => Promise<boolean>,
  refresh: () => unknown,
  graceMs = 5_000,
): Promise<void> {
  const locks = name ? webLocks() : undefined;
  if (!locks || !name) {
    await refresh();
    return;
  }
  const done = await locks.request(name, { ifAvailable: true }, async (lock) => {
    if (!lock) return false;
    if (!(await changed())) await refresh();
    return true;
  });
  if (done) return;
  await locks.request(name, async () => {
    for (const deadline = Date.now() + graceMs; ;) {
      if (await changed()) return;
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await refresh();
  });
}
