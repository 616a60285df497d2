import { randomUUID } from "node:crypto";
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from "express";
import { HTTPException } from "@gatehouse/express";
import type { AppAuth } from "../auth";
import type { Db } from "../db";
import { GraphInputError, GRAPHS } from "../graph";
import * as runs from "../storage/runs";
import { RUN_STATUSES, type MultitaskStrategy, type Run, type RunOutcome, type RunStatus } from "../storage/runs";
import { badRequest, bodyObject, isObject, oneOf, optionalObject, page, uuid, type JsonObject } from "../validate";
import { resolveAssistant } from "./assistant-ref";
import type { Limits } from "../limits";
import { input, inputOf, parsed, setNextPage } from "./input";
import { mayRead, pickFields } from "./read-back";
import { lastEventIdOf, numbered, RunEventLog, sendStream } from "./run-events";
import { threadNotFound } from "./threads";
import { isThreadVisible } from "../storage/threads";

const STREAM_MODES = [
  "values",
  "updates",
  "messages",
  "messages-tuple",
  "events",
  "debug",
  "custom",
  "checkpoints",
  "tasks",
] as const;
type StreamMode = (typeof STREAM_MODES)[number];

interface RunBodyInput extends JsonObject {
  thread_id: string | null;
  assistant_id: string;
  input: unknown;
  metadata: JsonObject;
  config: JsonObject;
  context: JsonObject;
  stream_mode: StreamMode[];
  multitask_strategy: MultitaskStrategy | null;
}

interface CreateRunInput extends RunBodyInput {
  thread_id: string;
}

function parseCreateRun(req: Request): CreateRunInput {
  return { ...parseRunBody(req), thread_id: uuid(req.params.thread_id, "thread_id") };
}

/** The body of a run (stateful or stateless); `thread_id` is null until the route sets it. */
function parseRunBody(req: Request): RunBodyInput {
  const body = bodyObject(req.body);
  if (typeof body.assistant_id !== "string" || body.assistant_id.length === 0) {
    throw badRequest(`assistant_id is required: a graph id (${[...GRAPHS.keys()].join(", ")}) or an assistant's UUID`);
  }
  const modes = body.stream_mode === undefined || body.stream_mode === null ? ["values"] : body.stream_mode;
  const streamMode = (Array.isArray(modes) ? modes : [modes]).map((mode) => oneOf(mode, "stream_mode", STREAM_MODES)!);
  return {
    thread_id: null,
    assistant_id: body.assistant_id,
    input: body.input ?? null,
    metadata: optionalObject(body.metadata, "metadata") ?? {},
    config: optionalObject(body.config, "config") ?? {},
    context: optionalObject(body.context, "context") ?? {},
    stream_mode: streamMode.length > 0 ? streamMode : ["values"],
    multitask_strategy:
      oneOf(body.multitask_strategy, "multitask_strategy", ["reject", "interrupt", "rollback", "enqueue"] as const) ??
      null,
  };
}

async function execute(db: Db, auth: AppAuth, limits: Limits, req: Request, res: Response): Promise<RunOutcome> {
  const run = inputOf<CreateRunInput>(res);
  const assistant = await resolveAssistant(db, auth, req.auth!, run.assistant_id);
  let outcome: RunOutcome | null;
  try {
    outcome = await runs.createAndExecuteRun(
      db,
      run.thread_id,
      {
        assistant_id: assistant.id,
        graph: assistant.graph,
        input: run.input,
        metadata: run.metadata,
        kwargs: { input: run.input, config: run.config, context: run.context, stream_mode: run.stream_mode },
        multitask_strategy: run.multitask_strategy,
      },
      req.auth?.filters,
      limits,
    );
  } catch (error) {
    if (error instanceof GraphInputError) throw badRequest(error.message);
    throw error;
  }
  if (!outcome) throw threadNotFound(run.thread_id);
  res.setHeader("Content-Location", `/threads/${run.thread_id}/runs/${outcome.run.run_id}`);
  return outcome;
}

/**
 * For routes that answer with the thread's values (runs/wait, runs/stream):
 * creating a run is not reading the thread, so these also need `threads:read`
 * on it (its 403 as the policy words it; a thread its filter hides is a 404).
 */
function requireRead(db: Db, auth: AppAuth): RequestHandler {
  return function readsThreadValues(req: Request, res: Response, next: NextFunction) {
    const { thread_id } = inputOf<CreateRunInput>(res);
    auth
      .authorize(req.auth, "threads:read", { thread_id })
      .then(async (decision) => {
        if (!(await isThreadVisible(db, thread_id, decision.filters ?? {}))) throw threadNotFound(thread_id);
        next();
      })
      .catch(next);
  };
}

/** A run record for a caller who may start runs on the thread but not read it: ids, status and times. */
async function runAnswer(db: Db, auth: AppAuth, req: Request, run: Run): Promise<Run | Partial<Run>> {
  return (await mayRead(db, auth, req.auth!, "threads:read", run.thread_id))
    ? run
    : pickFields(run, ["run_id", "thread_id", "status", "created_at", "updated_at"]);
}

