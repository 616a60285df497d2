/**
 * @gatehouse/langgraph: a Gatehouse gateway in front of an unmodified LangGraph server.
 */
export {};
