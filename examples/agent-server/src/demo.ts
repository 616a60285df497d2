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
  if (env.ALICE_TOKEN && env.BOB_TOKEN) return { url, alice: env.ALICE_TOKEN, bob: env.BOB_TOKEN, stop: async () => undefined };
  if (env.JWT_SECRET) {
    return { url, alice: mintToken(env.JWT_SECRET, "alice"), bob: mintToken(env.JWT_SECRET, "bob"), stop: async () => undefined };
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

/** What a call answered: "ok" and a summary, or the status and error class. */
async function attempt(what: () => Promise<unknown>): Promise<{ ok: boolean; text: string }> {
  try {
    const result = await what();
    return { ok: true, text: `allowed ${JSON.stringify(result ?? null).slice(0, 60)}` };
  } catch (error) {
    if (error instanceof GatehouseError) {
      return { ok: false, text: `${error.status ?? ""} ${error.name}`.trim() };
    }
    throw error;
  }
}

const short = (id: string) => id.slice(0, 8);

async function seen(name: string, client: Client): Promise<void> {
  const threads = await client.threads.search({ limit: 100 });
  const { namespaces } = await client.store.listNamespaces();
  console.log(`${name} sees ${threads.length} thread(s): ${threads.map((t) => `${short(t.thread_id)} (${String(t.metadata.topic)})`).join(", ")}`);
  console.log(`${name} sees store namespaces: ${namespaces.map((n) => n.join(".")).join(", ") || "none"}`);
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
    console.log(`alice creates thread ${short(thread.thread_id)} (tax) and runs echo: "What is my refund?" -> "${reply}"`);
    await alice.store.putItem(["alice", "notes"], "refund", { text: "ask about the refund" });
    console.log('alice stores ["alice", "notes"] / refund');
    const bobs = await bob.threads.create({ metadata: { topic: "groceries" } });
    console.log(`bob creates thread ${short(bobs.thread_id)} (groceries)\n`);

    await seen("alice", alice);
    await seen("bob", bob);
    console.log("");

    const tries: [string, () => Promise<unknown>][] = [
      ["bob reads alice's thread", () => bob.threads.get(thread.thread_id)],
      ["bob renames alice's thread", () => bob.threads.update(thread.thread_id, { metadata: { topic: "mine" } })],
      ["bob runs echo on alice's thread", () => bob.runs.wait(thread.thread_id, { assistant_id: "echo", input: {} })],
      ["bob lists alice's runs", () => bob.runs.list(thread.thread_id)],
      ["bob deletes alice's thread", () => bob.threads.delete(thread.thread_id)],
      ["bob reads alice's note", () => bob.store.getItem(["alice", "notes"], "refund")],
      ["bob overwrites alice's note", () => bob.store.putItem(["alice", "notes"], "refund", { text: "bob was here" })],
    ];
    let leaks = 0;
    for (const [label, call] of tries) {
      const result = await attempt(call);
      if (result.ok) leaks++;
      console.log(`${label.padEnd(34)} -> ${result.text}`);
    }
    const still = await alice.threads.get(thread.thread_id);
    console.log(`\nalice's thread afterwards: topic ${String(still.metadata.topic)}, owner ${String(still.metadata.owner)}`);
    console.log(leaks === 0 ? "Isolation held: bob could not reach any of alice's data." : `ISOLATION BROKEN: ${leaks} of bob's attempts succeeded.`);
    return leaks === 0 ? 0 : 1;
  } finally {
    await t.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const hint = error instanceof GatehouseError && error.name === "NetworkError" ? " (is the server running? start it with npm start)" : "";
    console.error(`Demo failed: ${error instanceof Error ? error.message : String(error)}${hint}`);
    process.exit(1);
  },
);
