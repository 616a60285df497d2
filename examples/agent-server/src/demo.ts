import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { bearer, createClient, GatehouseError, type Client } from "@gatehouse/client";
import { createApp } from "./app";
import { openDb, type Db } from "./db";
import { mintToken, randomSecret } from "./tokens";

/**
 * `npm run demo`: alice and bob use the server through `@gatehouse/client`;
 * the demo prints what each one sees and exits 1 if bob ever reaches alice's data.
 *
 * Target: the running server at `AGENT_URL` (default http://127.0.0.1:2024)
 * with `ALICE_TOKEN` and `BOB_TOKEN` (as printed by `npm start`), or tokens
 * minted from `JWT_SECRET`. Without either, it starts its own in-memory server.
 */
interface Target {
  url: string;
  alice: string;
  bob: string;
  stop(): Promise<void>;
}

async function target(env: NodeJS.ProcessEnv): Promise<Target> {
  const url = env.AGENT_URL || `http://127.0.0.1:${env.PORT || 2024}`;
  if (env.ALICE_TOKEN && env.BOB_TOKEN)
    return { url, alice: env.ALICE_TOKEN, bob: env.BOB_TOKEN, stop: () => Promise.resolve() };
  if (env.JWT_SECRET) {
    return {
      url,
      alice: mintToken(env.JWT_SECRET, "alice"),
      bob: mintToken(env.JWT_SECRET, "bob"),
      stop: () => Promise.resolve(),
    };
  }
  console.log("No ALICE_TOKEN/BOB_TOKEN or JWT_SECRET set: starting a server of our own (PGlite in memory).\n");
  const secret = randomSecret();
  const db: Db = await openDb({ memory: true });
  const server: Server = await new Promise((resolve, reject) => {
    const s = createApp({ db, jwtSecret: secret }).listen(0, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    alice: mintToken(secret, "alice"),
    bob: mintToken(secret, "bob"),
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}

/** What a call answered: allowed, or the status and error class. */
async function attempt(what: () => Promise<unknown>): Promise<{ ok: boolean; text: string }> {
  try {
    await what();
    return { ok: true, text: "allowed" };
  } catch (error) {
    if (error instanceof GatehouseError) {
      return { ok: false, text: `${error.status ?? ""} ${error.name}`.trim() };
    }
    throw error;
  }
}

const short = (id: string) => id.slice(0, 8);

/** What a user sees: their threads and their store namespaces. */
async function seen(client: Client): Promise<{ threads: string; namespaces: string }> {
  const threads = await client.threads.search({ limit: 100 });
  const { namespaces } = await client.store.listNamespaces();
  return {
    threads: threads.map((t) => `${short(t.thread_id)} (${String(t.metadata.topic)})`).join(", ") || "none",
    namespaces: namespaces.map((n) => n.join(".")).join(", ") || "none",
  };
}

/** Rows of [what, alice, bob] as an aligned table. */
function table(rows: readonly (readonly [string, string, string])[]): string {
  const all: (readonly [string, string, string])[] = [["", "alice", "bob"], ...rows];
  const width = [0, 1, 2].map((i) => Math.max(...all.map((row) => row[i].length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell.padEnd(width[i]))
      .join("   ")
      .trimEnd();
  return [line(all[0]), line(width.map((w) => "-".repeat(w))), ...all.slice(1).map(line)].join("\n");
}

async function main(): Promise<number> {
  const t = await target(process.env);
  try {
    const alice = createClient({ baseURL: t.url, credentials: bearer(t.alice) });
    const bob = createClient({ baseURL: t.url, credentials: bearer(t.bob) });
    console.log(`Server: ${t.url}\n`);

    const thread = await alice.threads.create({ metadata: { topic: "tax" } });
    const values = await alice.runs.wait<{ messages: { type: string; content: string }[] }>(thread.thread_id, {
      assistant_id: "echo",
      input: { messages: [{ role: "user", content: "What is my refund?" }] },
    });
    const reply = values.messages.filter((m) => m.type === "ai").pop()?.content;
    console.log(
      `alice creates thread ${short(thread.thread_id)} (tax) and runs echo: "What is my refund?" -> "${reply}"`,
    );
    const note = { text: "ask about the refund" };
    await alice.store.putItem(["alice", "notes"], "refund", note);
    console.log('alice stores ["alice", "notes"] / refund');
    const bobs = await bob.threads.create({ metadata: { topic: "groceries" } });
    console.log(`bob creates thread ${short(bobs.thread_id)} (groceries)\n`);

    const [aliceSees, bobSees] = [await seen(alice), await seen(bob)];
    const id = thread.thread_id;
    // [what, owner of the data, alice's call (undefined: not tried), bob's call]
    const tries: [string, "alice" | "bob", (() => Promise<unknown>) | undefined, () => Promise<unknown>][] = [
      ["reads alice's thread", "alice", () => alice.threads.get(id), () => bob.threads.get(id)],
      [
        "renames alice's thread",
        "alice",
        () => alice.threads.update(id, { metadata: { topic: "tax" } }),
        () => bob.threads.update(id, { metadata: { topic: "mine" } }),
      ],
      [
        "runs echo on alice's thread",
        "alice",
        () => alice.runs.wait(id, { assistant_id: "echo", input: {} }),
        () => bob.runs.wait(id, { assistant_id: "echo", input: {} }),
      ],
      ["lists alice's runs", "alice", () => alice.runs.list(id), () => bob.runs.list(id)],
      ["deletes alice's thread", "alice", undefined, () => bob.threads.delete(id)],
      [
        "reads alice's note",
        "alice",
        () => alice.store.getItem(["alice", "notes"], "refund"),
        () => bob.store.getItem(["alice", "notes"], "refund"),
      ],
      [
        "overwrites alice's note",
        "alice",
        () => alice.store.putItem(["alice", "notes"], "refund", note),
        () => bob.store.putItem(["alice", "notes"], "refund", { text: "bob was here" }),
      ],
      ["reads bob's thread", "bob", () => alice.threads.get(bobs.thread_id), () => bob.threads.get(bobs.thread_id)],
    ];
    const rows: [string, string, string][] = [
      ["sees threads", aliceSees.threads, bobSees.threads],
      ["sees store namespaces", aliceSees.namespaces, bobSees.namespaces],
    ];
    let leaks = 0;
    let denied = 0;
    for (const [label, owner, asAlice, asBob] of tries) {
      const cells: string[] = [];
      for (const [user, call] of [
        ["alice", asAlice],
        ["bob", asBob],
      ] as const) {
        if (!call) {
          cells.push("-");
          continue;
        }
        const result = await attempt(call);
        if (result.ok && user !== owner) leaks++;
        if (!result.ok && user === owner) denied++;
        cells.push(result.text);
      }
      rows.push([label, cells[0], cells[1]]);
    }
    console.log(table(rows));

    const still = await alice.threads.get(id);
    console.log(
      `\nalice's thread afterwards: topic ${String(still.metadata.topic)}, owner ${String(still.metadata.owner)}`,
    );
    if (denied > 0) console.log(`UNEXPECTED: ${denied} call(s) on a user's own data were refused.`);
    console.log(
      leaks === 0
        ? "Isolation held: neither user could reach the other's data."
        : `ISOLATION BROKEN: ${leaks} call(s) reached the other user's data.`,
    );
    return leaks === 0 && denied === 0 ? 0 : 1;
  } finally {
    await t.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const hint =
      error instanceof GatehouseError && error.name === "NetworkError"
        ? " (is the server running? start it with npm start)"
        : "";
    console.error(`Demo failed: ${error instanceof Error ? error.message : String(error)}${hint}`);
    process.exit(1);
  },
);
