import { types } from "node:util";
import type { Row } from "./db";

/** How much {@link ReadCache} keeps; sizes are estimates of the rows' size in memory. */
export interface ReadCacheLimits {
  /** All entries together (default 16 MiB; 0 turns the cache off). */
  maxBytes: number;
  /** One entry: a larger result is returned but not kept (default 64 KiB). */
  maxEntryBytes: number;
}

export const DEFAULT_READ_CACHE_LIMITS: ReadCacheLimits = { maxBytes: 16 * 1024 * 1024, maxEntryBytes: 64 * 1024 };

/**
 * Results of reads kept in memory until the next write, for the embedded
 * database (PGlite), which only this process opens: every write goes through
 * it, so it knows when a kept result may have changed.
 *
 * A read is kept only when it is marked a pure read (`{ read: true }`: its
 * result depends on nothing but the tables and the parameters) and no write
 * started or ended while it ran. Every other statement and every transaction
 * counts as a write: it empties the cache when it starts and when it ends.
 * Callers get a copy, so changing a result never changes the cache.
 *
 * @example
 * const cache = new ReadCache();
 * const rows = await cache.read(text, params, () => worker.query(text, params));
 * await cache.write(() => worker.query("UPDATE threads SET …", [id]));
 */
export class ReadCache {
  private readonly entries = new Map<string, { rows: Row[]; bytes: number }>();
  private readonly limits: ReadCacheLimits;
  private generation = 0;
  private bytes = 0;
  /** Reads answered from memory, and reads that ran: for tests and operators. */
  hits = 0;
  misses = 0;

  constructor(limits: Partial<ReadCacheLimits> = {}) {
    this.limits = { ...DEFAULT_READ_CACHE_LIMITS, ...limits };
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value < 0)
        throw new RangeError(`ReadCache: ${name} must be a whole number of bytes ≥ 0, got ${String(value)}`);
    }
  }

  /** The rows of a pure read: a copy of the kept result when there is one, else `run`'s (kept when it fits). */
  async read(text: string, params: readonly unknown[] | undefined, run: () => Promise<Row[]>): Promise<Row[]> {
    const key = this.limits.maxBytes > 0 ? keyOf(text, params) : undefined;
    const kept = key === undefined ? undefined : this.entries.get(key);
    if (key !== undefined && kept) {
      this.entries.delete(key); // most recently used last
      this.entries.set(key, kept);
      this.hits++;
      return structuredClone(kept.rows);
    }
    this.misses++;
    const started = this.generation;
    const rows = await run();
    if (key !== undefined && this.generation === started) this.keep(key, rows);
    return rows;
  }

  /** Runs a write (or anything not marked a pure read), emptying the cache before and after it. */
  async write<T>(run: () => Promise<T>): Promise<T> {
    this.clear();
    try {
      return await run();
    } finally {
      this.clear();
    }
  }

  /** Forgets every kept result, and any read still running will not be kept. */
  clear(): void {
    this.generation++;
    if (this.entries.size > 0) this.entries.clear();
    this.bytes = 0;
  }

  private keep(key: string, rows: Row[]): void {
    const bytes = estimateBytes(rows, Math.min(this.limits.maxEntryBytes, this.limits.maxBytes) - key.length);
    if (bytes === undefined) return;
    const size = bytes + key.length;
    const previous = this.entries.get(key); // two reads of the same key that ran at once
    if (previous) {
      this.entries.delete(key);
      this.bytes -= previous.bytes;
    }
    this.entries.set(key, { rows: structuredClone(rows), bytes: size });
    this.bytes += size;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.limits.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }
}

/** The statement and its parameters as one string; undefined when a parameter has no JSON form (not kept). */
function keyOf(text: string, params: readonly unknown[] | undefined): string | undefined {
  try {
    return `${JSON.stringify(params ?? [])}\u0000${text}`;
  } catch {
    return undefined; // e.g. a BigInt
  }
}

/** Roughly how many bytes `value` takes, or undefined as soon as that passes `budget`. */
export function estimateBytes(value: unknown, budget: number): number | undefined {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === "string") total += 16 + 2 * item.length;
    else if (types.isUint8Array(item)) total += 16 + item.byteLength;
    else if (Array.isArray(item)) {
      total += 16 + 8 * item.length;
      for (const element of item) stack.push(element);
    } else if (item !== null && typeof item === "object" && !types.isDate(item)) {
      for (const [name, element] of Object.entries(item)) {
        total += 16 + 2 * name.length;
        stack.push(element);
      }
    } else total += 16; // numbers, booleans, null, Dates
    if (total > budget) return undefined;
  }
  return total;
}
