/**
 * What the Chromium suites share: where Chromium and the bundled client are,
 * how to launch it, and a static/recording HTTP server on 127.0.0.1.
 */
import { existsSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export const CHROMIUM = "/usr/bin/chromium";
export const LAUNCH_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
export const BUNDLE = path.resolve(__dirname, "../../../../packages/client/dist/browser/gatehouse-client.js");

export const onCI =
  process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false" && process.env.CI !== "0";
export const haveChromium = existsSync(CHROMIUM);

/** One logged request: what the browser sent to a server. */
export interface Seen {
  method: string;
  url: string;
  origin?: string;
  authorization?: string;
  requestMethod?: string;
  requestHeaders?: string;
  lastEventId?: string;
}

/** Listen on 127.0.0.1, an ephemeral port; `seen` logs every request. */
export async function listen(handler: RequestListener): Promise<{ server: Server; origin: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({
      method: req.method!,
      url: req.url!,
      origin: req.headers.origin,
      authorization: req.headers.authorization,
      requestMethod: req.headers["access-control-request-method"],
      requestHeaders: req.headers["access-control-request-headers"],
      lastEventId: req.headers["last-event-id"] as string | undefined,
    });
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

export function close(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections(); // Chromium keeps its connections alive
  });
}
