/**
 * `npm run apikey -w examples/agent-server -- <command>`, on the server's
 * database (`DATABASE_URL`, else PGlite in `PGLITE_DIR`):
 * - `create --identity ci-bot --scopes threads:read`: a new key, printed once
 *   (only its SHA-256 hash is stored);
 * - `list`: every key's id (the start of its hash), identity, scopes and age;
 * - `revoke --key gh_…`, `revoke --id <id>` or `revoke --identity ci-bot`.
 */
import { createApiKey, listApiKeys, revokeApiKeys } from "./api-keys";
import { dbOptionsFromEnv, openDb, type Db, type DbOptions } from "./db";

const USAGE = [
  "usage: npm run apikey -w examples/agent-server -- create --identity <name> --scopes <scope>[,<scope>…]",
  "       npm run apikey -w examples/agent-server -- list",
  "       npm run apikey -w examples/agent-server -- revoke --key <key> | --id <id from list> | --identity <name>",
].join("\n");

export type ApiKeyCommand =
  | { command: "create"; identity: string; scopes: string[] }
  | { command: "list" }
  | { command: "revoke"; key: string }
  | { command: "revoke"; id: string }
  | { command: "revoke"; identity: string };

const OPTIONS = {
  create: ["identity", "scopes"],
  list: [],
  revoke: ["key", "id", "identity"],
} as const;

/** Reads `create --identity X --scopes a,b` (also `--scopes a b`, `--identity=X`), `list`, `revoke --key K`. */
export function parseApiKeyArgs(argv: readonly string[]): ApiKeyCommand {
  const [command, ...rest] = argv;
  if (command !== "create" && command !== "list" && command !== "revoke") throw new TypeError(USAGE);
  const allowed: readonly string[] = OPTIONS[command];
  const values = new Map<string, string[]>();
  let current: string | undefined;
  for (const arg of rest) {
    const eq = arg.indexOf("=");
    const [flag, inline] = !arg.startsWith("--")
      ? [undefined, arg]
      : eq < 0
        ? [arg, undefined]
        : [arg.slice(0, eq), arg.slice(eq + 1)];
    if (flag === "--memory") continue;
    if (flag !== undefined) {
      current = flag.slice(2);
      if (!allowed.includes(current)) throw new TypeError(`unknown option ${flag} for ${command}\n${USAGE}`);
      values.set(current, values.get(current) ?? []);
    }
    const value = flag === undefined ? arg : inline;
    if (value === undefined) continue;
    if (current === undefined) throw new TypeError(`unexpected "${value}"\n${USAGE}`);
    if (current !== "scopes" && values.get(current)!.length > 0)
      throw new TypeError(`--${current} takes one value\n${USAGE}`);
    values.get(current)!.push(...(current === "scopes" ? value.split(/[,\s]+/).filter(Boolean) : [value]));
  }
  const one = (name: string) => values.get(name)?.[0];
  if (command === "list") return { command };
  if (command === "create") {
    const identity = one("identity");
    if (!identity) throw new TypeError(`--identity is required\n${USAGE}`);
    return { command, identity, scopes: values.get("scopes") ?? [] };
  }
  const given = [...values].filter(([, v]) => v.length > 0);
  if (given.length !== 1) throw new TypeError(`revoke needs exactly one of --key, --id or --identity\n${USAGE}`);
  const [name, [value]] = given[0];
  return name === "key"
    ? { command, key: value }
    : name === "id"
      ? { command, id: value }
      : { command, identity: value };
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
  let db: Db | undefined;
  try {
    db = await openDb(dbOptions ?? dbOptionsFromEnv(env, argv));
    return await run(db, args, out);
  } catch (err) {
    out(err instanceof TypeError ? err.message : `apikey ${args.command} failed: ${(err as Error).message}`);
    return err instanceof TypeError ? 2 : 1;
  } finally {
    await db?.close();
  }
}

async function run(db: Db, args: ApiKeyCommand, out: (line: string) => void): Promise<number> {
  if (args.command === "create") {
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
  }
  if (args.command === "list") {
    const keys = await listApiKeys(db);
    out(`${keys.length} API key${keys.length === 1 ? "" : "s"} in ${db.description}${keys.length ? ":" : "."}`);
    for (const k of keys) out(`${k.id}  ${k.identity}  ${k.scopes.join(",")}  created ${k.createdAt.toISOString()}`);
    return 0;
  }
  const { command: _command, ...which } = args;
  const revoked = await revokeApiKeys(db, which);
  const what = "key" in which ? "that key" : "id" in which ? `id ${which.id}` : `identity ${which.identity}`;
  if (revoked === 0) {
    out(`No API key matches ${what}: nothing revoked (npm run apikey -- list shows the keys).`);
    return 1;
  }
  out(
    `Revoked ${revoked} API key${revoked === 1 ? "" : "s"} (${what}); the server refuses ${revoked === 1 ? "it" : "them"} from the next request on.`,
  );
  return 0;
}

if (require.main === module) {
  void runApiKeyCli(process.argv.slice(2), process.env, (line) => console.log(line)).then((code) => {
    process.exitCode = code;
  });
}
