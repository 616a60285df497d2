/**
 * Talking to the LangGraph server with undici: which headers go up, which come
 * back, and how transport failures become the gateway's 502/504.
 */
import type { IncomingHttpHeaders } from "node:http";
import { Agent, errors as undiciErrors, type Dispatcher } from "undici";
import { HTTPException } from "@gatehouse/express";
import type { ResolvedOptions } from "./options";

/** An upstream answer whose body has not been read yet. */
export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData["body"];
}

/** One upstream request. `path` is the LangGraph route (with query string), not yet prefixed. */
export interface UpstreamRequest {
  method: string;
  path: string;
  /** A JSON value to send as the body. */
  json?: unknown;
  /** The caller's request, for its forwardable headers. */
  incoming?: IncomingHttpHeaders;
  /** Aborts the upstream request (client gone). */
  signal?: AbortSignal;
  /** Streams: the body may stay idle as long as the caller keeps listening. */
  stream?: boolean;
}

/** Headers of an upstream answer the caller may see; everything else (set-cookie included) stays here. */
const RESPONSE_HEADERS = [
  "content-type",
  "content-location",
  "x-pagination-total",
  "x-pagination-next",
  "cache-control",
  "retry-after",
  "last-event-id",
];

/** The gateway's answer when the upstream could not be reached or answered nonsense. */
export function badGateway(
  message = "The LangGraph server did not give a valid answer",
  cause?: unknown,
): HTTPException {
  return new HTTPException(502, { code: "bad_gateway", message, cause });
}

function timedOut(cause: unknown): HTTPException {
  return new HTTPException(504, {
    code: "gateway_timeout",
    message: "The LangGraph server did not answer in time",
    cause,
  });
}

/** Maps an undici failure to 502/504; an abort is rethrown unchanged; anything else is a 502. */
export function upstreamFailure(err: unknown): Error {
  if (err instanceof HTTPException) return err;
  if (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError
  ) {
    return timedOut(err);
  }
  if (err instanceof undiciErrors.RequestAbortedError || (err instanceof Error && err.name === "AbortError"))
    return err;
  if (err instanceof undiciErrors.ResponseExceededMaxSizeError)
    return badGateway("The LangGraph server's answer is too large", err);
  return badGateway("The LangGraph server is unreachable", err);
}

/** A client for one upstream: a dedicated undici Agent, so its timeouts and connections are its own. */
export class Upstream {
  private readonly agent: Agent;

  constructor(private readonly options: ResolvedOptions) {
    this.agent = new Agent({
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: options.timeoutMs },
    });
  }

  /** The upstream path for a LangGraph route path. */
  path(route: string): string {
    return this.options.basePath + route;
  }

  private headers(req: UpstreamRequest): Record<string, string> {
    const out: Record<string, string> = {};
    if (req.incoming) {
      for (const name of this.options.forwardHeaders) {
        const value = req.incoming[name];
        if (typeof value === "string") out[name] = value;
      }
    }
    delete out["content-type"];
    if (req.json !== undefined) out["content-type"] = "application/json";
    if (!out.accept) out.accept = "application/json";
    Object.assign(out, this.options.upstreamHeaders);
    return out;
  }

  /** Sends one request; transport failures reject with a 502/504 `HTTPException`. */
  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      const res = await this.agent.request({
        origin: this.options.origin,
        path: this.path(req.path),
        method: req.method as Dispatcher.HttpMethod,
        headers: this.headers(req),
        body: req.json === undefined ? undefined : JSON.stringify(req.json),
        signal: req.signal,
        bodyTimeout: req.stream ? 0 : this.options.timeoutMs,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw upstreamFailure(err);
    }
  }

  /** Closes the upstream connections. */
  close(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * Reads a whole body, bounded by `maxBytes` (larger, or cut off: 502; too slow: 504).
 * Event-based rather than `for await`: this runs on every by-id read, and the
 * async iterator costs more than the (usually single-chunk) body it collects.
 */
export function readBody(res: UpstreamResponse, maxBytes: number): Promise<Buffer> {
  const body = res.body;
  const declared = Number(res.headers["content-length"]);
  if (declared > maxBytes) {
    body.on("error", () => undefined);
    body.destroy();
    return Promise.reject(badGateway("The LangGraph server's answer is too large"));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (err: unknown): void => {
      if (done) return;
      done = true;
      reject(upstreamFailure(err));
    };
    body.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        fail(badGateway("The LangGraph server's answer is too large"));
        body.on("error", () => undefined);
        body.destroy();
        return;
      }
      chunks.push(chunk);
    });
    body.once("end", () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    body.once("error", fail);
  });
}

/** Whether `raw` holds only JSON whitespace (an empty answer). */
function blank(raw: Buffer): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}

/** Parses a JSON body; an empty body is `undefined`, anything that is not JSON is a 502. */
export function parseJson(raw: Buffer): unknown {
  if (blank(raw)) return undefined;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw badGateway();
  }
}

/** The answer headers to copy to the caller; `Content-Location` is moved under the gateway's mount path. */
export function responseHeaders(
  headers: IncomingHttpHeaders,
  mountPath: string,
  basePath: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RESPONSE_HEADERS) {
    const value = headers[name];
    if (typeof value !== "string") continue;
    if (name === "content-location") {
      const local = basePath && value.startsWith(basePath + "/") ? value.slice(basePath.length) : value;
      if (!local.startsWith("/") || local.startsWith("//")) continue;
      out[name] = mountPath + local;
    } else {
      out[name] = value;
    }
  }
  return out;
}
