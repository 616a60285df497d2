/**
 * A small stand-in for a LangGraph server, on 127.0.0.1 and an ephemeral port:
 * in-memory threads, assistants, runs and store with LangGraph's routes and
 * shapes, no auth of its own, and every request it receives recorded, so tests
 * can say what reached the upstream (and what never did).
 */
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express, { type Request } from "express";

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

type Mode = "normal" | "slow" | "garbage" | "ignore-filter" | "set-cookie";

export interface Stub {
  url: string;
  received: Received[];
  threads: Map<string, any>;
  assistants: Map<string, any>;
  store: Map<string, any>;
  runs: any[];
  /** Crons the stub answers to every cron search, whatever the query (as an upstream that ignores filters). */
  crons: any[];
  mode: Mode;
  /** Resolves when a slow stream's client went away. */
  streamClosed: Promise<void>;
  /** A flooding stream: bytes written, whether it waits for 'drain', whether it wrote everything. */
  flood: { sent: number; blocked: boolean; finished: boolean };
  close(): Promise<void>;
}

function contained(superset: any, subset: any): boolean {
  if (subset == null) return true;
  for (const [key, value] of Object.entries(subset)) {
    const have = superset?.[key];
    if (Array.isArray(value)) {
      if (!Array.isArray(have) || !value.every((v) => have.includes(v))) return false;
    } else if (have !== value) return false;
  }
  return true;
}

/** A query parameter as one string ("" when absent, repeated or nested). */
function queryParam(req: Request, name: string): string {
  const value = req.query[name];
  return typeof value === "string" ? value : "";
}

/** What a flooding stream writes in all: far more than any socket buffers on the way. */
export const FLOOD_BYTES = 64 * 1024 * 1024;

