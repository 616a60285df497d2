import { Worker } from "node:worker_threads";
import type { Queryable, Row } from "./db";
import { DatabaseUnavailableError } from "./db-unavailable";
import { withQueryDeadline } from "./deadline";

/**
 * PGlite runs in a worker thread: its WebAssembly PostgreSQL executes queries
 * synchronously, which would stall the HTTP server's event loop, and its
 * CommonJS build loads Node built-ins with dynamic import(), which jest's
 * module sandbox refuses. The worker owns the one PGlite instance; this side
 * sends queries and transaction steps as messages.
 *
 * The worker's code is a string evaluated by Node (not a file), so the same
 * code runs from `src/` under ts-jest and from `dist/`.
 */
const WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const { PGlite, protocol, parse } = require(workerData.pglitePath);
const open = workerData.dataDir ? PGlite.create({ dataDir: workerData.dataDir }) : PGlite.create();
const transactions = new Map();
const fail = (id, error) => parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });

// Prepared statements. PGlite's query() sends Parse, Describe, Bind, Describe, Execute and Sync as six
// separate calls into its WebAssembly PostgreSQL, parsing and planning the text every time. Here a
// statement text is parsed once (named, with its parameter types) and each later run is one call:
// Bind + Describe + Execute + Sync. Parameters are serialized and rows parsed exactly as query() does,
// under the same locks (no statement runs inside another caller's open transaction).
const MAX_PREPARED = 256;
const prepared = new Map();
let statements = 0;
const canPrepare = (db) =>
  typeof db._runExclusiveTransaction === "function" && typeof db._runExclusiveQuery === "function" &&
  typeof db.execProtocol === "function" && db.serializers !== undefined && db.parsers !== undefined;
const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
};
const serialize = protocol.serialize;
async function runPrepared(db, text, params) {
  let statement = prepared.get(text);
  if (!statement) {
    const name = "gatehouse_" + statements++;
    const described = await db.execProtocol(concat([serialize.parse({ name, text }), serialize.describe({ type: "S", name }), serialize.sync()]), { syncToFs: false });
    statement = { name, types: parse.parseDescribeStatementResults(described.messages) };
    prepared.set(text, statement);
  }
  const values = params.map((param, i) => {
    if (param === null || param === undefined) return null;
    const toText = db.serializers[statement.types[i]];
    return toText ? toText(param) : param.toString();
  });
  const result = await db.execProtocol(concat([serialize.bind({ statement: statement.name, values }), serialize.describe({ type: "P" }), serialize.execute({}), serialize.sync()]));
  return parse.parseResults(result.messages, db.parsers)[0].rows;
}
async function query(db, text, params) {
  if (!canPrepare(db) || (!prepared.has(text) && prepared.size >= MAX_PREPARED)) return (await db.query(text, params)).rows;
  try {
    return await db._runExclusiveTransaction(() => db._runExclusiveQuery(() => runPrepared(db, text, params)));
  } catch (error) {
    // "cached plan must not change result type": a table changed under the statement; forget it and run as text.
    if (!error || error.code !== "0A000" || !prepared.has(text)) throw error;
    prepared.delete(text);
    return (await db.query(text, params)).rows;
  }
}

parentPort.on("message", async (message) => {
  const { id, op } = message;
  try {
    const db = await open;
    if (op === "query") {
      const rows = message.tx === undefined
        ? await query(db, message.text, message.params)
        : (await transactions.get(message.tx).tx.query(message.text, message.params)).rows;
      parentPort.postMessage({ id, rows });
    } else if (op === "begin") {
      const entry = { tx: undefined, settle: undefined, done: undefined };
      const finished = new Promise((resolve, reject) => { entry.settle = { resolve, reject }; });
      transactions.set(id, entry);
      entry.done = db.transaction(async (tx) => {
        entry.tx = tx;
        parentPort.postMessage({ id, rows: [] });
        await finished;
      });
      entry.done.catch((error) => {
        if (entry.tx === undefined) { transactions.delete(id); fail(id, error); }
      });
    } else if (op === "commit" || op === "rollback") {
      const entry = transactions.get(message.tx);
      transactions.delete(message.tx);
      if (op === "commit") entry.settle.resolve(); else entry.settle.reject(new Error("rollback"));
      try { await entry.done; } catch (error) { if (op === "commit") throw error; }
      parentPort.postMessage({ id, rows: [] });
    } else if (op === "close") {
      await db.close();
      parentPort.postMessage({ id, rows: [] });
    }
  } catch (error) {
    fail(id, error);
  }
});
`;

interface Reply {
  id: number;
  rows?: Row[];
  error?: { message: string; code?: string };
}

/** An error PostgreSQL reported, with its SQLSTATE in `code` (as `pg` errors have). */
export class PgliteError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = "PgliteError";
  }
}

/** A PGlite instance in a worker thread: queries, transactions, close. */
export interface PgliteWorker extends Queryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** True once the worker has failed or exited: every query rejects from then on. */
  readonly failed: boolean;
}

/**
 * Starts PGlite (in `dataDir`, or in memory) in a worker thread and waits until
 * it answers. Once it has, a query not answered within `queryTimeoutMs` (0: no
 * limit) rejects with `DatabaseTimeoutError`.
 */
export async function startPgliteWorker(
  dataDir: string | undefined,
  options: { queryTimeoutMs?: number } = {},
): Promise<PgliteWorker> {
  let queryTimeoutMs = 0; // not while PGlite starts: that can take long on a busy machine
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { pglitePath: require.resolve("@electric-sql/pglite"), dataDir },
  });
  const pending = new Map<number, { resolve: (rows: Row[]) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure ??= error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on("message", (reply: Reply) => {
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.error) waiter.reject(new PgliteError(reply.error.message, reply.error.code));
    else waiter.resolve(reply.rows ?? []);
  });
  worker.on("error", (error) =>
    failAll(new DatabaseUnavailableError(`The PGlite worker failed: ${error.message}`, { cause: error })),
  );
  worker.on("exit", (code) => failAll(new DatabaseUnavailableError(`The PGlite worker exited (code ${code})`)));

  const send = (message: Record<string, unknown>): Promise<Row[]> & { id: number } => {
    const id = nextId++;
    const promise = new Promise<Row[]>((resolve, reject) => {
      if (failure) return reject(failure);
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
    return Object.assign(promise, { id });
  };
  const query = <T extends Row>(text: string, params?: readonly unknown[], tx?: number) => {
    const sent = send({ op: "query", text, params: params ? [...params] : [], tx }) as Promise<T[]>;
    return queryTimeoutMs > 0 ? withQueryDeadline(sent, queryTimeoutMs) : sent;
  };

  const handle: PgliteWorker = {
    query: (text, params) => query(text, params),
    async transaction(fn) {
      const begin = send({ op: "begin" });
      await begin;
      const txId = begin.id;
      let result;
      try {
        result = await fn({ query: (text, params) => query(text, params, txId) });
      } catch (error) {
        await send({ op: "rollback", tx: txId });
        throw error;
      }
      await send({ op: "commit", tx: txId });
      return result;
    },
    get failed() {
      return failure !== undefined;
    },
    async close() {
      try {
        if (!failure) await send({ op: "close" });
      } finally {
        await worker.terminate();
      }
    },
  };
  try {
    await handle.query("SELECT 1");
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  queryTimeoutMs = options.queryTimeoutMs ?? 0;
  return handle;
}
