/**
 * The graph LangGraph's server runs as `agent`: a real StateGraph that needs no
 * model, so every run is deterministic and a stream has several events in order.
 *
 *   identify  →  think  →  respond
 *
 * - `identify` records who ran it: the gateway puts the caller's identity in the
 *   run's `config.configurable.langgraph_auth_user_id` (the name LangGraph's own
 *   server uses), and the node copies it into the state's `user_id`;
 * - `think` counts the words of the last human message (optionally waiting
 *   `configurable.delay_ms` first, up to 60 s, so a run can be cancelled midway);
 * - `respond` appends one AI message; `messages` keeps the whole conversation.
 *
 * This file is an ES module (.mts) so that LangGraph's server, itself ESM, loads
 * it with the same copy of `@langchain/langgraph` it uses.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { Annotation, END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";

/** The state: the conversation, who ran the last run, and what `think` found. */
export const AgentState = Annotation.Root({
  ...MessagesAnnotation.spec,
  user_id: Annotation<string | null>({ reducer: (_previous, next) => next, default: () => null }),
  word_count: Annotation<number>({ reducer: (_previous, next) => next, default: () => 0 }),
});

type State = typeof AgentState.State;

const MAX_DELAY_MS = 60_000;

function identify(_state: State, config: LangGraphRunnableConfig): Partial<State> {
  const identity: unknown = config.configurable?.langgraph_auth_user_id;
  return { user_id: typeof identity === "string" && identity !== "" ? identity : null };
}

async function think(state: State, config: LangGraphRunnableConfig): Promise<Partial<State>> {
  const delay = Number(config.configurable?.delay_ms ?? 0);
  if (Number.isFinite(delay) && delay > 0)
    await sleep(Math.min(delay, MAX_DELAY_MS), undefined, { signal: config.signal });
  const text = lastHumanText(state.messages);
  return { word_count: text.split(/\s+/).filter(Boolean).length };
}

function respond(state: State): Partial<State> {
  const text = lastHumanText(state.messages);
  const who = state.user_id ?? "anonymous";
  return {
    messages: [
      new AIMessage(`${who}, you said "${text}" (${state.word_count} ${state.word_count === 1 ? "word" : "words"}).`),
    ],
  };
}

function lastHumanText(messages: readonly BaseMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message.getType() === "human")
      return typeof message.content === "string" ? message.content : JSON.stringify(message.content);
  }
  return "";
}

/**
 * The compiled graph, registered with LangGraph's server as `agent`.
 *
 * @example
 * // langgraph.json (or startServer's graphs option): { "graphs": { "agent": "./dist/graph.mjs:graph" } }
 * const result = await graph.invoke(
 *   { messages: [{ role: "user", content: "hello there" }] },
 *   { configurable: { langgraph_auth_user_id: "alice" } },
 * );
 * // result.user_id === "alice"; result.messages.at(-1).content === 'alice, you said "hello there" (2 words).'
 */
export const graph = new StateGraph(AgentState)
  .addNode("identify", identify)
  .addNode("think", think)
  .addNode("respond", respond)
  .addEdge(START, "identify")
  .addEdge("identify", "think")
  .addEdge("think", "respond")
  .addEdge("respond", END)
  .compile();
