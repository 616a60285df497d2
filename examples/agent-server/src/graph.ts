import { createHash } from "node:crypto";

/** A chat message as LangGraph clients send it (`type` or `role`, and `content`). */
export interface Message {
  id?: string;
  type?: string;
  role?: string;
  content: unknown;
  [key: string]: unknown;
}

export interface GraphState {
  messages: Message[];
  [key: string]: unknown;
}

/** One built-in graph: a pure, synchronous step from (state, input) to the update it writes. */
export interface Graph {
  readonly graphId: string;
  readonly description: string;
  /** Throws `GraphInputError` when the input does not fit the graph. */
  run(state: GraphState, input: unknown, ids: { runId: string }): { update: GraphState; node: string };
}

export class GraphInputError extends Error {
  override readonly name = "GraphInputError";
}

/**
 * `echo`: appends the input messages and, for each human message, an AI reply
 * with the same content. Deterministic, no model, no network.
 */
export const echoGraph: Graph = {
  graphId: "echo",
  description: "Echoes each human message back as an AI message.",
  run(state, input, { runId }) {
    const incoming = inputMessages(input).map((message, index) => ({
      ...message,
      id: typeof message.id === "string" ? message.id : `${runId}-in-${index}`,
      type: message.type ?? roleToType(message.role),
    }));
    const replies: Message[] = incoming
      .filter((message) => message.type === "human")
      .map((message, index) => ({ id: `${runId}-echo-${index}`, type: "ai", content: message.content }));
    const messages = [...(state.messages ?? []), ...incoming, ...replies];
    return { node: "echo", update: { ...state, messages } };
  },
};

function inputMessages(input: unknown): Message[] {
  if (input === null || input === undefined) return [];
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new GraphInputError('input must be an object like { "messages": [{ "role": "user", "content": "hi" }] }');
  }
  const messages = (input as { messages?: unknown }).messages;
  if (messages === undefined) return [];
  if (!Array.isArray(messages)) throw new GraphInputError("input.messages must be an array of messages");
  return messages.map((message, index) => {
    if (typeof message === "string") return { type: "human", content: message };
    if (typeof message !== "object" || message === null || !("content" in message)) {
      throw new GraphInputError(`input.messages[${index}] must be a string or an object with "content"`);
    }
    return message as Message;
  });
}

function roleToType(role: string | undefined): string {
  switch (role) {
    case undefined:
    case "user":
    case "human":
      return "human";
    case "assistant":
    case "ai":
      return "ai";
    default:
      return role;
  }
}

/** The graphs this server runs, by graph id. */
export const GRAPHS: ReadonlyMap<string, Graph> = new Map([[echoGraph.graphId, echoGraph]]);

// LangGraph derives a graph's system assistant id as uuid5(graph_id, this namespace).
const NAMESPACE_GRAPH = "6ba7b821-9dad-11d1-80b4-00c04fd430c8";

/** The id of the system assistant of `graphId`, the same value LangGraph computes. */
export function systemAssistantId(graphId: string): string {
  const namespace = Buffer.from(NAMESPACE_GRAPH.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(namespace).update(graphId, "utf8").digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The graph whose system assistant `assistantId` names (a graph id or its system assistant id). */
export function systemGraphFor(assistantId: string): Graph | undefined {
  const byName = GRAPHS.get(assistantId);
  if (byName) return byName;
  for (const graph of GRAPHS.values()) if (systemAssistantId(graph.graphId) === assistantId) return graph;
  return undefined;
}
