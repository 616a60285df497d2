import type { Response } from "express";
import { badRequest } from "../validate";

/** One server-sent event of a run's stream: `id` is its position, "0", "1", ... */
export interface RunEvent {
  id: string;
  event: string;
  data: unknown;
}

/** What the log keeps per run (the serialised events, so a replay costs no JSON work). */
interface Logged {
  threadId: string;
  frames: string[];
}

/**
 * The streams of recent runs, kept in memory so `GET /threads/:id/runs/:run_id/stream`
 * can replay them after a `Last-Event-ID`. Bounded: the newest `maxRuns` runs,
 * and a run whose events exceed `maxBytes` is not kept (joining it then gives
 * an empty stream, as joining a run that finished long ago does).
 *
 * @example
 * const log = new RunEventLog();
 * log.record(runId, threadId, [{ id: "0", event: "metadata", data: { run_id: runId } }]);
 * log.after(runId, "0"); // the frames after event 0
 */
export class RunEventLog {
  private readonly runs = new Map<string, Logged>();

  constructor(
    private readonly maxRuns = 500,
    private readonly maxBytes = 1_000_000,
  ) {}

  /** Keeps the run's events (not for a stateless run, `threadId` "": nobody can rejoin it) and returns their SSE frames. */
  record(runId: string, threadId: string, events: readonly RunEvent[]): string[] {
    const frames = framesOf(events);
    const bytes = frames.reduce((sum, f) => sum + f.length, 0);
    if (threadId !== "" && bytes <= this.maxBytes) {
      this.runs.set(runId, { threadId, frames });
      while (this.runs.size > this.maxRuns) this.runs.delete(this.runs.keys().next().value as string);
    }
    return frames;
  }

  /** The frames after `lastEventId` (all without it); [] for a run the log no longer holds. */
  after(runId: string, threadId: string, lastEventId: string | undefined): string[] {
    const logged = this.runs.get(runId);
    if (!logged || logged.threadId !== threadId) return [];
    return logged.frames.slice(lastEventId === undefined ? 0 : eventIndex(lastEventId) + 1);
  }
}

/** `Last-Event-ID` as an event position; anything but a small non-negative integer is a 400. */
export function eventIndex(lastEventId: string): number {
  if (!/^\d{1,9}$/.test(lastEventId)) throw badRequest("Last-Event-ID must be the id of an event of this stream");
  return Number(lastEventId);
}

/** The `Last-Event-ID` request header, if any. */
export function lastEventIdOf(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === "") return undefined;
  eventIndex(value.trim());
  return value.trim();
}

/** The SSE frames of events, for a stream nobody can rejoin (nothing kept). */
export function framesOf(events: readonly RunEvent[]): string[] {
  return events.map(frame);
}

/** Numbers the events "0", "1", ... in order. */
export function numbered(events: readonly Omit<RunEvent, "id">[]): RunEvent[] {
  return events.map((e, i) => ({ id: String(i), ...e }));
}

/** Starts an SSE response for a run and writes `frames`; `location` names the run for reconnection. */
export function sendStream(res: Response, location: string, frames: readonly string[]): void {
  res.status(200).setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("Content-Location", location);
  for (const f of frames) res.write(f);
  res.end();
}

function frame(e: RunEvent): string {
  return `id: ${e.id}\nevent: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}
