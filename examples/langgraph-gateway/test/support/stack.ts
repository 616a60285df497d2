/**
 * The real setup for the end-to-end tests: LangGraph's own server (one child
 * process per test file, from the sources through tsx) and the gateway of this
 * example in front of it (in this process, on an ephemeral port of 127.0.0.1),
 * plus official SDK clients for demo users. Everything is stopped by stop().
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@langchain/langgraph-sdk";
import { createGatewayApp, type GatewayAppOptions } from "../../src/app";
import { startLangGraph, type LangGraphProcess } from "../../src/langgraph-process";
import { mintToken, randomSecret } from "../../src/tokens";

export interface Gateway {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts this example's gateway app on 127.0.0.1, an ephemeral port. */
export async function startGateway(options: GatewayAppOptions): Promise<Gateway> {
  const { app, close } = createGatewayApp(options);
  const server: Server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await close();
    },
  };
}

export interface Stack {
  readonly langgraph: LangGraphProcess;
  readonly gateway: Gateway;
  readonly secret: string;
  /** A token of this stack's secret for `identity` (full scopes unless given). */
  token(identity: string, scopes?: readonly string[]): string;
  /** The official SDK client through the gateway as `identity`. */
  client(identity: string, scopes?: readonly string[]): Client;
  /** The official SDK client straight to LangGraph's server (no gateway): for checking what really is there. */
  direct(): Client;
  stop(): Promise<void>;
}

/** LangGraph's server + the gateway. Call in beforeAll (allow ~2 minutes on a busy machine). */
export async function startStack(options: { timeoutMs?: number } = {}): Promise<Stack> {
  const langgraph = await startLangGraph({ stdio: "inherit", workers: 4 });
  const secret = randomSecret();
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      jwtSecret: secret,
      upstream: langgraph.url,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  } catch (error) {
    await langgraph.stop();
    throw error;
  }
  const token = (identity: string, scopes?: readonly string[]) => mintToken(secret, identity, scopes ? { scopes } : {});
  return {
    langgraph,
    gateway,
    secret,
    token,
    client: (identity, scopes) => sdkClient(gateway.url, { Authorization: `Bearer ${token(identity, scopes)}` }),
    direct: () => sdkClient(langgraph.url, {}),
    async stop() {
      await gateway.close();
      await langgraph.stop();
    },
  };
}

function sdkClient(apiUrl: string, headers: Record<string, string>): Client {
  return new Client({
    apiUrl,
    apiKey: null, // never pick up LANGGRAPH_API_KEY & co. from the environment
    defaultHeaders: headers,
    callerOptions: { maxRetries: 0 },
  });
}

/** The HTTP status of an SDK call (200 when it succeeded). */
export async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
  return 200;
}

/** A raw request through `baseUrl` with a Bearer token: status and parsed JSON (or text). */
export async function call(
  baseUrl: string,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    // not JSON: the test sees the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
