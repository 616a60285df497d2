/**
 * Server-sent event streams of runs, over fetch (axios cannot stream in
 * browsers), parsed by eventsource-parser. The connection goes through the
 * same pipeline as every request (credentials for the client's origin only,
 * refresh on a 401 before the first byte, timeout until the response starts,
 * typed errors). When it drops mid-stream, the stream resumes through
 * LangGraph's join route with `Last-Event-ID`, a bounded number of times with
 * backoff and jitter, credentials read afresh; parts already delivered are
 * never delivered again.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { AbortError, GatehouseError, HttpError, NetworkError, TimeoutError } from "./errors";
import type { OpenConfig, Opened, RequestOptions, Transport } from "./http";
import { backoff, retryPolicy, sleep, type RetryOptions } from "./retry";

/**
 * One server-sent event: its `event` name (`metadata`, `values`, `updates`,
 * `messages`, `error`, ...), its `data` (parsed JSON, or the raw text), and
 * its `id` when the server sent one (what a reconnection resumes from).
 *
 * @example
 * ```ts
 * for await (const part of client.runs.stream(threadId, { assistant_id: "agent", input })) {
 *   if (part.event === "values") render(part.data);
 * }
 * ```
 */
export interface StreamPart<T = unknown> {
  event: string;
  data: T;
  id?: string;
}

/**
 * Options of `runs.stream` and `runs.joinStream`: the request options, the
 * `Last-Event-ID` to resume after, and the reconnection policy.
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * client.runs.joinStream(threadId, runId, { lastEventId: "3", signal: ac.signal, reconnect: { limit: 10 } });
 * ```
 */
export interface StreamOptions extends RequestOptions {
  /** Resume after this event id (sent as `Last-Event-ID`). */
  lastEventId?: string;
  /** Reconnections after a drop: a limit (default 5), `{ limit, baseDelay, maxDelay }`, or `false`. */
  reconnect?: number | RetryOptions | false;
}

/** Where a stream can be resumed: the run and its thread. */
interface RunRef {
  threadId?: string;
  runId?: string;
}

/** An async iterable of a run's parts; iterating starts the request, `break` or the signal ends it. */
export function runStream(
  t: Transport,
  first: OpenConfig,
  options: StreamOptions = {},
  ref: RunRef = {},
): AsyncIterable<StreamPart> {
  const policy = retryPolicy(options.reconnect ?? 5, "reconnect");
  return { [Symbol.asyncIterator]: () => parts(t, first, options, { ...ref }, policy) };
}

async function* parts(
  t: Transport,
  first: OpenConfig,
  options: StreamOptions,
  ref: RunRef,
  policy: ReturnType<typeof retryPolicy>,
): AsyncGenerator<StreamPart> {
  const { signal } = options;
  const seen = new Set<string>();
  let lastEventId = options.lastEventId;
  let delivered = 0;
  let drops = 0;
  let next = first;
  for (;;) {
    let opened: Opened | undefined;
    let failure: unknown;
    try {
      const resume: Record<string, string> = lastEventId === undefined ? {} : { "last-event-id": lastEventId };
      // Reconnections are retried by this loop (bounded by `reconnect`), not again by the pipeline.
      const retry = next === first ? options.retry : 0;
      opened = await t.open({
        ...next,
        headers: { ...options.headers, ...resume },
        signal,
        timeout: options.timeout,
        retry,
      });
      locate(ref, opened.response.headers.get("content-location"));
      for await (const message of messages(opened.response.body)) {
        if (message.id !== undefined && message.id !== "") {
          if (seen.has(message.id)) continue;
          seen.add(message.id);
          lastEventId = message.id;
        }
        const part = toPart(message);
        if (part.event === "metadata") locateFrom(ref, part.data);
        delivered++;
        drops = 0;
        yield part;
      }
      return;
    } catch (err) {
      failure = err;
    } finally {
      opened?.close();
    }
    const where = { method: next.method, url: next.url };
    if (signal?.aborted) throw new AbortError({ ...where, cause: signal.reason });
    // The first connection was retried by the request pipeline already; an HTTP error other than
    // a transient one is an answer, not a drop.
    if (!opened && (next === first || !transient(failure))) throw failure;
    if (failure instanceof GatehouseError && !transient(failure)) throw failure;
    const dropped =
      failure instanceof GatehouseError
        ? failure
        : new NetworkError({ ...where, message: `${where.method} ${where.url}: the stream dropped`, cause: failure });
    if (!ref.threadId || !ref.runId) throw unresumable(dropped, "the stream named no run to rejoin");
    if (delivered > 0 && lastEventId === undefined)
      throw unresumable(dropped, "the stream's events carry no ids to resume from");
    if (drops >= policy.limit) throw unresumable(dropped, `gave up after ${drops} reconnection(s)`);
    const wait =
      dropped instanceof HttpError && dropped.retryAfter !== undefined
        ? Math.min(dropped.retryAfter * 1000, policy.maxDelay)
        : backoff(drops, policy);
    await sleep(wait, signal, where);
    drops++;
    next = {
      method: "GET",
      url: `/threads/${encodeURIComponent(ref.threadId)}/runs/${encodeURIComponent(ref.runId)}/stream`,
    };
  }
}

/** Worth another connection: no response, a timeout, or an overloaded server. */
function transient(err: unknown): boolean {
  return (
    err instanceof NetworkError ||
    err instanceof TimeoutError ||
    (err instanceof HttpError && [429, 502, 503, 504].includes(err.status))
  );
}

function unresumable(err: GatehouseError, why: string): GatehouseError {
  return err instanceof NetworkError
    ? new NetworkError({ method: err.method, url: err.url, message: `${err.message} (${why})`, cause: err.cause })
    : err;
}

/** The SSE messages of a body, as they arrive; cancelling the iteration cancels the body. */
async function* messages(body: ReadableStream<Uint8Array> | null): AsyncGenerator<EventSourceMessage> {
  if (!body) return;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => void queue.push(message) });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      while (queue.length > 0) yield queue.shift()!;
    }
    parser.feed(decoder.decode());
    while (queue.length > 0) yield queue.shift()!;
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

function toPart(message: EventSourceMessage): StreamPart {
  let data: unknown = message.data;
  try {
    data = JSON.parse(message.data);
  } catch {
    // not JSON: the raw text
  }
  const part: StreamPart = { event: message.event ?? "message", data };
  if (message.id !== undefined && message.id !== "") part.id = message.id;
  return part;
}

/** `Content-Location: /threads/<thread>/runs/<run>` (LangGraph's servers send it on run streams). */
function locate(ref: RunRef, contentLocation: string | null): void {
  const m = contentLocation ? /\/threads\/([^/?#]+)\/runs\/([^/?#]+)/.exec(contentLocation) : null;
  if (!m) return;
  try {
    ref.threadId ??= decodeURIComponent(m[1]);
    ref.runId ??= decodeURIComponent(m[2]);
  } catch {
    // a malformed location names nothing
  }
}

/** The first `metadata` part: `{ run_id, thread_id }`. */
function locateFrom(ref: RunRef, data: unknown): void {
  const d = data as { run_id?: unknown; thread_id?: unknown } | null;
  if (typeof d?.run_id === "string") ref.runId ??= d.run_id;
  if (typeof d?.thread_id === "string") ref.threadId ??= d.thread_id;
}
