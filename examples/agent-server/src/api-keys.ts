/**
 * API keys for machines (CI bots, cron jobs): created once by `npm run apikey`,
 * shown once, stored only as their SHA-256 hash in PostgreSQL (PGlite or a real
 * server), and checked by passport-headerapikey from the `X-API-Key` header.
 * This file is also the README's API-key recipe (the marked part).
 */
import { randomBytes } from "node:crypto";
import type { Queryable } from "./db";
import { ALL_SCOPES } from "./tokens";
// recipe:start
import { createHash } from "node:crypto";
import { HeaderAPIKeyStrategy } from "passport-headerapikey";

/** Only the hash of a key is stored: a leaked table does not leak working keys. */
export const API_KEYS_TABLE = `CREATE TABLE IF NOT EXISTS api_keys (
  key_hash text PRIMARY KEY,
  identity text NOT NULL,
  scopes text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
)`;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** What PostgreSQL says when another process's `CREATE TABLE IF NOT EXISTS` committed the same table first. */
const CREATED_BY_ANOTHER = ["23505", "42P07", "42710"]; // unique_violation (in its catalog), duplicate_table, duplicate_object (its row type)

/** passport-headerapikey reading `X-API-Key`: a known key's hash gives its identity and scopes. */
export function apiKeyStrategy(db: Queryable): HeaderAPIKeyStrategy {
  let table: Promise<unknown> | undefined; // created at the first key seen, so the recipe needs no migration
  return new HeaderAPIKeyStrategy({ header: "X-API-Key", prefix: "" }, false, (key, done) => {
    if (key.length > 256) return done(null, false);
    (table ??= db.query(API_KEYS_TABLE).catch((err: { code?: string }) => {
      if (CREATED_BY_ANOTHER.includes(err.code ?? "")) return; // the table is there
      table = undefined; // try again at the next key
      throw err;
    }))
      .then(() =>
        db.query<{ identity: string; scopes: string[] }>("SELECT identity, scopes FROM api_keys WHERE key_hash = $1", [
          hashApiKey(key),
        ]),
      )
      .then(
        ([row]) => done(null, row ? { identity: row.identity, permissions: row.scopes, kind: "api-key" } : false),
        (err: Error) => done(err),
      );
  });
}
// recipe:end

/** The prefix of every key, so secret scanners and people recognise one. */
export const API_KEY_PREFIX = "gh_";

/**
 * Creates a key for `identity` with `scopes`; returns it (the only time it is seen).
 *
 * @example
 * const key = await createApiKey(db, { identity: "ci-bot", scopes: ["threads:read"] });
 */
export async function createApiKey(
  db: Queryable,
  options: { identity: string; scopes: readonly string[] },
): Promise<string> {
  const { identity, scopes } = options;
  if (typeof identity !== "string" || !/^[\w.@:-]{1,100}$/.test(identity)) {
    throw new TypeError("--identity must be 1 to 100 letters, digits or . _ @ : - (e.g. ci-bot)");
  }
  if (scopes.length === 0) throw new TypeError(`--scopes needs at least one of: ${ALL_SCOPES.join(", ")}`);
  const unknown = scopes.filter((scope) => !ALL_SCOPES.includes(scope));
  if (unknown.length > 0)
    throw new TypeError(
      `unknown scope ${unknown.map((s) => JSON.stringify(s)).join(", ")}; known: ${ALL_SCOPES.join(", ")}`,
    );
  const key = API_KEY_PREFIX + randomBytes(32).toString("base64url");
  await db.query(API_KEYS_TABLE);
  await db.query("INSERT INTO api_keys (key_hash, identity, scopes) VALUES ($1, $2, $3)", [
    hashApiKey(key),
    identity,
    [...new Set(scopes)],
  ]);
  return key;
}

/** A stored key as `npm run apikey -- list` shows it: never the key, only the start of its hash. */
export interface ApiKeyInfo {
  /** The first 12 hex digits of the key's SHA-256: tells keys apart, cannot be used as one. */
  id: string;
  identity: string;
  scopes: string[];
  createdAt: Date;
}

/**
 * Every stored key, oldest first.
 *
 * @example
 * for (const k of await listApiKeys(db)) console.log(k.id, k.identity, k.scopes.join(" "));
 */
export async function listApiKeys(db: Queryable): Promise<ApiKeyInfo[]> {
  await db.query(API_KEYS_TABLE);
  const rows = await db.query<{ key_hash: string; identity: string; scopes: string[]; created_at: Date | string }>(
    "SELECT key_hash, identity, scopes, created_at FROM api_keys ORDER BY created_at, key_hash",
  );
  return rows.map((row) => ({
    id: row.key_hash.slice(0, 12),
    identity: row.identity,
    scopes: row.scopes,
    createdAt: new Date(row.created_at),
  }));
}

/**
 * Deletes one key (by the key itself, or by the `id` that `listApiKeys` shows)
 * or every key of an identity; returns how many were deleted. The server looks
 * keys up on every request, so a deleted key stops working at its next one.
 *
 * @example
 * await revokeApiKeys(db, { key: leakedKey }); // 1
 * await revokeApiKeys(db, { identity: "ci-bot" }); // all of ci-bot's keys
 */
export async function revokeApiKeys(
  db: Queryable,
  which: { key: string } | { id: string } | { identity: string },
): Promise<number> {
  await db.query(API_KEYS_TABLE);
  if ("key" in which) {
    const rows = await db.query("DELETE FROM api_keys WHERE key_hash = $1 RETURNING 1", [hashApiKey(which.key)]);
    return rows.length;
  }
  if ("id" in which) {
    if (!/^[0-9a-f]{12}$/.test(which.id))
      throw new TypeError("--id is the 12 hex digits `list` shows (e.g. 3fa9c0d21b7e)");
    const rows = await db.query("DELETE FROM api_keys WHERE left(key_hash, 12) = $1 RETURNING 1", [which.id]);
    return rows.length;
  }
  const rows = await db.query("DELETE FROM api_keys WHERE identity = $1 RETURNING 1", [which.identity]);
  return rows.length;
}
