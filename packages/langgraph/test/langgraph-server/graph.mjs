// A two-step graph that needs no model: enough for LangGraph's server to run, stream and join runs.
import { Annotation, StateGraph, START, END } from "@langchain/langgraph";

const State = Annotation.Root({ steps: Annotation({ reducer: (a, b) => a.concat(b), default: () => [] }) });

export const graph = new StateGraph(State)
  .addNode("first", () => ({ steps: ["first"] }))
  .addNode("second", () => ({ steps: ["second"] }))
  .addEdge(START, "first")
  .addEdge("first", "second")
  .addEdge("second", END)
  .compile();
