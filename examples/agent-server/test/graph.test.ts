import { echoGraph, GraphInputError, systemAssistantId, systemGraphFor } from "../src/graph";

describe("system assistants", () => {
  test("ids are LangGraph's uuid5(graph_id) values", () => {
    // The id LangGraph gives the system assistant of a graph named "agent".
    expect(systemAssistantId("agent")).toBe("fe096781-5601-53d2-b2f6-0d3403f7e9ca");
    expect(systemAssistantId("echo")).toBe("046b5dc7-2108-582c-9c6c-31d556d138f0");
  });

  test("a graph id or its system assistant id names the graph; anything else does not", () => {
    expect(systemGraphFor("echo")).toBe(echoGraph);
    expect(systemGraphFor(systemAssistantId("echo"))).toBe(echoGraph);
    expect(systemGraphFor("agent")).toBeUndefined();
  });
});

describe("echo graph", () => {
  test("appends the input and one AI reply per human message, after the existing messages", () => {
    const { update, node } = echoGraph.run(
      { messages: [{ id: "old", type: "ai", content: "earlier" }] },
      { messages: [{ role: "user", content: "hi" }, "plain", { role: "system", content: "sys" }] },
      { runId: "r1" },
    );
    expect(node).toBe("echo");
    expect(update.messages.map((m) => [m.type, m.content])).toEqual([
      ["ai", "earlier"],
      ["human", "hi"],
      ["human", "plain"],
      ["system", "sys"],
      ["ai", "hi"],
      ["ai", "plain"],
    ]);
    expect(update.messages.map((m) => m.id)).toEqual([
      "old",
      "r1-in-0",
      "r1-in-1",
      "r1-in-2",
      "r1-echo-0",
      "r1-echo-1",
    ]);
  });

  test("is deterministic and accepts no input", () => {
    const state = { messages: [] };
    expect(echoGraph.run(state, { messages: ["a"] }, { runId: "x" })).toEqual(
      echoGraph.run(state, { messages: ["a"] }, { runId: "x" }),
    );
    expect(echoGraph.run(state, null, { runId: "x" }).update.messages).toEqual([]);
  });

  test.each([
    ["a string input", "hi", /input must be an object/],
    ["messages that are not an array", { messages: "hi" }, /input.messages must be an array/],
    ["a message without content", { messages: [{ role: "user" }] }, /input.messages\[0\]/],
  ])("rejects %s with a message saying what to send", (_name, input, message) => {
    expect(() => echoGraph.run({ messages: [] }, input, { runId: "x" })).toThrow(GraphInputError);
    expect(() => echoGraph.run({ messages: [] }, input, { runId: "x" })).toThrow(message);
  });
});
