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
    get generation() { return generation; },
    after(seen, arg) {
      if (inFlight) return inFlight;
      if (seen !== generation) return last;
      last = inFlight = Promise.resolve().then(() => refresh(arg)).then(() => undefined)
        .finally(() => { generation++; inFlight = undefined; });
      return inFlight;
    },
  };
}
