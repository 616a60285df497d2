/**
 * `npm run apikey -w examples/agent-server -- create --identity ci-bot --scopes threads:read`:
 * creates an API key in the server's database (`DATABASE_URL`, else PGlite in
 * `PGLITE_DIR`), prints it once, and stores only its SHA-256 hash.
 */
import { createApiKey } from "./api-keys";
import { dbOptionsFromEnv, openDb, type DbOptions } from "./db";

const USAGE = "usage: npm run apikey -w examples/agent-server -- create --identity <name> --scopes <scope>[,<scope>…]";

/** Reads `create --identity X --scopes a,b` (also `--scopes a b`, `--identity=X`). */
export function parseApiKeyArgs(argv: readonly string[]): { identity: string; scopes: string[] } {
  const [command, ...rest] = argv;
  if (command !== "create") throw new TypeError(USAGE);
  let identity: string | undefined;
  const scopes: string[] = [];
  let current: "identity" | "scopes" | undefined;
  for (const arg of rest) {
    const [flag, inline] = arg.startsWith("--")
      ? (arg.split("=", 2) as [string, string | undefined])
      : [undefined, arg];
    if (flag === "--identity" || flag === "--scopes") current = flag === "--identity" ? "identity" : "scopes";
    else if (flag === "--memory") continue;
    else if (flag !== undefined) throw new TypeError(`unknown option ${flag}; ${USAGE}`);
    const value = flag === undefined ? arg : inline;
    if (value === undefined) continue;
    if (current === "identity") identity = value;
    else if (current === "scopes") scopes.push(...value.split(/[,\s]+/).filter(Boolean));
    else throw new TypeError(USAGE);
  }
  if (!identity) throw new TypeError(`--identity is required; ${USAGE}`);
  return { identity, scopes };
}

/** The CLI, for `main` and for tests: returns the exit code. */
export async function runApiKeyCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  dbOptions?: DbOptions,
): Promise<number> {
  let args;
  try {
    args = parseApiKeyArgs(argv);
  } catch (err) {
    out((err as Error).message);
    return 2;
  }
  const db = await openDb(dbOptions ?? dbOptionsFromEnv(env, argv));
  try {
    const key = await createApiKey(db, args);
    out(
      `API key for ${args.identity} (scopes: ${args.scopes.join(" ")}), stored as a SHA-256 hash in ${db.description}.`,
    );
    out("It is shown only now; keep it in your secret store:");
    out("");
    out(key);
    out("");
    out(
      `Use it: curl -H "X-API-Key: <the key>" -X POST http://127.0.0.1:2024/threads/search -H 'Content-Type: application/json' -d '{}'`,
    );
    return 0;
  } catch (err) {
    out(err instanceof TypeError ? err.message : `could not create the key: ${(err as Error).message}`);
    return err instanceof TypeError ? 2 : 1;
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  void runApiKeyCli(process.argv.slice(2), process.env, (line) => console.log(line)).then((code) => {
    process.exitCode = code;
  });
}
