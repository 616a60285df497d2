import { mintToken } from "./tokens";

/** What the start banner needs to know about this start. */
export interface BannerInput {
  url: string;
  /** Where the data lives, as `Db.description` says it. */
  database: string;
  /** The secret tokens are signed with (only used to mint demo tokens). */
  jwtSecret: string;
  /** The environment the server was started with (`JWT_SECRET`, `DATABASE_URL`). */
  env: NodeJS.ProcessEnv;
}

/**
 * Zero-configuration demo mode: no `JWT_SECRET` (a random secret for this
 * start) and no `DATABASE_URL` (embedded PGlite). Only then does the banner
 * print ready-to-paste tokens; a start with either set is production-like and
 * must not write full-scope credentials into its logs.
 */
export function isDemoMode(env: NodeJS.ProcessEnv): boolean {
  return !env.JWT_SECRET && !env.DATABASE_URL;
}

/**
 * The text `npm start` prints: URL, database, secret source, and either demo
 * tokens with a curl line (demo mode) or how to mint a token (otherwise).
 *
 * @example
 * console.log(startupBanner({ url, database: db.description, jwtSecret, env: process.env }));
 */
export function startupBanner({ url, database, jwtSecret, env }: BannerInput): string {
  const lines = [
    `Agent server listening on ${url}`,
    `Database: ${database}`,
    `JWT secret: ${env.JWT_SECRET ? "from JWT_SECRET" : "random for this start (set JWT_SECRET to keep tokens valid across restarts)"}`,
    "",
  ];
  if (!isDemoMode(env)) {
    lines.push(
      `No demo tokens printed: ${env.JWT_SECRET ? "JWT_SECRET" : "DATABASE_URL"} is set, so this is not the zero-configuration demo.`,
      env.JWT_SECRET
        ? "Mint a token with the same JWT_SECRET (identity, then scopes; every scope when none are given):"
        : "Nobody knows this start's random secret, so no token can be minted for it: restart with a JWT_SECRET of your own (16+ characters) and mint with the same one:",
      "  JWT_SECRET=… npm run token -w examples/agent-server -- alice threads:read threads:write",
      "",
    );
    return lines.join("\n");
  }
  const alice = mintToken(jwtSecret, "alice");
  const bob = mintToken(jwtSecret, "bob");
  lines.push(
    "Demo tokens (HS256, full scopes, valid 12 hours; printed only in this zero-configuration mode):",
    `ALICE_TOKEN=${alice}`,
    `BOB_TOKEN=${bob}`,
    "",
    "Try it: alice creates a thread, bob searches and sees none of alice's:",
    `curl -s -X POST ${url}/threads -H "Authorization: Bearer ${alice}" -H 'Content-Type: application/json' -d '{"metadata":{"topic":"demo"}}'; echo; ` +
      `curl -s -X POST ${url}/threads/search -H "Authorization: Bearer ${bob}" -H 'Content-Type: application/json' -d '{}'`,
    "",
  );
  return lines.join("\n");
}
