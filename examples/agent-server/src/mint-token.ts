import { ALL_SCOPES, mintToken } from "./tokens";

/**
 * `npm run token -w examples/agent-server -- <identity> [scope…]`: prints a
 * token signed with `JWT_SECRET` (HS256, valid `TOKEN_TTL` or 12 hours),
 * with the given scopes or every scope. For servers started with their own
 * `JWT_SECRET`, which print no demo tokens.
 */
function main(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const [identity, ...scopes] = argv;
  if (!env.JWT_SECRET || env.JWT_SECRET.length < 16) {
    console.error("Set JWT_SECRET (at least 16 characters) to the server's secret");
    return 1;
  }
  if (!identity) {
    console.error(
      `Usage: npm run token -w examples/agent-server -- <identity> [scope…]   scopes: ${ALL_SCOPES.join(" ")}`,
    );
    return 1;
  }
  const unknown = scopes.filter((scope) => !ALL_SCOPES.includes(scope));
  if (unknown.length > 0) {
    console.error(`Unknown scopes: ${unknown.join(", ")}; accepted: ${ALL_SCOPES.join(", ")}`);
    return 1;
  }
  const ttl = env.TOKEN_TTL || "12h";
  console.log(
    mintToken(env.JWT_SECRET, identity, { scopes: scopes.length > 0 ? scopes : ALL_SCOPES, expiresIn: ttl as never }),
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2), process.env);
