/**
 * Faults through the gateway. Against the real setup: a client that leaves in
 * the middle of a stream closes the gateway's upstream request (LangGraph sees
 * the disconnect and cancels the run it was asked to cancel on disconnect), and
 * LangGraph's server going away answers 502. Against tiny stand-ins, what a real
 * server will not do on demand: never answering (504 after the timeout) and
 * answering garbage (502, never a 200 with unchecked data).
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { Client } from "@langchain/langgraph-sdk";
import { mintToken, randomSecret } from "../src/tokens";
import { call, startGateway, startStack, type Gateway, type Stack } from "./support/stack";

jest.setTimeout(60_000);

const THREAD_ID = "6f1d3c1e-8a53-4a49-9f55-5b1d2a3c4e5f";
const say = (content: string) => ({ messages: [{ role: "user", content }] });

describe("against LangGraph's own server", () => {
  let stack: Stack;
  let alice: Client;

  beforeAll(async () => {
    stack = await startStack();
    alice = stack.client("alice");
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  test("a client leaving mid-stream closes the upstream request: LangGraph cancels the run", async () => {
    const thread = await alice.threads.create();
    const abort = new AbortController();
    const res = await fetch(`${stack.gateway.url}/threads/${thread.thread_id}/runs/stream`, {
      method: "POST",
      signal: abort.signal,
      headers: {
        authorization: `Bearer ${stack.token("alice")}`,
        "content-type": "application/json",
        accept: "text/event-stream",
      },
      body: JSON.stringify({
        assistant_id: "agent",
        input: say("a long one"),
        stream_mode: ["values"],
        on_disconnect: "cancel",
        config: { configurable: { delay_ms: 30_000 } },
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    // Read until the first event (metadata, with the run id), then leave.
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!/"run_id":"[^"]+"/.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before its first event: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    const runId = /"run_id":"([^"]+)"/.exec(text)![1];
    abort.abort();

    // LangGraph (asked directly) sees its client go away and cancels the run long before its 30 s delay.
    const direct = stack.direct();
    let status = "";
    for (let i = 0; i < 200; i++) {
      status = (await direct.runs.get(thread.thread_id, runId)).status;
      if (status !== "pending" && status !== "running") break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe("interrupted");
  });

  test("LangGraph's server gone: 502 JSON, no internal address in the answer", async () => {
    await stack.langgraph.stop();
    const res = await call(stack.gateway.url, stack.token("alice"), "GET", `/threads/${THREAD_ID}`);
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|localhost/);
  });
});

describe("stand-in upstreams", () => {
  const secret = randomSecret();
  const token = mintToken(secret, "alice");

  test("an upstream that never answers: 504 after the gateway's timeout", async () => {
    const sockets = new Set<Socket>();
    const silent: NetServer = createNetServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    const upstream = await listen(silent);
    let gateway: Gateway | undefined;
    try {
      gateway = await startGateway({ jwtSecret: secret, upstream, timeoutMs: 500 });
      const res = await call(gateway.url, token, "GET", `/threads/${THREAD_ID}`);
      expect(res.status).toBe(504);
      expect(res.body).toMatchObject({ error: expect.any(String) });
    } finally {
      await gateway?.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test("an upstream answering garbage: 502, never a 200 with what it said", async () => {
    const garbage: Server = createHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("<html>this is not json {");
    });
    const upstream = await listen(garbage);
    let gateway: Gateway | undefined;
    try {
      gateway = await startGateway({ jwtSecret: secret, upstream });
      for (const [method, path, body] of [
        ["GET", `/threads/${THREAD_ID}`],
        ["POST", "/threads/search", {}],
        ["GET", `/assistants/${THREAD_ID}`],
      ] as const) {
        const res = await call(gateway.url, token, method, path, body);
        expect([method, path, res.status]).toEqual([method, path, 502]);
        expect(JSON.stringify(res.body)).not.toContain("<html>");
      }
    } finally {
      await gateway?.close();
      garbage.closeAllConnections();
      await new Promise((resolve) => garbage.close(resolve));
    }
  });
});

function listen(server: Server | NetServer): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}
