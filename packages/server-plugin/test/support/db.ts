/**
 * A minimal query interface over PGlite and node-postgres, so the same filter
 * tests run on embedded and on real PostgreSQL.
 *
 * PGlite runs in a worker thread (./pglite-worker.js): its CommonJS build uses
 * dynamic import() of Node built-ins, which jest's CommonJS sandbox rejects
 * unless node runs with --experimental-vm-modules.
 */
import path from "node:path";
import { Worker } from "node:worker_threads";
import { Client } from "pg";

/** PGlite runs initdb at every start: ~1.5 s on an idle machine, several times that on a busy one. */
export const OPEN_TIMEOUT_MS = 120_000;

export interface TestDb {
  readonly name: string;
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/** An error reported by the database, with PostgreSQL's SQLSTATE when known. */
export class DbError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "DbError";
  }
}

interface Reply {
  id: number;
  rows?: unknown[];
  error?: { message: string; code?: string };
}

export async function openPglite(): Promise<TestDb> {
  const worker = new Worker(path.join(__dirname, "pglite-worker.js"));
  const pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure = error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  worker.on("message", (reply: Reply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.error) waiter.reject(new DbError(reply.error.message, reply.error.code));
    else waiter.resolve(reply.rows ?? []);
  });
  worker.unref(); // never keep jest alive, even if a test forgot close()
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`PGlite worker exited with code ${code}`)));

  const send = (message: object) =>
    new Promise<unknown[]>((resolve, reject) => {
      if (failure) return reject(failure);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...message });
    });

  const db: TestDb = {
    name: "PGlite",
    query: async <R>(text: string, values: unknown[] = []) => (await send({ text, values })) as R[],
    async close() {
      try {
        await send({ close: true });
      } finally {
        await worker.terminate();
      }
    },
  };
  await db.query("SELECT 1"); // wait until PGlite is up, so start-up errors surface here
  return db;
}

export async function openPostgres(connectionString: string): Promise<TestDb> {
  const client = new Client({ connectionString });
  await client.connect();
  return {
    name: "PostgreSQL",
    async query<R>(text: string, values: unknown[] = []) {
      try {
        return (await client.query(text, values)).rows as R[];
      } catch (error) {
        const e = error as { message?: string; code?: string };
        throw new DbError(String(e.message), e.code);
      }
    },
    close: () => client.end(),
  };
}

/** A table name no other test run uses (short enough that PostgreSQL keeps it whole, with a suffix). */
export function uniqueTableName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.floor(Math.random() * 36 ** 6).toString(36)}`;
}
