/**
 * One gateway request: its decision, the upstream requests it makes, and what
 * goes back to the caller. The enforcement of each route kind is written with these.
 */
import { pipeline } from "node:stream/promises";
import type { Request, Response } from "express";
import { HTTPException, toErrorResponse, type AuthContext } from "@gatehouse/express";
import type { GatewayRoute } from "./routes";
import type { Scope } from "./scope";
import {
  badGateway,
  parseJson,
  readBody,
  responseHeaders,
  upstreamFailure,
  type Upstream,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./upstream";
import type { ResolvedOptions } from "./options";

/** An upstream error answer (4xx/5xx) that goes back to the caller as it came. */
export class UpstreamAnswer extends Error {
  constructor(
    readonly status: number,
    readonly raw: Buffer,
    readonly headers: Record<string, string>,
  ) {
    super(`upstream answered ${status}`);
    this.name = "UpstreamAnswer";
  }
}

/** Drops an upstream body the gateway will not read (its abort error is expected, not a fault). */
export function discard(res: UpstreamResponse): void {
  res.body.on("error", () => undefined);
  res.body.destroy();
}

/** The same 404 for a record that does not exist and one outside the caller's scope. */
export function notFound(): HTTPException {
  return new HTTPException(404, { message: "Not found" });
}

const COMPILED_PATHS = new Map<string, string[]>();

/**
 * A route path split once into literal text and parameter names, alternating
 * (`/threads/:thread_id/state` → `["/threads/", "thread_id", "/state"]`), so
 * filling it in per request is a loop, not a regex replace with a closure.
 */
function compiledPath(path: string): string[] {
  let parts = COMPILED_PATHS.get(path);
  if (parts === undefined) {
    parts = path.split(/:([A-Za-z_]+)/g);
    COMPILED_PATHS.set(path, parts);
  }
  return parts;
}

/** The state of one request through the gateway. */
export class Call {
  /** Aborted when the caller goes away before the answer is complete. */
  readonly signal: AbortSignal;

  constructor(
    readonly req: Request,
    readonly res: Response,
    readonly route: GatewayRoute,
    private readonly upstream: Upstream,
    private readonly options: ResolvedOptions,
  ) {
    const controller = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    this.signal = controller.signal;
  }

  /** A route parameter, as Express decoded it. */
  param(name: string): string {
    const value = this.req.params[name];
    if (typeof value !== "string" || value === "" || value === "." || value === "..") throw notFound();
    return value;
  }

  /** The JSON body as an object (`{}` when none was sent); anything else is a 400. */
  body(): Record<string, unknown> {
    const body: unknown = this.req.body;
    if (body === undefined || body === null) return {};
    if (typeof body !== "object" || Array.isArray(body))
      throw new HTTPException(400, { message: "The request body must be a JSON object" });
    return { ...(body as Record<string, unknown>) };
  }

  /** The query string as the caller sent it (with its `?`), or "". */
  query(): string {
    const url = this.req.originalUrl;
    const at = url.indexOf("?");
    return at === -1 ? "" : url.slice(at);
  }

  /** The LangGraph path of this route with the caller's parameters, encoded. */
  upstreamPath(path = this.route.path): string {
    const parts = compiledPath(path);
    let out = parts[0];
    for (let i = 1; i < parts.length; i += 2) out += encodeURIComponent(this.param(parts[i])) + parts[i + 1];
    return out;
  }

  /** Runs the decision for `event`; an allowed decision's filter, `{}` when unscoped. */
  async decide(event: string, value: unknown): Promise<Scope> {
    const decision = await this.options.auth.authorize(this.req.auth, event as never, value as never);
    return decision.filters ?? {};
  }

  /** Where the gateway reports upstream faults. */
  get logger(): ResolvedOptions["logger"] {
    return this.options.logger;
  }

  /** The caller's user as LangGraph passes it to graphs. */
  get user(): AuthContext["user"] {
    return (this.req.auth as AuthContext).user;
  }

  private upstreamRequest(req: Omit<UpstreamRequest, "incoming" | "signal">): UpstreamRequest {
    return { ...req, incoming: this.req.headers, signal: this.signal };
  }

  /** Sends a request upstream and reads its JSON answer; a 4xx/5xx throws {@link UpstreamAnswer}. */
  async fetchJson(
    method: string,
    path: string,
    json?: unknown,
  ): Promise<{ data: unknown; raw: Buffer; headers: Record<string, string> }> {
    const res = await this.upstream.request(this.upstreamRequest({ method, path, json }));
    const raw = await readBody(res, this.options.maxResponseBytes);
    const headers = responseHeaders(res.headers, this.req.baseUrl, this.options.basePath);
    if (res.status >= 400) throw new UpstreamAnswer(res.status, raw, headers);
    if (res.status < 200 || res.status >= 300) throw badGateway();
    return { data: parseJson(raw), raw, headers };
  }

  /**
   * Reads the record this route acts on (or its parent thread), for the filter
   * check before anything is forwarded. `null` when the upstream says 404.
   */
  async readRecord(record: "thread" | "assistant", id: string): Promise<Record<string, unknown> | null> {
    const path = record === "thread" ? `/threads/${encodeURIComponent(id)}` : `/assistants/${encodeURIComponent(id)}`;
    try {
      const { data } = await this.fetchJson("GET", path);
      if (data === null || typeof data !== "object" || Array.isArray(data)) throw badGateway();
      return data as Record<string, unknown>;
    } catch (err) {
      if (err instanceof UpstreamAnswer && (err.status === 404 || err.status === 422)) return null;
      throw err;
    }
  }

  /**
   * Answers 200 with the upstream's checked JSON bytes as they came (no
   * re-serialising of large states). Written with Node's `writeHead`: the
   * headers are already the allowlisted copy, so Express's per-header `set`
   * (and its MIME lookups) would only cost time on every by-id read.
   */
  sendChecked(answer: { raw: Buffer; headers: Record<string, string> }): void {
    const headers = answer.headers;
    if (headers["content-type"] === undefined) headers["content-type"] = "application/json; charset=utf-8";
    headers["content-length"] = String(answer.raw.length);
    this.res.writeHead(200, headers);
    this.res.end(answer.raw);
  }

  /** Answers with JSON. */
  sendJson(status: number, data: unknown, headers: Record<string, string> = {}): void {
    this.res.status(status).set(headers);
    if (data === undefined) this.res.end();
    else this.res.json(data);
  }

  /**
   * Forwards a request and streams the answer back unchanged (status, safe
   * headers, body) with back-pressure; the caller going away aborts it upstream.
   * An upstream 404 on a by-id route becomes the gateway's own 404.
   */
  async forward(method: string, path: string, json?: unknown): Promise<void> {
    const long = this.route.stream === true;
    const res = await this.upstream.request(this.upstreamRequest({ method, path, json, stream: long }));
    await this.pipe(res);
  }

  private async pipe(res: UpstreamResponse): Promise<void> {
    if (res.status === 404 && this.route.record) {
      discard(res);
      throw notFound();
    }
    const headers = responseHeaders(res.headers, this.req.baseUrl, this.options.basePath);
    if ((headers["content-type"] ?? "").startsWith("text/event-stream")) {
      headers["cache-control"] = "no-cache";
      headers["x-accel-buffering"] = "no";
    }
    this.res.writeHead(res.status, headers);
    this.res.flushHeaders();
    try {
      await pipeline(res.body, this.res);
    } catch (err) {
      if (this.signal.aborted) return; // the caller left; the upstream request is aborted
      const mapped = upstreamFailure(err);
      this.options.logger.error(
        `[gatehouse/langgraph] ${this.req.method} ${this.route.path}: the upstream answer broke off`,
        err,
      );
      if (!this.res.headersSent) throw mapped;
      this.res.destroy();
    }
  }

  /** Writes an error as Gatehouse JSON (`{ error, message }`), or an upstream error answer as it came. */
  fail(err: unknown): void {
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    if (err instanceof UpstreamAnswer) {
      if (err.status === 404 && this.route.record) err = notFound();
      else {
        this.res.status(err.status).set(err.headers).end(err.raw);
        return;
      }
    }
    if (this.signal.aborted) return;
    const failure = (err as { status?: unknown }).status;
    if (!(err instanceof HTTPException) && !(err instanceof Error && err.name === "HTTPException")) {
      this.options.logger.error(`[gatehouse/langgraph] ${this.req.method} ${this.route.path} failed`, err);
    } else if (failure === 502 || failure === 504) {
      // The caller gets a short fixed message; the operator gets the cause.
      this.options.logger.error(
        `[gatehouse/langgraph] ${this.req.method} ${this.route.path}: ${err.message} (${failure})`,
        err.cause,
      );
    }
    const { status, headers, body } = toErrorResponse(err);
    this.res.status(status).set(headers).set("Cache-Control", "no-store").json(body);
  }
}