/** A run's stream parts, in LangGraph's order: metadata, then each requested mode. */
function runEvents(
  run: { run_id: string; thread_id: string | null },
  modes: readonly StreamMode[],
  values: unknown,
  node: string,
) {
  return numbered([
    {
      event: "metadata",
      data: { run_id: run.run_id, ...(run.thread_id ? { thread_id: run.thread_id } : {}), attempt: 1 },
    },
    ...(modes.includes("updates") ? [{ event: "updates", data: { [node]: values } }] : []),
    ...(modes.includes("values") ? [{ event: "values", data: values }] : []),
  ]);
}

/**
 * Runs: created through their parent thread (`threads:create_run`, the
 * thread's filter applies) and read through it (`threads:read`). A run on a
 * foreign thread is a 404, like the thread itself.
 */
export function runRoutes(db: Db, auth: AppAuth, limits: Limits): Router {
  const router = Router();
  const streams = new RunEventLog();
  const createRun = [input(parseCreateRun), auth.guard("threads:create_run", { value: parsed })];
  const createRunAndRead = [...createRun, requireRead(db, auth)];

  router.post("/threads/:thread_id/runs", ...createRun, async (req, res) => {
    res.json(await runAnswer(db, auth, req, (await execute(db, auth, limits, req, res)).run));
  });

  router.post("/threads/:thread_id/runs/wait", ...createRunAndRead, async (req, res) => {
    res.json((await execute(db, auth, limits, req, res)).values);
  });

  router.post("/threads/:thread_id/runs/stream", ...createRunAndRead, async (req, res) => {
    const { run, values, node } = await execute(db, auth, limits, req, res);
    const events = runEvents(run, inputOf<CreateRunInput>(res).stream_mode, values, node);
    sendStream(res, `/threads/${run.thread_id}/runs/${run.run_id}`, streams.record(run.run_id, run.thread_id, events));
  });

  // Stateless: the graph runs on an empty state and nothing is stored, so there is no thread to rejoin.
  router.post(
    "/runs/stream",
    input(parseRunBody),
    auth.guard("threads:create_run", { value: parsed }),
    async (req, res) => {
      const body = inputOf<RunBodyInput>(res);
      const assistant = await resolveAssistant(db, auth, req.auth!, body.assistant_id);
      const runId = randomUUID();
      let result: { update: Record<string, unknown>; node: string };
      try {
        result = assistant.graph.run({ messages: [] }, body.input, { runId });
      } catch (error) {
        if (error instanceof GraphInputError) throw badRequest(error.message);
        throw error;
      }
      const events = runEvents({ run_id: runId, thread_id: null }, body.stream_mode, result.update, result.node);
      sendStream(res, `/runs/${runId}`, streams.record(runId, "", events));
    },
  );

  // Join a run's stream (LangGraph's route): replays its events after Last-Event-ID.
  router.get(
    "/threads/:thread_id/runs/:run_id/stream",
    input((req) => ({
      thread_id: uuid(req.params.thread_id, "thread_id"),
      run_id: uuid(req.params.run_id, "run_id"),
      last_event_id: lastEventIdOf(req.headers["last-event-id"]),
    })),
    auth.guard("threads:read", { value: parsed }),
    async (req, res) => {
      const { thread_id, run_id, last_event_id } = inputOf<{
        thread_id: string;
        run_id: string;
        last_event_id?: string;
      }>(res);
      const run = await runs.getRun(db, thread_id, run_id, req.auth?.filters);
      if (!run) throw new HTTPException(404, { message: `Run ${run_id} not found in thread ${thread_id}` });
      sendStream(res, `/threads/${thread_id}/runs/${run_id}`, streams.after(run_id, thread_id, last_event_id));
    },
  );

  router.get(
    "/threads/:thread_id/runs",
    input((req) => ({
      thread_id: uuid(req.params.thread_id, "thread_id"),
      status: oneOf(req.query.status, "status", RUN_STATUSES),
      ...page(isObject(req.query) ? (req.query as JsonObject) : {}),
    })),
    auth.guard("threads:read", { value: parsed }),
    async (req, res) => {
      const query = inputOf<{ thread_id: string; limit: number; offset: number; status?: RunStatus }>(res);
      const list = await runs.listRuns(db, query.thread_id, query, req.auth?.filters, limits.maxResponseBytes);
      if (!list) throw threadNotFound(query.thread_id);
      setNextPage(res, query.offset, list.runs.length, list.truncated);
      res.json(list.runs);
    },
  );

  router.get(
    "/threads/:thread_id/runs/:run_id",
    input((req) => ({ thread_id: uuid(req.params.thread_id, "thread_id"), run_id: uuid(req.params.run_id, "run_id") })),
    auth.guard("threads:read", { value: parsed }),
    async (req, res) => {
      const { thread_id, run_id } = inputOf<{ thread_id: string; run_id: string }>(res);
      const run = await runs.getRun(db, thread_id, run_id, req.auth?.filters);
      if (!run) throw new HTTPException(404, { message: `Run ${run_id} not found in thread ${thread_id}` });
      res.json(run);
    },
  );

  return router;
}