export async function startStub(): Promise<Stub> {
  const app = express();
  let onStreamClosed!: () => void;
  const stub: Stub = {
    url: "",
    received: [],
    threads: new Map(),
    assistants: new Map(),
    store: new Map(),
    runs: [],
    crons: [],
    mode: "normal",
    streamClosed: new Promise<void>((resolve) => (onStreamClosed = resolve)),
    flood: { sent: 0, blocked: false, finished: false },
    close: () => Promise.resolve(undefined),
  };
  app.use(express.json());
  app.use((req, res, next) => {
    stub.received.push({ method: req.method, path: req.originalUrl, headers: { ...req.headers }, body: req.body });
    if (stub.mode === "slow") return; // never answers; close() ends the connection
    if (stub.mode === "garbage") return void res.type("application/json").send("{not json");
    if (stub.mode === "set-cookie") res.setHeader("Set-Cookie", "upstream=secret");
    next();
  });
  const filterMeta = (req: Request) => (stub.mode === "ignore-filter" ? undefined : req.body.metadata);

  app.get("/info", (_req, res) => res.json({ version: "stub", flags: { assistants: true } }));
  app.get("/ok", (_req, res) => res.json({ ok: true }));

  for (const [kind, map, id] of [
    ["threads", stub.threads, "thread_id"],
    ["assistants", stub.assistants, "assistant_id"],
  ] as const) {
    app.post(`/${kind}`, (req, res) => {
      const key = req.body[id] ?? randomUUID();
      const existing = map.get(key);
      if (existing)
        return void (req.body.if_exists === "do_nothing"
          ? res.json(existing)
          : res.status(409).json({ detail: "exists" }));
      const record = {
        [id]: key,
        metadata: req.body.metadata ?? {},
        graph_id: req.body.graph_id,
        created_at: new Date().toISOString(),
      };
      map.set(key, record);
      res.json(record);
    });
    app.post(`/${kind}/search`, (req, res) => {
      const all = [...map.values()].filter((r) => contained(r.metadata, filterMeta(req)));
      const page = all.slice(req.body.offset ?? 0, (req.body.offset ?? 0) + (req.body.limit ?? 10));
      const select: string[] | undefined = req.body.select;
      res.set("X-Pagination-Total", String(all.length));
      res.json(
        select ? page.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => select.includes(k)))) : page,
      );
    });
    app.post(`/${kind}/count`, (req, res) =>
      res.json([...map.values()].filter((r) => contained(r.metadata, filterMeta(req))).length),
    );
    app.get(`/${kind}/:id`, (req, res) => {
      const record = map.get(req.params.id);
      if (!record) return void res.status(404).json({ detail: `${kind} ${req.params.id} not found` });
      res.json(record);
    });
    app.patch(`/${kind}/:id`, (req, res) => {
      const record = map.get(req.params.id);
      if (!record) return void res.status(404).json({ detail: "not found" });
      record.metadata = { ...record.metadata, ...(req.body.metadata ?? {}) };
      res.json(record);
    });
    app.delete(`/${kind}/:id`, (req, res) => {
      if (!map.delete(req.params.id)) return void res.status(404).json({ detail: "not found" });
      res.status(204).end();
    });
  }
  app.post("/assistants/:id/versions", (req, res) => {
    const a = stub.assistants.get(req.params.id);
    res.json(
      a
        ? [
            { ...a, version: 2 },
            { ...a, version: 1, metadata: { owner: "someone-else" } },
          ]
        : [],
    );
  });
  app.post("/threads/:id/copy", (req, res) => {
    const source = stub.threads.get(req.params.id);
    if (!source) return void res.status(409).json({ detail: "not found" });
    const copy = { ...source, thread_id: randomUUID(), metadata: { ...source.metadata } };
    stub.threads.set(copy.thread_id, copy);
    res.json(copy);
  });
  app.get("/threads/:id/state", (req, res) =>
    res.json({ values: stub.threads.get(req.params.id)?.values ?? {}, next: [] }),
  );
  app.get("/threads/:id/history", (_req, res) => res.json([]));
  app.post("/threads/:id/runs/:run_id/cancel", (_req, res) => res.status(202).end());
  app.get("/threads/:id/runs", (req, res) => res.json(stub.runs.filter((r) => r.thread_id === req.params.id)));

  const run = (threadId: string | undefined, body: any) => {
    const r = {
      run_id: randomUUID(),
      thread_id: threadId,
      assistant_id: body.assistant_id,
      metadata: body.metadata,
      config: body.config,
      status: "pending",
    };
    stub.runs.push(r);
    return r;
  };
  app.post("/threads/:id/runs", (req, res) => {
    if (!stub.threads.has(req.params.id)) {
      if (req.body.if_not_exists !== "create") return void res.status(404).json({ detail: "thread not found" });
      stub.threads.set(req.params.id, { thread_id: req.params.id, metadata: { ...req.body.metadata } });
    }
    const r = run(req.params.id, req.body);
    res.set("Content-Location", `/threads/${req.params.id}/runs/${r.run_id}`).json(r);
  });
  const sse = (req: Request, res: express.Response, threadId?: string) => {
    const r = run(threadId, req.body);
    res.writeHead(200, { "Content-Type": "text/event-stream", "Content-Location": `/runs/${r.run_id}` });
    res.write(`event: metadata\ndata: ${JSON.stringify({ run_id: r.run_id })}\n\n`);
    if (req.body.input?.flood) {
      // Writes FLOOD_BYTES as fast as the reader takes them: a reader that stops makes write() return false.
      const chunk = `event: values\ndata: ${JSON.stringify({ pad: "x".repeat(64 * 1024) })}\n\n`;
      const pump = () => {
        while (stub.flood.sent < FLOOD_BYTES) {
          stub.flood.sent += chunk.length;
          if (!res.write(chunk)) {
            stub.flood.blocked = true;
            res.once("drain", () => {
              stub.flood.blocked = false;
              pump();
            });
            return;
          }
        }
        stub.flood.finished = true;
        res.end();
      };
      pump();
      return;
    }
    if (req.body.input?.hold) {
      res.on("close", () => onStreamClosed());
      return; // keeps the stream open until the client (the gateway) goes away
    }
    let step = 0;
    const timer = setInterval(() => {
      step += 1;
      res.write(`event: values\ndata: ${JSON.stringify({ step })}\n\n`);
      if (step === 3) {
        clearInterval(timer);
        res.end();
      }
    }, 5);
  };
  app.post("/threads/:id/runs/stream", (req, res) => sse(req, res, req.params.id));
  app.post("/runs/stream", (req, res) => sse(req, res));
  app.post("/runs/wait", (req, res) => res.json({ config: req.body.config, metadata: req.body.metadata }));
  app.post("/runs/crons/search", (_req, res) => res.json(stub.crons));
  app.post("/runs/batch", (req, res) => res.json(req.body.map((b: any) => run(undefined, b))));
  app.post("/runs/crons", (req, res) =>
    res.json({ cron_id: randomUUID(), metadata: req.body.metadata, payload: req.body }),
  );

  const storeKey = (ns: string[], key: string) => `${ns.join(".")}|${key}`;
  app.put("/store/items", (req, res) => {
    stub.store.set(storeKey(req.body.namespace, req.body.key), {
      namespace: req.body.namespace,
      key: req.body.key,
      value: req.body.value,
    });
    res.status(204).end();
  });
  app.get("/store/items", (req, res) =>
    res.json(stub.store.get(storeKey(queryParam(req, "namespace").split("."), queryParam(req, "key"))) ?? null),
  );
  app.delete("/store/items", (req, res) => {
    stub.store.delete(storeKey(req.body.namespace, req.body.key));
    res.status(204).end();
  });
  app.post("/store/items/search", (req, res) => {
    const prefix: string[] = req.body.namespace_prefix ?? [];
    const items = [...stub.store.values()].filter((i) => prefix.every((p, n) => i.namespace[n] === p));
    res.json({ items: items.slice(req.body.offset ?? 0, (req.body.offset ?? 0) + (req.body.limit ?? 10)) });
  });
  app.post("/store/namespaces", (req, res) => {
    const prefix: string[] = req.body.prefix ?? [];
    const all = [...new Set([...stub.store.values()].map((i) => i.namespace.join(".")))].map((s) => s.split("."));
    res.json({
      namespaces: all
        .filter((ns) => prefix.every((p, n) => ns[n] === p))
        .slice(req.body.offset ?? 0, (req.body.offset ?? 0) + (req.body.limit ?? 100)),
    });
  });
  app.post("/internal/truncate", (_req, res) => res.json({ ok: true }));
  app.post("/threads/:id/state", (_req, res) => res.status(422).json({ detail: "values: Required" }));

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub;
}
