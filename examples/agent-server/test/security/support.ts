/**
 * What the security suites share: the shape every error must have (JSON
 * `{ error, message }`, no stack, no internals), raw HTTP over a socket for
 * requests fetch cannot make, and a snapshot of the built-in prototypes.
 */
import net from "node:net";
import type { Reply } from "../support/server";

/** Markers of a stack trace or of server internals in a response body. */
const LEAK_MARKERS = [
  /\bat [\w.<>]+ \(/,
  /\.(ts|js):\d+/,
  /node_modules/,
  /\/work\//,
  /\bError:/,
  /ECONN|EPIPE|ETIMEDOUT/,
  /SELECT|INSERT|UPDATE .* SET/i,
];

/** Asserts a JSON error `{ error, message }` with this status and nothing that reveals the server's insides. */
export function expectSafeError(res: Pick<Reply, "status" | "text" | "headers">, status: number, code?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type") ?? "").toContain("application/json");
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(
    Object.keys(body)
      .filter((key) => key !== "request_id")
      .sort(),
  ).toEqual(["error", "message"]);
  if ("request_id" in body) expect(body.request_id).toBe(res.headers.get("x-request-id")); // the request's own id, nothing else
  expect(typeof body.message).toBe("string");
  if (code) expect(body.error).toBe(code);
  for (const marker of LEAK_MARKERS) expect(res.text).not.toMatch(marker);
}

export interface RawReply {
  status: number;
  headers: [string, string][];
  body: string;
}

/** Sends `request` verbatim (CRLF line ends; say `Connection: close`) and reads the reply until the server closes the connection. */
export function rawRequest(baseUrl: string, request: string): Promise<RawReply> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const [statusLine = "", ...lines] = text.slice(0, split < 0 ? text.length : split).split("\r\n");
      const headers = lines.map((line) => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as [string, string];
      });
      resolve({ status: Number(statusLine.split(" ")[1] ?? 0), headers, body: split < 0 ? "" : text.slice(split + 4) });
    });
    socket.write(request);
  });
}

/** The chunked body of a raw reply, decoded (enough for the small JSON bodies here). */
export function dechunk(reply: RawReply): string {
  const chunked = reply.headers.some(([name, value]) => name === "transfer-encoding" && value.includes("chunked"));
  if (!chunked) return reply.body;
  let out = "";
  let rest = reply.body;
  for (;;) {
    const eol = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

/** Own property names and descriptors' shape of the prototypes pollution would reach. */
export function prototypeSnapshot(): string {
  const describe = (proto: object) =>
    Object.getOwnPropertyNames(proto)
      .sort()
      .map((name) => `${name}:${typeof Object.getOwnPropertyDescriptor(proto, name)?.value}`)
      .join(",");
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].map(describe).join("|");
}
