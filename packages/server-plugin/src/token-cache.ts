/**
 * A bounded LRU cache of verified tokens, for `jwtStrategy({ cache })`.
 * Keyed by the whole token string, so a token that differs in any byte
 * (a tampered payload or signature) is a miss and gets fully verified.
 * Every hit re-checks the token's validity window (`exp`, `nbf`, `maxAge`)
 * against the clock, so an entry never outlives the token it stands for.
 */

/** One verified token: its payload and the seconds (Unix time) it is valid from and until. */
interface Entry<P> {
  readonly payload: P;
  /** Accepted while `now >= validFrom` (nbf − clock tolerance). */
  readonly validFrom: number;
  /** Accepted while `now < validUntil` (exp + clock tolerance, or iat + maxAge + tolerance). */
  readonly validUntil: number;
  /** When the entry was last moved to the recent end, counted in moves. */
  stamp: number;
}

/**
 * Insertion-ordered `Map` as an LRU: an insert past `max` evicts the first
 * (least recently used) entry, and a hit moves its entry to the recent end,
 * except when the entry is already among the `max / 2` most recently moved
 * (moving costs a Map delete and set, and a hot token is hit on every request;
 * such an entry cannot be evicted before `max / 2` other tokens are moved).
 *
 * @example
 * const cache = new VerifiedTokenCache<object>(1000);
 * cache.set(token, payload, -Infinity, payload.exp);
 * cache.get(token, Math.floor(Date.now() / 1000)); // payload, or undefined once expired
 */
export class VerifiedTokenCache<P> {
  private readonly entries = new Map<string, Entry<P>>();
  private clock = 0;

  constructor(readonly max: number) {
    if (!Number.isSafeInteger(max) || max < 1)
      throw new TypeError(`The token cache size must be a positive integer, got ${String(max)}`);
  }

  /** The payload of a cached token still valid at `now` (Unix seconds); drops an entry that is not. */
  get(token: string, now: number): P | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (now >= entry.validUntil || now < entry.validFrom) {
      this.entries.delete(token);
      return undefined;
    }
    if (this.clock - entry.stamp >= this.max >> 1) {
      this.entries.delete(token);
      entry.stamp = ++this.clock;
      this.entries.set(token, entry);
    }
    return entry.payload;
  }

  /** Remembers a token that has just passed full verification. */
  set(token: string, payload: P, validFrom: number, validUntil: number): void {
    this.entries.delete(token);
    this.entries.set(token, { payload, validFrom, validUntil, stamp: ++this.clock });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Whether a token is cached (valid or not); for tests and diagnostics. */
  has(token: string): boolean {
    return this.entries.has(token);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
